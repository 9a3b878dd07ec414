"""The package's layers, as import-linter contracts (pyproject.toml, `[tool.importlinter]`):

spamcheck.paths        <- every layer (where things are, hashing, atomic writes)
spamcheck.serving      <- run time: what the image holds; imports only paths and itself
spamcheck.training     <- data, models, evaluation, export; may import serving
spamcheck.tooling      <- engines, local servers, manifests, port-forwards; may import both

no import cycles, and app/app.py (the service) imports only the run-time layer. `lint-imports` must
pass here, and fail on a copy of the code that breaks each contract.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from service import ROOT

PACKAGE = ROOT / "spamcheck"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(where), "PATH": str(LINT_IMPORTS.parent)},  # the copy's package, not the installed one
        timeout=120,
    )


def test_the_code_keeps_every_contract():
    done = lint_imports(ROOT)
    assert done.returncode == 0 and "4 kept, 0 broken" in done.stdout, done.stdout + done.stderr


# a change that breaks one contract: (file, line added at its top, the contract lint-imports must name)
BREAKS = {
    "serving imports training": ("spamcheck/serving/metrics.py", "import spamcheck.training.data", "Layers"),
    "a new module in no layer": ("spamcheck/extras.py", "", "Layers"),
    "a cycle inside a layer": (
        "spamcheck/serving/linear_model.py",
        "import spamcheck.serving.artifacts",
        "No import cycles",
    ),
    "the service imports scikit-learn": ("spamcheck/serving/kernels.py", "import sklearn", "no training library"),
    "the service imports tooling": ("app/app.py", "import spamcheck.tooling.engines", "The service"),
}


@pytest.mark.parametrize("change", BREAKS)
def test_lint_imports_fails_on_a_copy_that_breaks_a_contract(change, tmp_path):
    for name in ("spamcheck", "app"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path)
    path, line, contract = BREAKS[change]
    target = tmp_path / path
    target.write_text(line + "\n" + (target.read_text() if target.exists() else ""))
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    broken = done.stdout[done.stdout.index("Broken contracts") :]
    assert contract in broken, broken


def test_one_place_defines_the_repository_root():
    files = [
        *PACKAGE.rglob("*.py"),
        *(ROOT / "tests").glob("*.py"),
        *(ROOT / "scripts").glob("*.py"),
        ROOT / "conftest.py",
        ROOT / "app" / "gunicorn.conf.py",
    ]
    defined = [str(p.relative_to(ROOT)) for p in files if re.search(r"^ROOT = ", p.read_text(), re.M)]
    assert defined == ["spamcheck/paths.py"], defined
