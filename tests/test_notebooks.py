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

from service import ARTICLE_TRACK, NOTEBOOKS, PRODUCTION_TRACK, ROOT


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_clean_for_nbval(path):
    """What nbval and papermill need of a committed notebook: the kernel nbval's --nbval-current-env
    replaces, no executed papermill copy, no outputs without an execution count ("Unrun reference cell")."""
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata.kernelspec.name == "python3"
    for index, cell in enumerate(notebook.cells):
        tags = cell.metadata.get("tags", [])
        assert "injected-parameters" not in tags, f"cell {index}: an executed papermill copy was committed"
        if cell.cell_type == "code":
            assert not cell.outputs or cell.execution_count is not None, f"cell {index}: outputs but never run"
            assert "execution" not in cell.metadata, f"cell {index}: execution timestamps (make outputs drops them)"


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
    (preflight_cell,) = [c for c in executed.cells if "preflight.report(" in c.source]
    preflight = "".join(o.get("text", "") for o in preflight_cell.outputs)
    reported = [line for line in preflight.splitlines() if line.startswith(("ok  ", "--  "))]
    assert len(reported) >= 2 and all(line.endswith("not installed") for line in reported), preflight
    guarded = [c for c in executed.cells if set(c.metadata.get("tags", [])) & set(REQUIRES)]
    assert guarded
    for cell in guarded:
        printed = "".join(o.get("text", "") for o in cell.outputs).strip().splitlines()
        assert len(printed) == 1 and printed[0].startswith("SKIPPED "), (cell.source[:200], printed)


# -- the reader's path: the article first, everything beyond it marked, Run All, clean outputs ---------

BEYOND = "beyond-article"
# What a reader must find in each notebook with every beyond-article cell removed (issue: the article's
# own code, visible and runnable).
ARTICLE_CODE = {
    "01_explore_data.ipynb": [
        "urllib.request.urlretrieve(url,",
        "archive.extract(",
        "hashlib.sha256(",
        'pd.read_csv("../data/SMSSpamCollection", sep="\\t", names=["label", "text"], quoting=csv.QUOTE_NONE)',
    ],
    "02_train_evaluate.ipynb": [
        "cv = CountVectorizer()",
        "rfc = RandomForestClassifier(",
        'pickle.dump(cv.vocabulary_, open("feature.pkl", "wb"))',
        'filename = "model.pkl"',
        'pickle.dump(rfc, open(filename, "wb"))',
    ],
    "03_flask_app.ipynb": [
        "app = Flask(__name__)",
        '@app.route("/")',
        '@app.route("/predict"',
        "request.args",
        "cv = CountVectorizer(vocabulary=pickle.load(",
        "rfc = pickle.load(",
        "jupyter nbconvert 03_flask_app.ipynb --to python",
        '"-m", "flask", "run"',
    ],
    "04_docker.ipynb": [
        "pipreqs --print --use-local .",
        "docker build -t flaskft:develop1 .",
        "!docker run -it -d -p 5000:5000 flaskft:develop1",
        "docker ps",
        "docker logs",
        "docker stop",
    ],
    "05_kubernetes_minikube.ipynb": [
        "minikube start",
        "eval $(minikube -p minikube docker-env)",
        "docker build -t flaskft:develop1 .",
        "kubectl create -f ../k8s/spamcheck.yml",
        "kubectl get pods",
        "kubectl port-forward demov1 5000:5000",
        "podman kube play --network slirp4netns $publish k8s/spamcheck.yml",
    ],
    "06_test_deployment.ipynb": ["ham = ", "spam = ", "/predict?"],
}
# Tags that change what runs, but only under papermill or nbval: Run All in JupyterLab ignores them.
RUNNER_ONLY_TAGS = {"skip-execution", "nbval-skip", "raises-exception"}


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


@pytest.mark.parametrize("path", ARTICLE_TRACK, ids=[p.name for p in ARTICLE_TRACK])
def test_article_code_comes_first_and_is_visible_without_the_beyond_cells(path):
    cells = nbformat.read(path, as_version=4).cells
    # the lines that run: no comment line counts, and no solution
    article = "\n".join(
        line
        for c in cells
        if c.cell_type == "code" and BEYOND not in tags(c) and "solution" not in tags(c)
        for line in c.source.splitlines()
        if not line.lstrip().startswith("#")
    )
    for snippet in ARTICLE_CODE.get(path.name, []):
        assert snippet in article, (
            f"{path.name}: the article's {snippet!r} does not run outside the beyond-article cells"
        )
    beyond = [i for i, c in enumerate(cells) if BEYOND in tags(c)]
    # every part beyond the article opens with a markdown cell that says what it adds and that it may be skipped
    starts = [i for i in beyond if i - 1 not in beyond]
    for start in starts:
        opening = cells[start]
        assert opening.cell_type == "markdown" and "may skip" in opening.source, (
            path.name,
            start,
            opening.source[:120],
        )
    # the article's part comes first: after the first beyond-article cell, only recap, exercises, clean-up
    if starts:
        after = [c for c in cells[starts[0] :] if BEYOND not in tags(c) and c.cell_type == "code"]
        assert all("solution" in tags(c) or "Clean up" in cells[cells.index(c) - 1].source for c in after), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_run_all_needs_no_runner_tags_no_build_folder_and_never_blocks(path):
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        assert not RUNNER_ONLY_TAGS & set(tags(cell)), f"{path.name} cell {index}: Run All ignores {tags(cell)}"
        if cell.cell_type == "code":
            assert "../build" not in cell.source, f"{path.name} cell {index}: a fresh clone has no build/"
            # in a kernel __name__ is "__main__" too: an app.run() would block Run All (the export adds it)
            assert "app.run(" not in cell.source and "__main__" not in cell.source, f"{path.name} cell {index}"
            assert "debug=True" not in cell.source, f"{path.name} cell {index}: the debugger runs any code sent to it"


