"""Every notebook executes with papermill (small parameters where that keeps it quick).

nbval (run by `make test` on notebooks/) then re-runs each committed notebook against its stored
outputs; this file checks what nbval cannot: that parameters work and what the notebooks write.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from service import EXECUTED, ROOT, run_notebook
from spamcheck.tooling.localserver import free_port

pytestmark = pytest.mark.notebooks

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Non-default parameters that keep each run short; every notebook must be listed.
TEST_PARAMETERS = {
    "01_explore_data.ipynb": {},
    "02_train_evaluate.ipynb": {"folds": 3, "candidates": "article,svm", "output_dir": "../build/test-models"},
    "03_flask_app.ipynb": {},
    "04_docker.ipynb": {"host_port": free_port(), "container_name": "spamcheck-nbtest"},
    "05_kubernetes_minikube.ipynb": {},
    "06_test_deployment.ipynb": None,  # needs a running service: run by tests/test_kubernetes.py against kube play
}


def test_every_notebook_has_test_parameters():
    assert sorted(TEST_PARAMETERS) == [path.name for path in NOTEBOOKS]


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS if TEST_PARAMETERS.get(p.name) is not None])
def test_notebook_executes_with_papermill(name):
    done = run_notebook(name, TEST_PARAMETERS[name])
    assert done.returncode == 0, done.stderr[-3000:]
    executed = nbformat.read(EXECUTED / name, as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    if name == "02_train_evaluate.ipynb":
        check_training_outputs(executed)


def check_training_outputs(executed):
    """The model card holds exactly the metrics the notebook printed, for the model it chose."""
    card = json.loads((ROOT / "build" / "test-models" / "model_card.json").read_text())
    cell = next(c for c in executed.cells if "model-card-metrics" in c.metadata.get("tags", []))
    printed = json.loads("".join(o["text"] for o in cell.outputs if o.get("name") == "stdout"))
    assert printed == {k: v for k, v in card.items() if k.startswith(("cv_", "paper_"))}
    assert len(printed) == 14
    assert card["kind"] == "svm"  # the best of article and svm
    assert "n_splits=3" in card["evaluation"]["cv"]


def test_notebook_parameters_are_documented():
    """`papermill --help-notebook` shows a type and a comment for every parameter."""
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) <= 1, f"{path.name}: more than one cell tagged parameters"
        for line in cells[0].source.splitlines() if cells else []:
            if line and not line.startswith("#"):
                assert ": " in line.split("=")[0] and "#" in line, (
                    f"{path.name}: {line!r} needs a type hint and a comment"
                )


TOOLS = ("docker", "podman", "minikube", "kubectl")
REQUIRES = ("requires-docker", "requires-minikube", "requires-kubectl")


def path_without(tools, directory):
    """A PATH with every program of this one, except ``tools``, linked into ``directory``."""
    directory.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for program in Path(folder).glob("*") if Path(folder).is_dir() else []:
            target = directory / program.name
            if program.name not in tools and not target.exists() and os.access(program, os.X_OK):
                target.symlink_to(program)
    return str(directory)


@pytest.mark.parametrize("name", ["04_docker.ipynb", "05_kubernetes_minikube.ipynb"])
def test_notebook_guides_without_the_tools(name, tmp_path):
    """Run All as a reader without docker, podman, minikube and kubectl would: it completes, and
    every cell that needs one of them says in one line what it skipped and why."""
    env = {**os.environ, "PATH": path_without(TOOLS, tmp_path / "bin"), "CONTAINER_ENGINE": ""}
    assert not any(shutil.which(tool, path=env["PATH"]) for tool in TOOLS)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            str(ROOT / "notebooks" / name),
            "--output-dir",
            str(tmp_path),
            "--output",
            name,
            "--ExecutePreprocessor.timeout=120",
        ],
        cwd=ROOT / "notebooks",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    executed = nbformat.read(tmp_path / name, as_version=4)
    preflight = "".join(o.get("text", "") for o in executed.cells[2].outputs)
    reported = [line for line in preflight.splitlines() if line.startswith(("ok  ", "--  "))]
    assert len(reported) >= 2 and all(line.endswith("not installed") for line in reported), preflight
    guarded = [c for c in executed.cells if set(c.metadata.get("tags", [])) & set(REQUIRES)]
    assert guarded
    for cell in guarded:
        printed = "".join(o.get("text", "") for o in cell.outputs).strip().splitlines()
        assert len(printed) == 1 and printed[0].startswith("SKIPPED "), (cell.source[:200], printed)
