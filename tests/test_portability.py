"""A model trained under one supported Python is served under another with identical answers.

The image runs Python 3.11; learners train under 3.11, 3.12 or 3.13. The second interpreter is a
venv with the same pinned requirements, named by SPAMCHECK_OTHER_PYTHON (`.ci/run` makes one for
3.13 and points the two runs of the suite at each other, so both directions are checked).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from service import ROOT

HELPER = ROOT / "tests" / "portable_predict.py"
sys.path.insert(0, str(HELPER.parent))
import portable_predict  # noqa: E402


@pytest.fixture(scope="module")
def other_python(missing_tool):
    path = os.environ.get("SPAMCHECK_OTHER_PYTHON", "")
    if not path:
        missing_tool(
            "SPAMCHECK_OTHER_PYTHON is not set: no second Python to load the model with "
            "(.ci/run sets it; or point it at another venv's python with the pinned requirements)",
            "requires-other-python",
        )
    version = subprocess.run(
        [path, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert version[:4] != platform.python_version()[:4], (
        f"{path} is Python {version}, the same minor version as this one"
    )
    return path


def run_helper(python, *args):
    done = subprocess.run(
        [python, str(HELPER), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def same_answers(there: dict, here: dict) -> None:
    for key in ("labels", "probabilities", "sklearn_labels", "sklearn_probabilities"):
        assert there[key] == here[key], f"{key}: Python {there['python']} and {here['python']} disagree"
    assert here["labels"][:2] == [0, 1]  # the ham and the spam


def test_trained_here_served_by_the_other_python(other_python, model_dir, record_property):  # no Python, no model
    there = run_helper(other_python, "predict", str(model_dir))
    same_answers(there, portable_predict.answers(str(model_dir)))
    record_property(
        "model portability", f"trained under {platform.python_version()}, identical answers under {there['python']}"
    )


def test_trained_by_the_other_python_served_here(other_python, data_file, tmp_path):
    there = run_helper(other_python, "export", str(tmp_path), str(data_file))
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["versions"]["python"] == there["python"]
    same_answers(there, portable_predict.answers(str(tmp_path)))
