#!/usr/bin/env python3
"""`make outputs`, last step: in the stored outputs of the notebooks given, replace what changes with
every run and tells a reader nothing (a container's id and the name docker made up for it) by a
placeholder, so that a page shows the same each time. The executed outputs are not touched
otherwise; nbval ignores these cells' outputs anyway (they are tagged nbval-ignore-output).

    python scripts/mask_outputs.py notebooks/04_docker.ipynb ...
"""

from __future__ import annotations

import re
import sys

import nbformat

MASKS = [
    # a row of `docker ps`: the id first, the generated name last
    (re.compile(r"^[0-9a-f]{12}(\s{2,}.*\s{2,})[a-z]+_[a-z]+$", re.M), r"<container id>\1<name>"),
    # "container 0123456789ab", as notebook 04 prints the id `docker run -d` returned
    (re.compile(r"\bcontainer [0-9a-f]{12}\b"), "container <container id>"),
]


def mask(text: str) -> str:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def main(paths: list[str]) -> None:
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream":
                    output["text"] = mask(output["text"])
        nbformat.write(notebook, path)


if __name__ == "__main__":
    main(sys.argv[1:])
