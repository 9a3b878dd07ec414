"""The article image's requirements.txt, the article's way: pipreqs lists what app.py imports.

The article runs `pipreqs /home/project/location`. Plain pipreqs pins each package to its newest
release, asked of pypi.python.org, not to the versions that trained the pickles; `--use-local`
reads each package's top_level.txt, which the wheels of today's Flask and scikit-learn no longer
ship, so it writes an empty file. So this uses pipreqs's own scan of the imports and pins each
package to the version installed here, the one that trained the pickles.

    python -m spamcheck.tooling.article_requirements app/article   # writes app/article/requirements.txt
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

from pipreqs import pipreqs


def pins(folder: Path | str) -> list[str]:
    """``name==version`` for each package the Python files of ``folder`` import (not the standard library)."""
    names = pipreqs.get_pkg_names(pipreqs.get_all_imports(str(folder)))
    return [f"{name}=={version(name)}" for name in sorted(names, key=str.lower)]


def write(folder: Path | str) -> Path:
    path = Path(folder) / "requirements.txt"
    path.write_text("".join(f"{pin}\n" for pin in pins(folder)), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"Successfully saved requirements file in {write(sys.argv[1] if len(sys.argv) > 1 else '.')}")
