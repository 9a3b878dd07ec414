"""app/app.py and app/article/app.py are exactly what `make export-app` generates from notebooks 08 and 03."""

from __future__ import annotations

import nbformat
import pytest
from nbconvert import PythonExporter

from service import ROOT

# generated file, under app/ -> (its notebook, its template, the cell tag it exports)
EXPORTS = {
    "app.py": ("08_production_service.ipynb", "export_template.py.j2", "app"),
    "article/app.py": ("03_flask_app.ipynb", "export_article_template.py.j2", "article-app"),
}


@pytest.mark.parametrize("name", EXPORTS)
def test_exported_file_is_in_sync_with_the_notebook(name):
    """What `make export-app`'s `jupyter nbconvert --to python --no-prompt --template-file ...` writes,
    by the same exporter in this process (no second Python to start)."""
    notebook, template, _ = EXPORTS[name]
    exporter = PythonExporter(
        template_file=str(ROOT / "app" / template), exclude_input_prompt=True, exclude_output_prompt=True
    )
    generated, _ = exporter.from_filename(str(ROOT / "notebooks" / notebook))
    assert generated == (ROOT / "app" / name).read_text(), (
        f"app/{name} is stale or was edited by hand: run `make export-app`"
    )


@pytest.mark.parametrize("name", EXPORTS)
def test_exported_file_holds_only_its_tagged_cells(name):
    notebook_name, _, tag = EXPORTS[name]
    source = (ROOT / "app" / name).read_text()
    assert source.startswith(f"# Generated from notebooks/{notebook_name} by `make export-app`: do not edit.")
    assert "get_ipython" not in source and "test_client" not in source and "# In[" not in source
    notebook = nbformat.read(ROOT / "notebooks" / notebook_name, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            if tag in cell.metadata.get("tags", []):
                assert cell.source.strip() in source
            elif len(cell.source.strip()) > 40:
                assert cell.source.strip() not in source, "an untagged cell leaked into the export"
    if name == "app.py":  # `python app/app.py` starts Flask's development server, debug only on request
        assert source.rstrip().endswith('debug=os.environ.get("FLASK_DEBUG") == "1",\n    )')
    else:  # the article's app is started by `python3 -m flask run`: no hidden app.run() on 127.0.0.1
        assert "app.run(" not in source and "__main__" not in source


@pytest.mark.parametrize("name", EXPORTS)
def test_each_exported_block_names_the_cell_it_came_from(name):
    """A traceback's line in the generated file leads back to its notebook cell."""
    notebook_name, _, tag = EXPORTS[name]
    source = (ROOT / "app" / name).read_text()
    notebook = nbformat.read(ROOT / "notebooks" / notebook_name, as_version=4)
    exported = [(index, cell) for index, cell in enumerate(notebook.cells) if tag in cell.metadata.get("tags", [])]
    assert exported and source.count("# %% ") == len(exported)
    for index, cell in exported:
        start = source.index(f"# %% notebooks/{notebook_name}, cell {index}\n")
        following = source.find("# %% ", start + 1)
        assert cell.source.strip() in source[start : following if following != -1 else None], index
