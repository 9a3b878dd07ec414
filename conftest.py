"""Repository-wide pytest hooks: skip or fail notebook cells whose tool is missing, give nbval the
parameters that keep it out of models/, serve the model for notebook 06 under nbval, and print the
measurements tests record at the end of the run."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest

from spamcheck.paths import ROOT
from spamcheck.tooling.engines import unmet_requirement
from spamcheck.tooling.localserver import Gunicorn

# Notebook 06 tests a running service at http://127.0.0.1:5000 (its default base_url). Under
# nbval, if nothing answers there, a real gunicorn with models/ is started for it.
SERVICE_NOTEBOOK, SERVICE_PORT = "06_test_deployment.ipynb", 5000
SERVER = pytest.StashKey[Gunicorn]()
# Parameters nbval runs a notebook with, as papermill's -p would (the stored outputs stay valid).
NBVAL_PARAMETERS = {"02_train_evaluate.ipynb": {"output_dir": "../build/nbval-models"}}

# CI sets this so that a missing container engine fails the run instead of skipping its checks.
REQUIRE_CONTAINERS = os.environ.get("SPAMCHECK_REQUIRE_CONTAINERS") == "1"
MEASUREMENTS = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[MEASUREMENTS] = []


def missing_tool(reason: str, requirement: str = "requires-docker"):
    """Skip loudly, or fail where CI requires the tool (a minikube cluster is never required)."""
    if REQUIRE_CONTAINERS and requirement != "requires-minikube":
        pytest.fail(f"SPAMCHECK_REQUIRE_CONTAINERS=1 but {reason}", pytrace=False)
    pytest.skip(f"SKIPPED, TOOL MISSING: {reason}")


def service_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
            return True
    except OSError:
        return False


def pytest_runtest_setup(item):
    cell = getattr(item, "cell", None)  # nbval's notebook cells
    if cell is None:
        return
    tags = cell.metadata.get("tags", [])
    reason = unmet_requirement(tags)
    if reason:
        missing_tool(reason, reason.split(":")[0])
    overrides = NBVAL_PARAMETERS.get(Path(item.path).name)
    if overrides and "parameters" in tags and "set by conftest.py for nbval" not in cell.source:
        # what `papermill -p` would do: tests never write into the checkout's models/
        cell.source += "".join(
            f"\n{name} = {value!r}  # set by conftest.py for nbval" for name, value in overrides.items()
        )
    if Path(item.path).name == SERVICE_NOTEBOOK and SERVER not in item.config.stash:
        if not service_answers(SERVICE_PORT):
            log = ROOT / "build" / "nbval-service.log"
            log.parent.mkdir(exist_ok=True)
            item.config.stash[SERVER] = Gunicorn(ROOT / "models", log, port=SERVICE_PORT)


def pytest_sessionfinish(session):
    server = session.config.stash.get(SERVER, None)
    if server is not None:
        server.stop()


@pytest.fixture(name="missing_tool", scope="session")
def missing_tool_fixture():
    """For tests: call it with the reason when a tool they need is absent."""
    return missing_tool


@pytest.fixture
def record(request):
    """record("image size", "514 MB"): shown in the summary at the end of the run."""
    return lambda name, value: request.config.stash[MEASUREMENTS].append((name, value))


def pytest_terminal_summary(terminalreporter, config):
    if config.stash[MEASUREMENTS]:
        terminalreporter.section("measurements")
        for name, value in config.stash[MEASUREMENTS]:
            terminalreporter.write_line(f"{name}: {value}")
