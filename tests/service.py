"""Test helpers: shared names, the notebook runner, and engine commands."""

from __future__ import annotations

import os
import subprocess
import sys

import spamcheck
from spamcheck.paths import ROOT
from spamcheck.serving.examples import HAM, SPAM  # noqa: F401 (the tests' one ham and one spam)
from spamcheck.tooling.httpclient import call  # noqa: F401 (the tests' one HTTP client)

APP_FILE = ROOT / "app" / "app.py"


JSON = {"Content-Type": "application/json"}  # the header of a JSON request body
IMAGE = f"spamcheck:{spamcheck.__version__}"  # the production image, built by `make image`
ARTICLE_IMAGE = "flaskft:develop1"  # the article's image, built in app/article/ (its Pod runs it)
EXECUTED = ROOT / "build" / "executed"  # where executed notebooks go (git-ignored)
# The notebooks in order: the article's track (01-06), then the production track (07 on).
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ARTICLE_TRACK = [path for path in NOTEBOOKS if int(path.name[:2]) <= 6]
PRODUCTION_TRACK = [path for path in NOTEBOOKS if path not in ARTICLE_TRACK]


def run_notebook(name: str, parameters: dict, out=EXECUTED) -> subprocess.CompletedProcess:
    """Execute notebooks/NAME with papermill (scripts/run_notebooks.py) into ``out``."""
    command = [
        sys.executable,
        "scripts/run_notebooks.py",
        f"notebooks/{name}",
        "--out",
        str(out),
        "--timeout",
        "600",
    ]
    for key, value in parameters.items():
        command += ["-p", key, str(value)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)


def run(engine: str, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    """One docker/podman (or other) command, its output captured."""
    return subprocess.run([engine, *args], capture_output=True, text=True, timeout=timeout, check=check)


def run_k8s_up(port: int) -> subprocess.CompletedProcess:
    """scripts/k8s-up.sh, as `make k8s-up PORT=...` runs it (with this interpreter's packages)."""
    return subprocess.run(
        ["bash", "scripts/k8s-up.sh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PORT": str(port), "PYTHON": sys.executable},
    )
