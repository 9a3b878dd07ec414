"""app/app.py is exactly what `make export-app` generates from notebook 03."""

from __future__ import annotations

import subprocess
import sys

import nbformat

from service import APP_FILE, ROOT

NOTEBOOK = ROOT / "notebooks" / "03_flask_app.ipynb"


def test_app_py_is_in_sync_with_the_notebook(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            str(NOTEBOOK),
            "--to",
            "python",
            "--no-prompt",
            "--template-file",
            str(ROOT / "app" / "export_template.py.j2"),
            "--output-dir",
            str(tmp_path),
            "--output",
            "app",
        ],
        check=True,
        capture_output=True,
    )
    generated = (tmp_path / "app.py").read_text()
    assert generated == APP_FILE.read_text(), "app/app.py is stale or was edited by hand: run `make export-app`"


def test_app_py_holds_only_the_tagged_cells():
    source = APP_FILE.read_text()
    assert source.startswith("# Generated from notebooks/03_flask_app.ipynb by `make export-app`: do not edit.")
    assert "get_ipython" not in source and "test_client" not in source and "# In[" not in source
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "app" in cell.metadata.get("tags", []):
            assert cell.source.strip() in source


def test_the_app_run_cell_never_runs_in_papermill_or_nbval():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    run_cells = [c for c in notebook.cells if c.cell_type == "code" and "app.run(" in c.source]
    assert run_cells and all({"skip-execution", "nbval-skip"} <= set(c.metadata["tags"]) for c in run_cells)
    assert all("debug=True" not in c.source for c in notebook.cells if c.cell_type == "code")
