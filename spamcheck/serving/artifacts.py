"""Save and load the article's consumables: ``feature.pkl``, ``model.pkl`` and ``model_card.json``.

Pickles run code when loaded, so :func:`load` checks each file's sha256 against the model card
before unpickling it: a swapped or damaged file is refused with an error naming it.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from spamcheck.paths import DEFAULT_MODEL_DIR, sha256_bytes

# Only the standard library at import time (the fast path, with numpy and numba, when a model is
# loaded): the service image loads this module and should not need pandas or the training tools.

FEATURE_FILE, MODEL_FILE, CARD_FILE = "feature.pkl", "model.pkl", "model_card.json"


class ArtifactError(RuntimeError):
    """The model files are missing, damaged or do not match their model card."""


def model_dir() -> Path:
    return Path(os.environ.get("MODEL_DIR") or DEFAULT_MODEL_DIR)


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
        raise ArtifactError(
            f"{path} has sha256 {actual}, but the model card expects "
            f"{expected_sha256}: the file was replaced or damaged. Run `make train`."
        )
    return pickle.loads(blob)  # safe: the bytes are the ones the model card vouches for


@dataclass
class SpamModel:
    """The loaded feature extractor and classifier, and the card that describes them."""

    features: object
    classifier: object
    card: dict

    def __post_init__(self):
        from spamcheck.serving.fastpath import compile_checked

        # the fast path, if it answers the probes exactly as scikit-learn; otherwise scikit-learn serves
        self.fast, self.fast_path_problem = compile_checked(self.features, self.classifier)
        if self.fast_path_problem:
            logging.getLogger(__name__).warning(
                "model %s is served by scikit-learn, not the fast path: %s", self.version, self.fast_path_problem
            )

    @property
    def predictor(self) -> str:
        """What answers: "fast path", or "scikit-learn (why the fast path does not)"."""
        return "fast path" if self.fast is not None else f"scikit-learn ({self.fast_path_problem})"

    @property
    def version(self) -> str:
        return self.card["model_version"]

    def predict(self, texts: list[str]) -> tuple[list[int], list[float]]:
        """Return (labels as 0/1, spam probabilities) for ``texts``, as plain lists (what JSON needs)."""
        texts = [text.strip() for text in texts]
        if self.fast is not None:
            return self.fast.predict(texts)
        matrix = self.features.transform(texts)
        return self.classifier.predict(matrix).tolist(), self.classifier.predict_proba(matrix)[:, 1].tolist()


def load(directory: Path | str | None = None) -> SpamModel:
    """Load and verify the artifacts in ``directory`` (default: ``MODEL_DIR`` or ``models/``)."""
    directory = Path(directory or model_dir())
    card = read_card(directory)
    try:
        hashes = {name: card["artifacts"][name]["sha256"] for name in (FEATURE_FILE, MODEL_FILE)}
    except (KeyError, TypeError) as exc:
        raise ArtifactError(f"{directory / CARD_FILE} lists no sha256 for {exc}: run `make train`.") from exc
    return SpamModel(
        _load_verified(directory / FEATURE_FILE, hashes[FEATURE_FILE]),
        _load_verified(directory / MODEL_FILE, hashes[MODEL_FILE]),
        card,
    )
