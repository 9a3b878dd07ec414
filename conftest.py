"""Repository-wide pytest hooks: skip or fail notebook cells whose tool is missing, give nbval the
parameters that keep it out of models/, app/article/ and port 5000, serve the article's app and the
model for notebooks 06 and 10 under nbval, and print at the end of the run what tests recorded with record_property.

`make test` runs on 2 processes (pytest-xdist, --dist loadfile: each file, so each notebook, stays
in one process, in order). Nothing two files do at once may collide: every server and container
takes a free port of 127.0.0.1, except the article's Pod under `podman kube play`, which alone
publishes port 5000; image builds take a lock (tests/conftest.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spamcheck.paths import BUILD_DIR, ROOT
from spamcheck.serving import artifacts
from spamcheck.tooling.engines import unmet_requirement
from spamcheck.tooling.localserver import FlaskRun, Gunicorn, free_port

# Notebook 06 tests the article's app where it runs (its base_url), notebook 10 the production service
# (its production_url). Under nbval, both are started on free ports: the article's app with
# `python3 -m flask run` in app/article/, the service with gunicorn on models/ (or MODEL_DIR).
SERVICE_NOTEBOOK = "06_test_deployment.ipynb"
SERVERS = pytest.StashKey[dict]()
# Parameters nbval runs notebooks with, as papermill's -p would (the stored outputs stay valid).
NBVAL_PARAMETERS = {
    "02_train_evaluate.ipynb": lambda config: {"article_dir": "../build/nbval-article"},
    "07_production_models.ipynb": lambda config: {"output_dir": "../build/nbval-models"},
    "09_production_image.ipynb": lambda config: {
        "production_port": free_port(),
        "production_container": f"spamcheck-nbval-{os.getpid()}",
    },
    # the article's Pod publishes port 5000: under nbval, tests/test_kubernetes.py and the Run-All test run it
    "05_kubernetes_minikube.ipynb": lambda config: {"podman_pod": False},
    SERVICE_NOTEBOOK: lambda config: {"base_url": servers(config)["article"].url, "remove_pod": False},
    "10_production_deployment.ipynb": lambda config: {"production_url": servers(config)["production"].url},
}
# Notebook 04 runs the article's commands word for word, `docker run -it -d -p 5000:5000 ...` among
# them. Port 5000 belongs to the reader's paths and the article's Pod, so under nbval its cells get
# a free port in place of 5000 (`make test` runs the words themselves in tests/test_reader_paths.py).
ARTICLE_PORT_NOTEBOOK = "04_docker.ipynb"
ARTICLE_PORT = pytest.StashKey[int]()

# CI sets this so that a missing container engine fails the run instead of skipping its checks.
REQUIRE_CONTAINERS = os.environ.get("SPAMCHECK_REQUIRE_CONTAINERS") == "1"


def missing_tool(reason: str, requirement: str = "requires-docker"):
    """Skip loudly, or fail where CI requires the tool (a minikube cluster is never required)."""
    if REQUIRE_CONTAINERS and requirement != "requires-minikube":
        pytest.fail(f"SPAMCHECK_REQUIRE_CONTAINERS=1 but {reason}", pytrace=False)
    pytest.skip(f"SKIPPED, TOOL MISSING: {reason}")


def servers(config) -> dict:
    if SERVERS not in config.stash:
        BUILD_DIR.mkdir(exist_ok=True)
        config.stash[SERVERS] = {
            "article": FlaskRun(ROOT / "app" / "article", BUILD_DIR / f"nbval-article-{os.getpid()}.log"),
            "production": Gunicorn(artifacts.model_dir(), BUILD_DIR / f"nbval-service-{os.getpid()}.log"),
        }
    return config.stash[SERVERS]


def pytest_runtest_setup(item):
    cell = getattr(item, "cell", None)  # nbval's notebook cells
    if cell is None:
        return
    tags = cell.metadata.get("tags", [])
    reason = unmet_requirement(tags)
    if reason:
        missing_tool(reason, reason.split(":")[0])
    if Path(item.path).name == ARTICLE_PORT_NOTEBOOK:
        port = item.config.stash.setdefault(ARTICLE_PORT, free_port())
        cell.source = cell.source.replace("-p 5000:5000", f"-p {port}:5000").replace(
            "127.0.0.1:5000", f"127.0.0.1:{port}"
        )
    overrides = NBVAL_PARAMETERS.get(Path(item.path).name)
    if overrides and "parameters" in tags and "set by conftest.py for nbval" not in cell.source:
        # what `papermill -p` would do: tests never write into the checkout's models/ or use port 5000
        cell.source += "".join(
            f"\n{name} = {value!r}  # set by conftest.py for nbval" for name, value in overrides(item.config).items()
        )


def pytest_sessionfinish(session):
    for server in session.config.stash.get(SERVERS, {}).values():
        server.stop()


@pytest.fixture(name="missing_tool", scope="session")
def missing_tool_fixture():
    """For tests: call it with the reason when a tool they need is absent."""
    return missing_tool


def pytest_terminal_summary(terminalreporter, config):
    """What tests recorded with pytest's record_property("what", value), at the end of the run
    (pytest-xdist sends each test's user_properties back from its worker process)."""
    lines = [
        f"{key}: {value}"
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for key, value in getattr(report, "user_properties", [])
    ]
    if lines:
        terminalreporter.section("measurements")
        for line in lines:
            terminalreporter.write_line(line)
