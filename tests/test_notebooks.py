"""The notebooks as files: parameters documented, clean for nbval, and 04-05 guiding a reader who
lacks the tools.

`make test` executes every notebook once, with nbval, against its stored outputs (conftest.py gives
notebook 02 an output_dir under build/, as papermill's -p would). The papermill path is exercised
by `make train` and by the notebook 06 runs in tests/test_kubernetes.py and tests/test_portforward.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from service import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_clean_for_nbval(path):
    """What nbval and papermill need of a committed notebook (see ../shared/notes/notebooks.md)."""
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata.kernelspec.name == "python3"
    for index, cell in enumerate(notebook.cells):
        tags = cell.metadata.get("tags", [])
        assert "injected-parameters" not in tags, f"cell {index}: an executed papermill copy was committed"
        if cell.cell_type == "code":
            assert not cell.outputs or cell.execution_count is not None, f"cell {index}: outputs but never run"


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


@pytest.mark.notebooks
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
