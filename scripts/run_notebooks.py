#!/usr/bin/env python3
"""Execute notebooks in order with papermill, into build/executed/ (what `make train` runs).

Cells tagged ``requires-docker`` or ``requires-minikube`` are skipped, loudly, when no container
engine or cluster answers. With ``--report`` the outputs of cells tagged ``report`` are printed.

    python scripts/run_notebooks.py notebooks/01_explore_data.ipynb notebooks/02_train_evaluate.ipynb
    python scripts/run_notebooks.py notebooks/02_train_evaluate.ipynb -p folds 3 -p candidates svm
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import papermill
import yaml

from spamcheck.tooling.engines import unmet_requirement


def prepare(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        tags = cell.metadata.get("tags", [])
        reason = unmet_requirement(tags)
        if reason and "skip-execution" not in tags:
            print(f"SKIPPED {path.name} cell {index}: {reason}", file=sys.stderr)
            cell.metadata["tags"] = [*tags, "skip-execution"]
    return notebook


def report(executed: nbformat.NotebookNode) -> None:
    for cell in executed.cells:
        if "report" in cell.metadata.get("tags", []):
            for output in cell.get("outputs", []):
                print(output.get("text") or output.get("data", {}).get("text/plain", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="papermill parameter (value parsed as YAML)",
    )
    parser.add_argument("--out", type=Path, default=Path("build/executed"))
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--report", action="store_true", help="print cells tagged 'report'")
    args = parser.parse_args(argv)
    parameters = {name: yaml.safe_load(value) for name, value in args.parameter}
    args.out.mkdir(parents=True, exist_ok=True)
    for path in args.notebooks:
        output = args.out / path.name
        print(f"==> {path} -> {output}", file=sys.stderr)
        try:
            papermill.execute_notebook(
                prepare(path),
                str(output),
                parameters=parameters,
                cwd=str(path.parent),
                execution_timeout=args.timeout,
                kernel_name="python3",
                progress_bar=sys.stderr.isatty(),
            )
        except papermill.PapermillExecutionError as exc:
            print(
                f"error: {path} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}\n"
                f"Open {output} to see the whole traceback.",
                file=sys.stderr,
            )
            return 1
        if args.report:
            report(nbformat.read(output, as_version=4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