def code_lines(cells) -> int:
    return sum(len([line for line in c.source.splitlines() if line.strip()]) for c in cells if c.cell_type == "code")


@pytest.mark.parametrize("path", ARTICLE_TRACK, ids=[p.name for p in ARTICLE_TRACK])
def test_the_article_track_is_mostly_the_article(path):
    """At most a fifth of an article notebook's code lines are beyond the article: a trap's note, not
    the production work, which is the production track's (07 on)."""
    cells = nbformat.read(path, as_version=4).cells
    share = code_lines([c for c in cells if BEYOND in tags(c)]) / code_lines(cells)
    assert share <= 0.2, f"{path.name}: {share:.0%} of its code lines are beyond the article"


@pytest.mark.parametrize("path", PRODUCTION_TRACK, ids=[p.name for p in PRODUCTION_TRACK])
def test_a_production_notebook_says_what_it_builds_on_and_ends_with_a_recap(path):
    cells = nbformat.read(path, as_version=4).cells
    assert "**The production track" in cells[0].source and "builds on" in cells[0].source, path.name
    assert not [c for c in cells if BEYOND in tags(c)], f"{path.name}: the whole notebook is beyond the article"
    assert [c for c in cells if c.cell_type == "markdown" and "## Recap" in c.source], path.name


@pytest.mark.parametrize("path", ARTICLE_TRACK, ids=[p.name for p in ARTICLE_TRACK])
def test_ends_with_a_recap_and_exercises_with_solutions(path):
    cells = nbformat.read(path, as_version=4).cells
    (recap,) = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and "## Recap" in c.source]
    assert "## Exercises" in cells[recap].source and "differs from the article" in cells[recap].source
    solutions = [c for c in cells if "solution" in tags(c)]
    assert 2 <= len(solutions) <= 3 and all(cells.index(c) > recap for c in solutions)
    for number, cell in enumerate(solutions, 1):
        hidden = cell.metadata.get("jupyter", {})  # JupyterLab shows neither the answer nor its output
        assert cell.cell_type == "code" and hidden.get("source_hidden") and hidden.get("outputs_hidden"), path.name
        assert f"Solution {number}" in cell.source and BEYOND not in tags(cell)
        assert cell.outputs, f"{path.name}: solution {number} was not executed"


# What stored outputs must not show a reader (engine noise, errors, the machine, half-drawn bars,
# the project's own process).
NOISE = {
    "a traceback": r"Traceback|Error\b.*\n.*line \d+",
    "engine noise": r"level=(error|warning)|useradd warning|systemd connection",
    "a path of this machine": r"/work/|/root/|/home/|/tmp/tmp",
    "the project's process": r"\bissue \d+|\bsession \d+",
    "a progress bar": r"\r|\b\d{1,3}%\|",
    "a project target": r"NOT met",
    "a container id": r"\b[0-9a-f]{64}\b|\bcontainer [0-9a-f]{12}\b|^[0-9a-f]{12}  ",
    "a container's made-up name": r"/tcp\s+[a-z]+_[a-z]+$",
    "a client's address and time": r"\d+\.\d+\.\d+\.\d+ - - \[",
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_outputs_are_clean(path):
    import re

    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        texts = [cell.source] if cell.cell_type == "markdown" else []
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"{path.name} cell {index}: an error is stored"
            texts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
        for text in texts:
            for what, pattern in NOISE.items():
                if cell.cell_type == "markdown" and what != "the project's process":
                    continue
                if what == "a container id" and "docker build" in cell.source:
                    continue  # a build prints its layers' and image's ids: the reader sees them too
                assert not re.search(pattern, text, re.M), f"{path.name} cell {index} shows {what}: {text[:300]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_cross_references_point_at_the_cell_they_name(path):
    cells = nbformat.read(path, as_version=4).cells
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown" and ("next cell" in cell.source or "cell below" in cell.source):
            assert index + 1 < len(cells) and cells[index + 1].cell_type == "code", (path.name, index)
