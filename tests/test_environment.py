"""requirements.txt and environment.yml pin the same versions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins_from_requirements(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line!r} is not pinned with =="
            pins[normalise(name)] = version
    return pins


def pins_from_environment(path: Path) -> dict[str, str]:
    pins = {}
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if "==" in line:
                    name, _, version = line.partition("==")
                    pins[normalise(name)] = version
        elif "=" in dep and not dep.startswith("python="):
            name, _, version = dep.partition("=")
            pins[normalise(name)] = version
    return pins


def test_environment_yml_matches_requirements():
    assert pins_from_environment(ROOT / "environment.yml") == pins_from_requirements(ROOT / "requirements.txt")


def test_environment_yml_uses_python_311():
    assert "python=3.11" in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
