"""Python 3.11, 3.12 and 3.13 are supported: `make` finds one of them and refuses the others."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess

import pytest
from packaging.specifiers import SpecifierSet

from service import ROOT

SUPPORTED, TOO_OLD = ("3.11", "3.12", "3.13"), "3.10"


@pytest.fixture(scope="module")
def interpreters(missing_tool) -> dict[str, str]:
    """{"3.10": path, "3.12": path, ...} from pyenv (these machines carry several Pythons)."""
    if shutil.which("pyenv") is None:
        missing_tool("pyenv is not installed: no other Python versions to try", "requires-pyenv")
    found = {}
    for version in subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split():
        path = subprocess.run(
            ["pyenv", "which", "python"], env={**os.environ, "PYENV_VERSION": version}, capture_output=True, text=True
        ).stdout.strip()
        found.setdefault(".".join(version.split(".")[:2]), path)
    if not {TOO_OLD, "3.12"} <= found.keys():
        missing_tool(f"pyenv has no Python {TOO_OLD} and 3.12 to try", "requires-pyenv")
    return found


def find_python(tmp_path, **links) -> subprocess.CompletedProcess:
    """scripts/find-python.sh with a PATH that holds only ``links`` (name -> interpreter)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, target in links.items():
        (folder / name).symlink_to(target)
    return subprocess.run(
        ["/bin/bash", str(ROOT / "scripts" / "find-python.sh")],
        env={"PATH": str(folder)},
        capture_output=True,
        text=True,
    )


def test_find_python_skips_an_unsupported_python3(interpreters, tmp_path):
    done = find_python(tmp_path, python3=interpreters[TOO_OLD], **{"python3.12": interpreters["3.12"]})
    assert (done.returncode, done.stdout.strip()) == (0, str(tmp_path / "bin" / "python3.12"))


def test_find_python_fails_when_none_is_supported(interpreters, tmp_path):
    assert find_python(tmp_path, python3=interpreters[TOO_OLD]).returncode == 1


def test_make_refuses_an_unsupported_python_and_says_what_to_do(interpreters, tmp_path):
    for name in ("Makefile", "requirements.txt", "pyproject.toml", "setup.py", "spamcheck/serving/_score.c"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    done = subprocess.run(
        ["make", "venv", f"PYTHON={interpreters[TOO_OLD]}"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and not (tmp_path / ".venv").exists()
    assert f"spamcheck supports Python 3.11 to 3.13, but {interpreters[TOO_OLD]} is {TOO_OLD}." in done.stderr
    assert "make PYTHON=/path/to/python3.12" in done.stderr


def test_pip_installs_the_package_only_on_a_supported_python():
    """What pip reads from the installed package's metadata: Requires-Python takes 3.11 to 3.13."""
    accepted = SpecifierSet(importlib.metadata.metadata("spamcheck")["Requires-Python"])
    assert all(f"{version}.0" in accepted for version in SUPPORTED)
    assert f"{TOO_OLD}.0" not in accepted and "3.14.0" not in accepted
