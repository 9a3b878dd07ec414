"""The papermill and make commands that the notebooks, the README and docs/commands.md print for a
reader to copy work as printed, from the repository's root.

papermill runs with --prepare-only: it reads the input the command names, checks the parameters
against the notebook's and writes the output with them injected, without executing a cell (each
notebook's execution is tested elsewhere). make runs with -n: the target exists and its recipe
expands, and nothing is run.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import nbformat
import pytest

from service import NOTEBOOKS, ROOT

# Where a reader finds commands to copy
SOURCES = [*NOTEBOOKS, ROOT / "README.md", ROOT / "docs" / "commands.md"]


def texts() -> dict[str, str]:
    """Each source's prose: a notebook's markdown cells, a page's text."""
    found = {}
    for path in SOURCES:
        if path.suffix == ".ipynb":
            cells = nbformat.read(path, as_version=4).cells
            found[path.name] = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        else:
            found[path.name] = path.read_text(encoding="utf-8")
    return found


def commands(program: str) -> list[tuple[str, str]]:
    """(source, command) for every ``program ...`` command printed inline (`...`) or on a line of a
    code block (with its backslash continuations)."""
    pattern = re.compile(rf"(?:^|`)((?:\.venv/bin/)?{program} [^`\n\\]*(?:\\\n[^`\n\\]*)*)", re.M)
    found = []
    for source, text in texts().items():
        for match in pattern.finditer(text):
            command = re.sub(r"\s*\\\n\s*", " ", match.group(1))
            found.append((source, command.split("  #")[0].strip()))
    return found


PAPERMILL = commands("papermill")
MAKE = sorted({command for _, command in commands("make")})  # each once, wherever it is printed


def test_the_commands_are_found():
    assert {source for source, _ in PAPERMILL} >= {"02_train_evaluate.ipynb", "06_test_deployment.ipynb"}
    assert {"make run", "make test", "make lab", "make lab-production"} <= set(MAKE)


@pytest.mark.parametrize("source, command", PAPERMILL, ids=[f"{s}: {c}" for s, c in PAPERMILL])
def test_a_printed_papermill_command_runs_from_the_root(source, command):
    words = shlex.split(command)[1:]
    if "--help-notebook" in words:
        done = subprocess.run([sys.executable, "-m", "papermill", *words], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0 and "Parameters inferred" in done.stdout, (command, done.stderr[-2000:])
        return
    done = subprocess.run(
        [sys.executable, "-m", "papermill", *words, "--prepare-only"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, (source, command, done.stderr[-2000:])
    output = [word for word in words if word.endswith(".ipynb")][1]  # the second notebook named: the output
    cells = nbformat.read(output, as_version=4).cells
    injected = [c for c in cells if "injected-parameters" in c.metadata.get("tags", [])]
    names = [words[i + 1] for i, word in enumerate(words) if word == "-p"]
    assert injected and all(f"{name} = " in injected[0].source for name in names), (command, injected)
    assert "Passed unknown parameter" not in done.stderr, (command, done.stderr)


@pytest.mark.parametrize("command", MAKE)
def test_a_printed_make_command_names_a_target_that_exists(command):
    words = shlex.split(command)[1:]
    done = subprocess.run(["make", "-n", *words], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (command, done.stderr[-2000:])
