"""Repository-wide pytest hooks: skip or fail notebook cells whose tool is missing, and print
the measurements tests record (image size, build time) at the end of the run."""

from __future__ import annotations

import os

import pytest

from spamcheck.engines import unmet_requirement

# CI sets this so that a missing container engine fails the run instead of skipping its checks.
REQUIRE_CONTAINERS = os.environ.get("SPAMCHECK_REQUIRE_CONTAINERS") == "1"
MEASUREMENTS = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[MEASUREMENTS] = []


def missing_tool(reason: str, requirement: str = "requires-docker"):
    """Skip loudly, or fail where CI requires the tool (the minikube cluster is never required)."""
    if REQUIRE_CONTAINERS and requirement == "requires-docker":
        pytest.fail(f"SPAMCHECK_REQUIRE_CONTAINERS=1 but {reason}", pytrace=False)
    pytest.skip(f"SKIPPED, TOOL MISSING: {reason}")


def pytest_runtest_setup(item):
    cell = getattr(item, "cell", None)  # nbval's notebook cells
    if cell is not None:
        tags = cell.metadata.get("tags", [])
        reason = unmet_requirement(tags)
        if reason:
            missing_tool(reason, reason.split(":")[0])


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
