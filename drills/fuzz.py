"""The fuzz drill: schemathesis against the served /openapi.json (with drills/schemathesis.toml), then
bodies that are hard on a JSON parser. Every answer must be a 4xx JSON error, and no worker may die."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from drills.common import CRASH_SIGNS, PREDICT, Report, send, server

SCHEMATHESIS_CONFIG = Path(__file__).with_name("schemathesis.toml")


class Answer(NamedTuple):
    route: str
    what: str
    status: int
    is_json_error: bool


PATHOLOGICAL = [  # (what, body, content type or None)
    ("nesting 100,000 deep", b"[" * 100_000, "application/json"),
    ("a 100,000-digit number", b'{"texts": ' + b"1" * 100_000 + b"}", "application/json"),
    ("a 1 MB key", b'{"' + b"k" * 1_000_000 + b'": 1}', "application/json"),
    ("900,000 tiny items", b'{"texts": [' + b"0," * 900_000 + b"0]}", "application/json"),
    ("invalid UTF-8", b'{"texts": ["\xff\xfe\xfd"]}', "application/json"),
    ("NaN and Infinity", b'{"texts": [NaN, Infinity]}', "application/json"),
    ("JSON sent as text/plain", b'{"texts": ["hi"]}', "text/plain"),
    ("XML", b"<texts><text>hi</text></texts>", "application/xml"),
    ("no content type", b'{"texts": ["hi"]}', None),
]
PATHOLOGICAL_ROUTES = ("/v1/predict", "/predict", "/v2/models/spamcheck/infer")


def fuzz(model_dir, log_dir, max_examples=150, seed=1) -> Report:
    """schemathesis --checks all against /openapi.json, then bodies that are hard on a JSON parser."""
    served = server(model_dir, log_dir, "fuzz")
    try:
        version = json.loads(send(served.url, "/readyz")[1])["model_version"]  # schemathesis.toml reads it
        report = Path(log_dir) / "schemathesis.json"
        workers_before = served.workers()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(SCHEMATHESIS_CONFIG),
                "run",
                f"{served.url}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                str(max_examples),
                "--seed",
                str(seed),
                "--generation-database",
                "none",
                "--report",
                "json",
                "--report-json-path",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=1800,
            cwd=log_dir,
            env={**os.environ, "SPAMCHECK_MODEL_VERSION": version},
        )
        (Path(log_dir) / "schemathesis.log").write_text(done.stdout + done.stderr)
        test_cases = json.loads(report.read_text())["test_cases"] if report.exists() else {}
        generated, failures = test_cases.get("generated", 0), test_cases.get("unique_failures", -1)
        answers = []
        for route in PATHOLOGICAL_ROUTES:
            for what, body, content_type in PATHOLOGICAL:
                status, raw = send(
                    served.url, route, "POST", body, {"Content-Type": content_type} if content_type else {}
                )
                try:
                    answer = json.loads(raw)
                    is_json_error = isinstance(answer, dict) and "error" in answer
                except ValueError:
                    is_json_error = False
                answers.append(Answer(route, what, status, is_json_error))
        bad_answers = [a for a in answers if not (400 <= a.status < 500 and a.is_json_error)]
        workers_after = served.workers()
        survived = workers_after == workers_before and send(served.url, PREDICT)[0] == 200
        crashed = [sign for sign in CRASH_SIGNS if sign in served.logs()]
    finally:
        served.stop()
    return Report(
        "fuzz",
        done.returncode == 0 and failures == 0 and generated > 0 and not bad_answers and survived and not crashed,
        {
            "generated requests": generated,
            "fuzzer failures": failures,
            "pathological bodies": len(answers),
            "not a 4xx JSON error": len(bad_answers),
            "workers survived": survived,
            "worker pids before, after": (workers_before, workers_after),
            "crash signs in log": ", ".join(crashed) or "none",
            "details": bad_answers[:3],
        },
    )
