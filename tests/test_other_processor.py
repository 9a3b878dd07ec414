"""The stored outputs hold on a machine whose floats differ from ours.

Another processor (other BLAS kernels, other vector instructions) trains a model with the same
metrics but other bytes, so another model version: the version is the kind and the start of
model.npz's sha256 (docs/configuration.md). This test makes such a model here: the model of
``models/``, the one the stored outputs were made with, with one weight nudged in its last bit
and a card that matches it. Then nbval runs every notebook that serves ``MODEL_DIR`` with it.
Notebook 02 trains its own model (its version cells are checked through the same sanitizer), and
04-05 put ``models/`` into an image: their version lines are covered by the sanitizer test below.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from nbval.plugin import get_sanitize_patterns

from spamcheck.paths import ROOT, sha256_bytes
from spamcheck.serving import artifacts, model_file

SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
# The notebooks that load the model of MODEL_DIR (10 through the server conftest.py starts for it).
SERVING_NOTEBOOKS = ["notebooks/08_production_service.ipynb", "notebooks/10_production_deployment.ipynb"]


def other_processor_model(source, destination):
    """Copy the model of ``source``, nudge one weight of model.npz by one ulp, and write a card whose
    hash and version match the new bytes; return (old version, new version)."""
    shutil.copytree(source, destination)
    card = artifacts.read_card(destination)
    path = destination / artifacts.SERVED_FILE
    spec, arrays = model_file.parse(path.read_bytes(), str(path))
    arrays["weights"][0, 0] = np.nextafter(arrays["weights"][0, 0], np.inf)
    blob = model_file.to_bytes(spec, arrays)
    path.write_bytes(blob)
    digest = sha256_bytes(blob)
    card["artifacts"][artifacts.SERVED_FILE] = {"sha256": digest, "bytes": len(blob)}
    old = card["model_version"]
    card["model_version"] = f"{card['kind']}-{digest[:12]}"
    (destination / artifacts.CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return old, card["model_version"]


def sanitize(text: str) -> str:
    for pattern, replacement in get_sanitize_patterns(SANITIZE.read_text(encoding="utf-8")):
        text = re.sub(pattern, replacement, text)
    return text


@pytest.mark.parametrize("kind", ["article", "svm_selected", "logreg", "naive_bayes", "svm", "a_new_kind"])
def test_the_sanitizer_hides_which_bytes_a_model_has(kind):
    """Two versions of one kind, as two processors name it, read the same to nbval."""
    here, there = f"model: {kind}-9fe5f1e4a10f", f"model: {kind}-2cf620e0f219"
    assert sanitize(here) == sanitize(there) != here


@pytest.mark.notebooks
def test_notebooks_pass_with_a_model_trained_on_another_processor(tmp_path):
    old, new = other_processor_model(artifacts.model_dir(), tmp_path / "models")
    assert old != new
    assert artifacts.load(tmp_path / "models").version == new  # the card vouches for the new bytes
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *SERVING_NOTEBOOKS,
            "--nbval",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            str(SANITIZE.relative_to(ROOT)),
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "-q",
        ],
        cwd=ROOT,
        env={**os.environ, "MODEL_DIR": str(tmp_path / "models")},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
