"""Save and load the article's consumables: ``feature.pkl``, ``model.pkl`` and ``model_card.json``.

Pickles run code when loaded, so :func:`load` checks each file's sha256 against the model card
before unpickling it: a swapped or damaged file is refused with an error naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

# Only the standard library and numpy at import time: the service image loads this module and
# should not need pandas or the training tools.

FEATURE_FILE, MODEL_FILE, CARD_FILE = "feature.pkl", "model.pkl", "model_card.json"
# The repository root's models/ folder (git-ignored); MODEL_DIR overrides it.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models"


class ArtifactError(RuntimeError):
    """The model files are missing, damaged or do not match their model card."""


def model_dir() -> Path:
    return Path(os.environ.get("MODEL_DIR") or DEFAULT_MODEL_DIR)


def sha256_bytes(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def write_atomically(path: Path, blob: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(blob)
    os.replace(partial, path)


def _plain_params(pipeline) -> dict:
    """The pipeline's parameters that JSON can hold (nested estimators are named by class)."""
    params = {}
    for name, value in sorted(pipeline.get_params(deep=True).items()):
        if isinstance(value, (bool, int, float, str)) or value is None:
            params[name] = value
        elif isinstance(value, tuple) and all(isinstance(v, (int, float, str)) for v in value):
            params[name] = list(value)
        elif name.count("__") <= 1 and hasattr(value, "get_params"):
            params[name] = type(value).__name__
    return params


def export(pipeline, kind: str, description: str, metrics: dict[str, dict[str, float]],
           out_dir: Path | str, *, n_messages: int, n_spam: int, evaluation: dict) -> dict:
    """Write the fitted pipeline's two halves and a model card; return the card.

    ``metrics`` maps a protocol (``cv``, ``paper``) to its metric dict; the card stores them flat
    as ``cv_accuracy``, ``paper_mcc`` and so on.
    """
    import scipy
    import sklearn

    from spamcheck import data

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {FEATURE_FILE: pipeline.named_steps["features"],
             MODEL_FILE: pipeline.named_steps["classifier"]}
    hashes = {}
    for name, obj in files.items():
        blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        write_atomically(out_dir / name, blob)
        hashes[name] = {"sha256": sha256_bytes(blob), "bytes": len(blob)}
    card = {
        "model_version": f"{kind}-{hashes[MODEL_FILE]['sha256'][:12]}",
        "kind": kind,
        "description": description,
        "labels": {"0": "ham", "1": "spam"},
        "params": _plain_params(pipeline),
        **{f"{protocol}_{name}": round(value, 6)
           for protocol, values in metrics.items() for name, value in values.items()},
        "evaluation": evaluation,
        "data_url": data.UCI_URL,
        "data_sha256": data.DATA_SHA256,
        "data_messages": n_messages,
        "data_spam": n_spam,
        "artifacts": hashes,
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__, "scipy": scipy.__version__},
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    write_atomically(out_dir / CARD_FILE, (json.dumps(card, indent=2) + "\n").encode("utf-8"))
    return card


def read_card(directory: Path | str | None = None) -> dict:
    path = Path(directory or model_dir()) / CARD_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{path} does not exist: train a model first with `make train`.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path} is not valid JSON ({exc}): run `make train` again.") from exc


def _load_verified(path: Path, expected_sha256: str):
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise ArtifactError(f"{path} does not exist: train a model first with `make train`.") from None
    actual = sha256_bytes(blob)
    if actual != expected_sha256:
        raise ArtifactError(f"{path} has sha256 {actual}, but the model card expects "
                            f"{expected_sha256}: the file was replaced or damaged. Run `make train`.")
    return pickle.loads(blob)  # safe: the bytes are the ones the model card vouches for


@dataclass
class SpamModel:
    """The loaded feature extractor and classifier, and the card that describes them."""
    features: object
    classifier: object
    card: dict

    def __post_init__(self):
        from spamcheck.fastpath import CompiledLinearModel, NotCompilable
        try:  # the default model gets the fast path; any other is served by scikit-learn
            self.fast = CompiledLinearModel(self.features, self.classifier)
        except NotCompilable:
            self.fast = None

    @property
    def version(self) -> str:
        return self.card["model_version"]

    def predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return (labels as 0/1, spam probabilities) for ``texts``."""
        texts = [text.strip() for text in texts]
        if self.fast is not None:
            return self.fast.predict(texts)
        matrix = self.features.transform(texts)
        return self.classifier.predict(matrix), self.classifier.predict_proba(matrix)[:, 1]


def load(directory: Path | str | None = None) -> SpamModel:
    """Load and verify the artifacts in ``directory`` (default: ``MODEL_DIR`` or ``models/``)."""
    directory = Path(directory or model_dir())
    card = read_card(directory)
    try:
        hashes = {name: card["artifacts"][name]["sha256"] for name in (FEATURE_FILE, MODEL_FILE)}
    except (KeyError, TypeError) as exc:
        raise ArtifactError(f"{directory / CARD_FILE} lists no sha256 for {exc}: run `make train`.") from exc
    return SpamModel(_load_verified(directory / FEATURE_FILE, hashes[FEATURE_FILE]),
                     _load_verified(directory / MODEL_FILE, hashes[MODEL_FILE]), card)
