"""The tampered-model drill: each tampering of a copy of models/ must leave the service up and refusing,
with 503 naming the file, on every readiness and prediction route (gunicorn, and the image)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from drills.common import PREDICT, Report, send, server
from spamcheck.serving.examples import SPAM
from spamcheck.tooling.containers import Container


def _flip_byte(path: Path):
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))


def _wrong_card_hash(directory: Path):
    card = json.loads((directory / "model_card.json").read_text())
    card["artifacts"]["model.npz"]["sha256"] = "0" * 64
    (directory / "model_card.json").write_text(json.dumps(card))


TAMPERINGS = {  # what is done to a copy of models/, and the file the error must name
    "model.npz changed": (lambda d: _flip_byte(d / "model.npz"), "model.npz"),
    "model.npz missing": (lambda d: (d / "model.npz").unlink(), "model.npz"),
    "card's hash wrong": (_wrong_card_hash, "model.npz"),
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
            served = server(copy, log_dir, "tampered")
            try:
                problems[what] = _check_refuses(served.url, named)
            finally:
                served.stop()
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
