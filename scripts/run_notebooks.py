#!/usr/bin/env python3
"""Execute notebooks in order with papermill, into build/executed/ (what `make train` runs).

A cell whose tool (docker, podman, minikube, kubectl) is missing skips itself and prints a line
starting ``SKIPPED``; those lines are repeated here. With ``--report`` the outputs of cells tagged
``report`` are printed.

    python scripts/run_notebooks.py notebooks/01_explore_data.ipynb notebooks/02_train_evaluate.ipynb notebooks/07_production_models.ipynb
    python scripts/run_notebooks.py notebooks/07_production_models.ipynb -p folds 3 -p candidates svm
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import papermill
import yaml


def skipped_lines(executed: nbformat.NotebookNode) -> list[str]:
    return [
        line
        for cell in executed.cells
        for output in cell.get("outputs", [])
        for line in (output.get("text") or "").splitlines()
        if line.startswith("SKIPPED ")
    ]


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
                str(path),
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
        executed = nbformat.read(output, as_version=4)
        for line in skipped_lines(executed):
            print(f"{path.name}: {line}", file=sys.stderr)
        if args.report:
            report(executed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
