"""What the GitHub Actions workflow runs (actionlint checks how it is written, in `make lint`): every
`make` command of its steps is one that make can carry out here, every file it runs exists, and
`make test` runs on every Python that pyproject.toml supports."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib

import pytest
import yaml

from service import ROOT

WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())


def commands(program: str) -> list[tuple[str, str]]:
    """(job, command line) for each line of a `run:` step that starts with ``program``."""
    return [
        (job_name, line.strip())
        for job_name, job in WORKFLOW["jobs"].items()
        for step in job["steps"]
        for line in step.get("run", "").splitlines()
        if line.strip().split(" ", 1)[0] == program
    ]


MAKE_COMMANDS = commands("make")


def test_the_workflow_runs_make_targets():
    assert {job for job, _ in MAKE_COMMANDS} >= {"test", "site", "minikube"}


@pytest.mark.parametrize("job, line", MAKE_COMMANDS, ids=[f"{job}: {line}" for job, line in MAKE_COMMANDS])
def test_every_make_command_is_one_make_can_carry_out(job, line):
    # make's dry run: the target exists and everything it needs has a rule (as on the runner, where
    # "$(command -v python)" is the setup-python interpreter; here it is the venv's)
    done = subprocess.run(
        ["bash", "-c", f"{line} --dry-run --no-print-directory"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_every_file_the_workflow_runs_exists():
    for _, line in commands(".venv/bin/python"):
        files = [word for word in shlex.split(line)[1:] if re.search(r"\.(py|ipynb)$", word)]
        assert files and all((ROOT / file).is_file() for file in files), line


def test_make_test_runs_on_every_supported_python():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", requires).groups()
    supported = [f"3.{minor}" for minor in range(int(low), int(high))]
    test = WORKFLOW["jobs"]["test"]
    assert test["strategy"]["matrix"]["python"] == supported
    assert any(line.startswith("make test ") for job, line in MAKE_COMMANDS if job == "test")
