"""Fault drills: the real gunicorn server on 127.0.0.1 (and the image, where stated) under fuzzing,
a killed worker, a graceful stop, a tampered model and a long steady load.

Each drill returns a :class:`Report`: its figures, and whether they meet the bar the issue set.
`make drill` (scripts/drill.py) runs them at full length and prints a table; tests/test_drills.py
runs bounded versions of each. All traffic goes to 127.0.0.1, in loops that stop by themselves.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from spamcheck.paths import ROOT
from spamcheck.serving.examples import HAM, SPAM
from spamcheck.tooling.containers import Container
from spamcheck.tooling.localserver import Gunicorn, until

PREDICT = "/predict?" + urllib.parse.urlencode({"text": SPAM})
SCHEMATHESIS_CONFIG = ROOT / "drills" / "schemathesis.toml"
CRASH_SIGNS = ("Traceback", "WORKER TIMEOUT", "Worker exiting", " 500 ")


@dataclass
class Report:
    name: str
    passed: bool
    figures: dict = field(default_factory=dict)


def send(base_url, path, method="GET", body=None, headers=None, timeout=30):
    """(status, body bytes) of one request; raises OSError when the connection fails."""
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Load:
    """``connections`` threads sending requests one after another until stopped (or ``seconds``).

    Each request carries a fresh X-Request-ID; the outcome of each is kept as
    (request id, status or the error's name, started, finished). With ``paths``, the requests
    rotate through them (many distinct messages, as users send), else every one asks ``path``.
    """

    def __init__(
        self, base_url, path=PREDICT, connections=16, seconds=10.0, method="GET", body=None, headers=None, paths=()
    ):
        self.base_url, self.method, self.body = base_url, method, body
        self.paths = list(paths) or [path]
        self.turn = itertools.count()  # next() is atomic: the threads share one rotation
        self.headers = headers or {}
        self.deadline = time.monotonic() + seconds
        self.stopping = threading.Event()
        self.outcomes: list[tuple[str, object, float, float]] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(connections)]
        for thread in self.threads:
            thread.start()

    def _run(self):
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            request_id, started = uuid.uuid4().hex, time.monotonic()
            try:
                status, _ = send(
                    self.base_url,
                    self.paths[next(self.turn) % len(self.paths)],
                    self.method,
                    self.body,
                    {**self.headers, "X-Request-ID": request_id},
                    timeout=30,
                )
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                time.sleep(0.01)  # a refused connection returns at once: do not spin
            with self.lock:
                self.outcomes.append((request_id, status, started, time.monotonic()))

    def stop(self) -> list:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)
        return self.outcomes

    def wait(self) -> list:
        for thread in self.threads:
            thread.join(max(0.0, self.deadline - time.monotonic()) + 60)
        return self.outcomes


def _server(model_dir, log_dir, name, **env) -> Gunicorn:
    return Gunicorn(model_dir, Path(log_dir) / f"{name}.log", **env)


# -- fuzz -----------------------------------------------------------------------------------------

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
    server = _server(model_dir, log_dir, "fuzz")
    try:
        version = json.loads(send(server.url, "/readyz")[1])["model_version"]
        config = Path(log_dir) / "schemathesis.toml"  # the project's settings, plus the served version
        config.write_text(
            SCHEMATHESIS_CONFIG.read_text().replace(
                '"path.name" = "spamcheck"', f'"path.name" = "spamcheck"\n"path.version" = "{version}"'
            )
        )
        workers_before = server.workers()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(config),
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                str(max_examples),
                "--seed",
                str(seed),
                "--generation-database",
                "none",
            ],
            capture_output=True,
            text=True,
            timeout=1800,
            cwd=log_dir,
        )
        (Path(log_dir) / "schemathesis.log").write_text(done.stdout + done.stderr)
        counts = re.search(r"(\d+) generated, (?:(\d+) passed|(\d+) found (\d+) unique failures?)", done.stdout)
        generated = int(counts.group(1)) if counts else 0
        failures = int(counts.group(4)) if counts and counts.group(4) else (0 if done.returncode == 0 else -1)
        answers = []
        for route in PATHOLOGICAL_ROUTES:
            for what, body, content_type in PATHOLOGICAL:
                status, raw = send(
                    server.url, route, "POST", body, {"Content-Type": content_type} if content_type else {}
                )
                try:
                    answer = json.loads(raw)
                    is_json_error = isinstance(answer, dict) and "error" in answer
                except ValueError:
                    is_json_error = False
                answers.append((route, what, status, is_json_error))
        bad_answers = [a for a in answers if not (400 <= a[2] < 500 and a[3])]
        workers_after = server.workers()
        survived = workers_after == workers_before and send(server.url, PREDICT)[0] == 200
        crashed = [sign for sign in CRASH_SIGNS if sign in server.logs()]
    finally:
        server.stop()
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


# -- a worker killed under load -------------------------------------------------------------------


def kill_worker(model_dir, log_dir, seconds=10.0, connections=16) -> Report:
    server = _server(model_dir, log_dir, "kill-worker")
    try:
        before = server.workers()
        load = Load(server.url, connections=connections, seconds=seconds)
        time.sleep(seconds / 3)
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        outcomes = load.wait()
        with contextlib.suppress(TimeoutError):  # the report says whether the worker was replaced
            until(lambda: len(server.workers()) >= len(before) and victim not in server.workers(), seconds=30)
        after = server.workers()
        following = [send(server.url, PREDICT)[0] for _ in range(20)]
    finally:
        server.stop()
    failed = sum(1 for o in outcomes if o[1] != 200)
    rate = failed / max(1, len(outcomes))
    replaced = victim not in after and len(after) == len(before)
    return Report(
        "worker killed under load",
        rate < 0.01 and replaced and following == [200] * 20,
        {
            "requests": len(outcomes),
            "failed": failed,
            "failed %": round(100 * rate, 3),
            "worker replaced": replaced,
            "next 20 requests": f"{following.count(200)}/20 ok",
        },
    )


# -- graceful stop under load ---------------------------------------------------------------------

BATCH = json.dumps({"texts": [HAM, SPAM] * 500}).encode()  # ~0.1 s each: always some in flight


def _answered_ids(logs: str) -> set[str]:
    """Request ids the app finished answering, from its one log line per request."""
    return set(re.findall(r" POST /v1/predict 200 \S+ id=(\w+)", logs))


def _stop_report(name, outcomes, answered, signal_time, exit_code, seconds, limit) -> Report:
    by_id = {o[0]: o for o in outcomes}
    lost = [i for i in answered if by_id.get(i, (None, None))[1] != 200]
    in_flight = sum(1 for o in outcomes if o[1] == 200 and o[2] < signal_time < o[3])
    refused = sum(1 for o in outcomes if o[1] != 200 and o[0] not in answered)
    return Report(
        name,
        not lost and exit_code == 0 and seconds < limit and in_flight > 0,
        {
            "requests answered by the app": len(answered),
            "of those, not received whole": len(lost),
            "in flight at the signal, completed": in_flight,
            "refused after the signal": refused,
            "exit code": exit_code,
            "seconds to exit": round(seconds, 2),
            "limit (s)": limit,
        },
    )


def graceful_stop(model_dir, log_dir, connections=8, before_signal=2.0, graceful_timeout=20) -> Report:
    server = _server(model_dir, log_dir, "graceful-stop", GUNICORN_GRACEFUL_TIMEOUT=graceful_timeout)
    load = Load(server.url, "/v1/predict", connections, 120, "POST", BATCH, {"Content-Type": "application/json"})
    time.sleep(before_signal)
    signal_time = time.monotonic()
    exit_code, seconds = server.stop(timeout=graceful_timeout + 10)
    outcomes = load.stop()
    return _stop_report(
        "graceful stop (gunicorn, SIGTERM)",
        outcomes,
        _answered_ids(server.logs()),
        signal_time,
        exit_code,
        seconds,
        graceful_timeout,
    )


def graceful_stop_container(engine, image, connections=8, before_signal=2.0, stop_timeout=25) -> Report:
    with Container(engine, image, name_prefix="spamcheck-drill") as container:
        load = Load(container.url, "/v1/predict", connections, 120, "POST", BATCH, {"Content-Type": "application/json"})
        time.sleep(before_signal)
        signal_time, started = time.monotonic(), time.monotonic()
        container.stop(stop_timeout)
        seconds = time.monotonic() - started
        outcomes = load.stop()
        exit_code, logs = container.exit_code(), container.logs()
    return _stop_report(
        f"graceful stop ({engine} stop)", outcomes, _answered_ids(logs), signal_time, exit_code, seconds, stop_timeout
    )


# -- a tampered model ------------------------------------------------------------------------------


def _flip_byte(path: Path):
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))


def _wrong_card_hash(directory: Path):
    card = json.loads((directory / "model_card.json").read_text())
    card["artifacts"]["model.pkl"]["sha256"] = "0" * 64
    (directory / "model_card.json").write_text(json.dumps(card))


TAMPERINGS = {  # what is done to a copy of models/, and the file the error must name
    "model.pkl changed": (lambda d: _flip_byte(d / "model.pkl"), "model.pkl"),
    "feature.pkl changed": (lambda d: _flip_byte(d / "feature.pkl"), "feature.pkl"),
    "model.pkl missing": (lambda d: (d / "model.pkl").unlink(), "model.pkl"),
    "card's hash wrong": (_wrong_card_hash, "model.pkl"),
}
READINESS = ("/readyz", "/v2/health/ready")
PREDICTIONS = (
    ("GET", PREDICT, None),
    ("POST", "/v1/predict", json.dumps({"texts": [SPAM]}).encode()),
    (
        "POST",
        "/v2/models/spamcheck/infer",
        json.dumps({"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [SPAM]}]}).encode(),
    ),
)


def _check_refuses(url, named) -> list[str]:
    problems = []
    for path in READINESS:
        status, body = send(url, path)
        if status != 503 or named not in json.loads(body).get("error", ""):
            problems.append(f"{path}: {status} {body[:120]!r}")
    for method, path, body in PREDICTIONS:
        status, answer = send(url, path, method, body, {"Content-Type": "application/json"})
        if status != 503:
            problems.append(f"{method} {path}: {status} {answer[:80]!r}")
    return problems


def tampered(model_dir, log_dir, engine=None, image=None, gunicorn=True, only=None) -> Report:
    """Each tampering, served by gunicorn and/or by the image (the copy mounted over /srv/models)."""
    problems, checks = {}, 0
    chosen = {what: TAMPERINGS[what] for what in only} if only else TAMPERINGS
    for what, (tamper, named) in chosen.items():
        copy = Path(tempfile.mkdtemp(prefix="tampered-", dir=log_dir))
        shutil.copytree(model_dir, copy, dirs_exist_ok=True)
        tamper(copy)
        if gunicorn:
            server = _server(copy, log_dir, "tampered")
            try:
                problems[what] = _check_refuses(server.url, named)
            finally:
                server.stop()
            checks += len(READINESS) + len(PREDICTIONS)
        if engine and image:
            os.chmod(copy, 0o755)
            for file in copy.iterdir():
                os.chmod(file, 0o644)  # readable by the image's user
            mounted = ("-v", f"{copy}:/srv/models:ro")
            with Container(
                engine, image, *mounted, ready_path="/healthz", name_prefix="spamcheck-tampered"
            ) as container:
                problems[f"{what} (image)"] = _check_refuses(container.url, named)
            checks += len(READINESS) + len(PREDICTIONS)
    wrong = {k: v for k, v in problems.items() if v}
    return Report(
        "tampered model",
        not wrong,
        {
            "tamperings": len(chosen),
            "served by": " and ".join(["gunicorn"] * gunicorn + ([engine] if engine and image else [])),
            "routes checked": checks,
            "answered other than 503 naming the file": sum(map(len, wrong.values())),
            "details": wrong,
        },
    )


# -- soak --------------------------------------------------------------------------------------------


def _after(series, warmup) -> int:
    """The first RSS sampled once ``warmup`` seconds have passed (else the last one)."""
    return next((rss for t, rss in series if t >= warmup), series[-1][1])


def distinct_message_paths() -> list[str]:
    """``/predict?text=...`` for each distinct message of the collection, in the file's order."""
    from spamcheck.training import data

    texts = dict.fromkeys(data.load(progress=False)["text"])
    return [f"/predict?{urllib.parse.urlencode({'text': text})}" for text in texts]


def soak(model_dir, log_dir, seconds=180.0, connections=8, warmup=30.0, every=5.0) -> Report:
    """Steady load, rotating through the collection's distinct messages (they fill the fast path's
    word cache, the likeliest place for memory to grow); the resident memory of each worker sampled;
    after warm-up it must stay flat (growth under 10 %). gunicorn recycles a worker after
    GUNICORN_MAX_REQUESTS requests (by design, against slow leaks): its successor is sampled as a
    worker of its own."""
    paths = distinct_message_paths()
    server = _server(model_dir, log_dir, "soak")
    try:
        first = server.workers()
        load = Load(server.url, connections=connections, seconds=seconds, paths=paths)
        samples: dict[int, list] = {}  # pid -> [(seconds since start, RSS bytes)]
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            time.sleep(every)
            for pid in server.workers():
                try:
                    rss = psutil.Process(pid).memory_info().rss
                except psutil.NoSuchProcess:  # recycled between the listing and the reading
                    continue
                samples.setdefault(pid, []).append((time.monotonic() - started, rss))
        outcomes = load.wait()
    finally:
        server.stop()
    errors = sum(1 for o in outcomes if o[1] != 200)
    growth = {}
    for pid, series in samples.items():
        after_warmup = [rss for t, rss in series if t >= warmup]
        if len(after_warmup) >= 2:
            growth[pid] = (after_warmup[-1] - after_warmup[0]) / after_warmup[0]
    worst = max(growth.values(), default=float("nan"))
    recycled = len(set(samples) - set(first))
    return Report(
        "soak",
        errors == 0 and bool(growth) and worst < 0.10,
        {
            "seconds": seconds,
            "requests": len(outcomes),
            "errors": errors,
            "requests/s": round(len(outcomes) / seconds),
            "distinct messages rotated": len(paths),
            "worker RSS (MB): first sample, after warm-up, end": [
                tuple(round(rss / 2**20, 1) for rss in (series[0][1], _after(series, warmup), series[-1][1]))
                for series in samples.values()
            ],
            "worst RSS growth after warm-up %": round(100 * worst, 2),
            "workers recycled by max_requests": recycled,
        },
    )
