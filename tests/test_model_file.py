"""model.npz runs no code when loaded: a file that would, even one the model card vouches for, is
refused by the running service, which says why and names the file and what it would have run."""

from __future__ import annotations

import io
import json
import pathlib
import pickle
import shutil

import httpx
import numpy as np
import pytest

from spamcheck.paths import sha256_bytes
from spamcheck.serving import artifacts, model_file
from spamcheck.tooling.localserver import Gunicorn

# Where Python keeps what the hostile pickle names (pathlib._local from Python 3.13 on)
TOUCH = f"{pathlib.Path.touch.__module__}.{pathlib.Path.touch.__qualname__}"
PATH = f"{pathlib.Path.__module__}.Path"
CONCRETE_PATH = f"{type(pathlib.Path()).__module__}.{type(pathlib.Path()).__qualname__}"


class Hostile:
    """Unpickled, it creates ``marker``: what a writer's code could do instead (any code at all)."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def npz(spec: dict, **arrays) -> bytes:
    """A model file written by numpy itself, as an attacker would, with any arrays."""
    buffer = io.BytesIO()
    np.savez(buffer, spec=np.array(json.dumps({"format": model_file.FORMAT, **spec})), **arrays)
    return buffer.getvalue()


def hostile_npz(small_model_dir, marker) -> bytes:
    """The real model.npz with its weights replaced by an object array that creates ``marker``."""
    spec, arrays = model_file.parse((small_model_dir / artifacts.SERVED_FILE).read_bytes(), "model.npz")
    return npz(spec, **{**arrays, "weights": np.array([Hostile(marker)], dtype=object)})


def vouched_copy(small_model_dir, destination, blob: bytes):
    """A copy of ``small_model_dir`` whose model.npz is ``blob``, with the card's hash updated to match."""
    shutil.copytree(small_model_dir, destination)
    (destination / artifacts.SERVED_FILE).write_bytes(blob)
    card = artifacts.read_card(destination)
    card["artifacts"][artifacts.SERVED_FILE]["sha256"] = sha256_bytes(blob)
    (destination / artifacts.CARD_FILE).write_text(json.dumps(card))
    return destination


def test_the_hostile_file_really_runs_code_when_numpy_unpickles_it(small_model_dir, tmp_path):
    marker = tmp_path / "marker"
    with np.load(io.BytesIO(hostile_npz(small_model_dir, marker)), allow_pickle=True) as members:
        members["weights"]  # what a loader that trusts pickles does
    assert marker.exists()


def test_the_service_refuses_a_model_that_would_run_code_and_says_why(small_model_dir, tmp_path):
    marker = tmp_path / "marker"
    models = vouched_copy(small_model_dir, tmp_path / "models", hostile_npz(small_model_dir, marker))
    server = Gunicorn(models, tmp_path / "gunicorn.log")
    try:
        answer = httpx.get(f"{server.url}/readyz", timeout=10)
        assert answer.status_code == 503
        reason = answer.json()["error"]
        assert f"{models / 'model.npz'}: weights.npy holds pickled Python objects" in reason
        assert TOUCH in reason
        assert httpx.get(f"{server.url}/predict", params={"text": "hi"}, timeout=10).status_code == 503
    finally:
        server.stop()
    assert not marker.exists(), "loading the model ran the file's code"
    refusal = next(line for line in server.logs().splitlines() if f"refused {models / 'model.npz'}" in line)
    assert "ERROR" in refusal and "untrusted types" in refusal and TOUCH in refusal, refusal


def test_a_pickle_in_place_of_the_model_is_refused_by_name(small_model_dir, tmp_path):
    marker = tmp_path / "marker"
    models = vouched_copy(small_model_dir, tmp_path / "models", pickle.dumps(Hostile(marker)))
    with pytest.raises(
        artifacts.ArtifactError, match=r"model\.npz is a pickle, which would import and run .*Path\.touch"
    ):
        artifacts.load(models)
    assert not marker.exists()


@pytest.mark.parametrize(
    "blob, problem",
    [
        (b"", "not a model.npz"),
        (b"PK\x03\x04 a broken zip", "not a model.npz"),
        (model_file.to_bytes({}, {"weights": np.zeros(3)})[:-30], "damaged"),
        (model_file.to_bytes({}, {"weights": np.zeros(3)}), "does not describe a linear model"),
        (npz({}, weights=np.zeros(2, dtype="datetime64[s]")), "weights.npy has dtype datetime64"),
    ],
)
def test_a_damaged_or_foreign_file_is_refused_naming_it(blob, problem, small_model_dir, tmp_path):
    models = vouched_copy(small_model_dir, tmp_path / "models", blob)
    with pytest.raises(artifacts.ArtifactError, match=problem) as refused:
        artifacts.load(models)
    assert str(models / "model.npz") in str(refused.value)


def test_pickle_imports_reads_every_protocol_without_running_it(tmp_path):
    marker = tmp_path / "marker"
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        imports = model_file.pickle_imports(pickle.dumps([Hostile(marker), Hostile(marker)], protocol=protocol))
        # protocols 0-3 reach the method through getattr (Python 2's __builtin__ before protocol 3)
        called = [TOUCH] if protocol >= 4 else [PATH, "builtins.getattr" if protocol == 3 else "__builtin__.getattr"]
        assert imports == sorted([*called, CONCRETE_PATH]), (protocol, imports)
    assert not marker.exists()


def test_a_model_file_is_never_written_with_objects():
    with pytest.raises(model_file.ModelFileError, match="numbers or text only"):
        model_file.to_bytes({}, {"weights": np.array([object()], dtype=object)})
