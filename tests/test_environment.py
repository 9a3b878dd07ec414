"""requirements.txt and environment.yml pin the same versions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from spamcheck.paths import ROOT


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


def test_image_requirements_match_the_development_pins():
    runtime = pins_from_requirements(ROOT / "app" / "requirements.txt")
    development = pins_from_requirements(ROOT / "requirements.txt")
    shared = runtime.keys() & development.keys()
    assert {"flask", "gunicorn", "scikit-learn", "numpy", "scipy"} <= shared
    assert {name: runtime[name] for name in shared} == {name: development[name] for name in shared}
    assert not {"jupyterlab", "pandas", "pytest"} & runtime.keys()
