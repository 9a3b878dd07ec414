"""model.npz and model_card.json: load, predict, and refuse what does not match (tests/test_model_file.py:
what would run code)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from drills.tamper import TAMPERINGS
from service import HAM, SPAM
from spamcheck.paths import sha256_bytes
from spamcheck.serving import artifacts

SMALL_KIND = "svm"  # the small corpus's model (tests/conftest.py: small_model_dir)


def test_artifacts_load_and_predict(small_model_dir):
    model = artifacts.load(small_model_dir)
    labels, probabilities = model.predict(["Call now to claim your free prize", "see you soon"])
    assert labels == [1, 0]  # plain lists, ready for JSON
    assert len(probabilities) == 2 and all(type(p) is float for p in probabilities)


def test_card_records_hashes_versions_and_data(small_model_dir):
    card = json.loads((small_model_dir / "model_card.json").read_text())
    assert card["kind"] == SMALL_KIND and card["model_version"].startswith(f"{SMALL_KIND}-")
    assert card["data_sha256"] == "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d"
    for name in ("feature.pkl", "model.pkl", "model.npz"):
        assert card["artifacts"][name]["sha256"] == sha256_bytes((small_model_dir / name).read_bytes())
    # the version names the file the service loads
    assert card["model_version"] == f"{SMALL_KIND}-{card['artifacts']['model.npz']['sha256'][:12]}"
    assert {"python", "scikit-learn", "numpy", "scipy"} <= card["versions"].keys()


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_a_tampered_model_is_refused_naming_the_file(tampering, small_model_dir, tmp_path):
    """Each way of tampering with models/, once (the drills then check the running service's 503s)."""
    change, named = TAMPERINGS[tampering]
    copy = tmp_path / "models"
    shutil.copytree(small_model_dir, copy)
    change(copy)
    with pytest.raises(artifacts.ArtifactError, match=named.replace(".", r"\.")):
        artifacts.load(copy)


def test_missing_models_say_to_train(tmp_path):
    with pytest.raises(artifacts.ArtifactError, match="make train"):
        artifacts.load(tmp_path)


def test_broken_card_names_the_file(small_model_dir, tmp_path):
    copy = tmp_path / "models"
    shutil.copytree(small_model_dir, copy)
    (copy / "model_card.json").write_text("{not json")
    with pytest.raises(artifacts.ArtifactError, match="model_card.json is not valid JSON"):
        artifacts.load(copy)


def test_the_card_records_what_the_nested_selection_chose(model_dir):
    # the default model (trained on the collection) chooses its settings inside its training data
    card = json.loads((model_dir / "model_card.json").read_text())
    assert card["selected_params"]["threshold"] == card["params"]["classifier__threshold"]
    assert card["selected_params"]["min_df"] == card["params"]["features__chars__min_df"]


def test_the_recipe_on_the_command_line_writes_a_model_the_service_loads(data_file, tmp_path):
    # `python -m spamcheck.training`: production.fit and production.export, as notebook 02 calls them
    done = subprocess.run(
        [sys.executable, "-m", "spamcheck.training", "--kind", "svm", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    model = artifacts.load(tmp_path)
    assert model.card["kind"] == "svm" and model.card["data_messages"] == 5574
    assert model.card["behaviour_pass_rates"] and f"model {model.version}" in done.stdout
    assert model.predict([HAM, SPAM])[0] == [0, 1]
