#!/usr/bin/env python3
"""`make docs`: stage the site's sources into build/site-src/ and build build/site/ with mkdocs.

The front page is README.md, so the repository's links (``docs/results.md``,
``notebooks/02_train_evaluate.ipynb``, ``docs/img/path.svg``) keep working on the site: the staging
folder mirrors the repository's layout. The notebooks are copied with their stored outputs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from spamcheck.paths import ROOT

STAGE = ROOT / "build" / "site-src"


def stage() -> None:
    shutil.rmtree(STAGE, ignore_errors=True)
    (STAGE / "notebooks").mkdir(parents=True)
    shutil.copy2(ROOT / "README.md", STAGE / "index.md")
    shutil.copytree(ROOT / "docs", STAGE / "docs")
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(notebook, STAGE / "notebooks" / notebook.name)


def main() -> int:
    stage()
    quiet = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's notice about its successor
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean"], cwd=ROOT, env=quiet)
    if built.returncode == 0:
        print(f"The site is in {ROOT / 'build' / 'site'}: open index.html, or serve the folder.")
    return built.returncode


if __name__ == "__main__":
    sys.exit(main())
