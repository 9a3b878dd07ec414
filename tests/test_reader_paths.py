"""The two paths a reader takes through the notebooks, run as the reader runs them, from a clean
checkout (the files a fresh clone has: no data/, models/ or build/):

* **Run All**: every notebook of both tracks in order (01-10), every code cell, no tag honoured
  (JupyterLab honours none of papermill's or nbval's tags), with the default parameters;
* **the article's path alone**: the article's track (01-06) the same way, with every cell tagged
  ``beyond-article`` removed.

Notebook 05 runs the article's Pod (minikube, or `podman kube play` without it) on 127.0.0.1:5000,
and notebook 06 tests it there. These tests therefore use port 5000, the Pod name demov1 and the image
tag flaskft:develop1, as a reader would: `make test` runs them in a pytest run of their own, after the
rest of the suite (marker ``reader_paths``).
"""

from __future__ import annotations

import json
import pickle
import shutil
import socket
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from service import ARTICLE_TRACK, HAM, NOTEBOOKS, SPAM
from spamcheck.paths import ROOT
from spamcheck.tooling.engines import container_engine, minikube_running
from spamcheck.tooling.localserver import FlaskRun

pytestmark = [pytest.mark.reader_paths, pytest.mark.notebooks, pytest.mark.container]

ARTICLE_PORT = 5000
BEYOND = "beyond-article"


def clean_checkout(destination: Path) -> Path:
    """The files a fresh clone of this checkout has (tracked, or new and not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet staged is listed too
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def printed(notebook) -> str:
    return "".join(
        output.get("text", "") or output.get("data", {}).get("text/plain", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def run_all(checkout: Path, notebooks: list[str], without_tag: str | None = None) -> dict[str, nbformat.NotebookNode]:
    """Execute ``notebooks`` of ``checkout`` in order, each in a fresh kernel started in its folder,
    as JupyterLab's Run All does; return the executed notebooks by name. Cells tagged ``without_tag``
    are removed first."""
    executed = {}
    server = None
    try:
        for name in notebooks:
            notebook = nbformat.read(checkout / "notebooks" / name, as_version=4)
            if without_tag:
                notebook.cells = [c for c in notebook.cells if without_tag not in c.metadata.get("tags", [])]
            if name.startswith("06") and not port_in_use(ARTICLE_PORT):
                # no Pod could run here (no minikube, no podman): the article's app under flask run instead
                server = FlaskRun(checkout / "app" / "article", checkout / "flask-run.log", port=ARTICLE_PORT)
            NotebookClient(
                notebook,
                timeout=1800,
                kernel_name="python3",
                resources={"metadata": {"path": str(checkout / "notebooks")}},
            ).execute()
            executed[name] = notebook
    finally:
        if server:
            server.stop()
        if container_engine() == "podman":  # a Pod left behind by a failed run must not block the next
            subprocess.run(["podman", "kube", "down", str(checkout / "k8s" / "spamcheck.yml")], capture_output=True)
    return executed


@pytest.fixture
def checkout(tmp_path, monkeypatch, missing_tool):
    if container_engine() is None:
        missing_tool("no container engine answers `docker info` or `podman info`: notebooks 04-05 need one")
    if port_in_use(ARTICLE_PORT):
        pytest.fail(f"127.0.0.1:{ARTICLE_PORT} is in use (a `make run` or container left running?): the Pod needs it")
    # the checkout's own package, not the one installed in the venv (an editable install of ROOT)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return clean_checkout(tmp_path)


def article_files(checkout: Path) -> tuple[dict, object]:
    """The article's two pickles, as notebook 02 saved them beside its app: the vocabulary and the forest."""
    folder = checkout / "app" / "article"
    return pickle.loads((folder / "feature.pkl").read_bytes()), pickle.loads((folder / "model.pkl").read_bytes())


def test_run_all_completes_every_notebook_from_a_clean_checkout(checkout, record_property):
    executed = run_all(checkout, [path.name for path in NOTEBOOKS])
    card = json.loads((checkout / "models" / "model_card.json").read_text())
    assert card["kind"] != "article", "the part beyond the article exports a stronger model to models/"
    vocabulary, forest = article_files(checkout)
    assert isinstance(vocabulary, dict) and type(forest).__name__ == "RandomForestClassifier", (
        "app/article/ keeps the article's"
    )
    assert "Hello World!\n0,1\n" in printed(executed["03_flask_app.ipynb"])
    assert f"readyz: ready {card['model_version']}" in printed(executed["09_production_image.ipynb"]), (
        "the production image"
    )
    answered = printed(executed["06_test_deployment.ipynb"])
    assert f"0  <- {HAM}" in answered and f"1  <- {SPAM}" in answered
    if not minikube_running() and container_engine() == "podman":
        assert "the Pod's log shows 2 requests to /predict" in printed(executed["05_kubernetes_minikube.ipynb"])
        assert "pod demov1 removed" in answered
    record_property("Run All", f"{len(executed)} notebooks, production model {card['model_version']}")


def test_the_article_path_runs_on_its_own(checkout, record_property):
    """The article's track with every beyond-article cell removed: the article's forest, app, image and
    Pod, with its commands, and nothing of the production track."""
    executed = run_all(checkout, [path.name for path in ARTICLE_TRACK], without_tag=BEYOND)
    for notebook in executed.values():
        assert not any(BEYOND in c.metadata.get("tags", []) for c in notebook.cells)
    assert not (checkout / "models").exists(), "the article's path makes nothing in models/"
    vocabulary, forest = article_files(checkout)
    assert isinstance(vocabulary, dict) and type(forest).__name__ == "RandomForestClassifier"
    assert "[0 1]" in printed(executed["02_train_evaluate.ipynb"])
    assert "Hello World!\n0,1\n" in printed(executed["03_flask_app.ipynb"])  # python3 -m flask run
    docker = printed(executed["04_docker.ipynb"])  # the article's literal commands, in app/article/
    assert "Hello World!\n0  <- " + HAM in docker and f"1  <- {SPAM}" in docker
    assert "/readyz: 404, the article's app has no such route" in docker
    if not minikube_running() and container_engine() == "podman":  # kube play of k8s/spamcheck.yml
        assert "the Pod's log shows 2 requests to /predict" in printed(executed["05_kubernetes_minikube.ipynb"])
    answered = printed(executed["06_test_deployment.ipynb"])
    assert f"0  <- {HAM}" in answered and f"1  <- {SPAM}" in answered
    record_property("article path", f"{sum(len(n.cells) for n in executed.values())} cells, the article's forest")


def test_clean_checkout_has_no_build_outputs(tmp_path):
    copy = clean_checkout(tmp_path)
    assert (copy / "notebooks" / "02_train_evaluate.ipynb").exists()
    assert not any((copy / folder).exists() for folder in ("models", "build", "data", ".venv"))
