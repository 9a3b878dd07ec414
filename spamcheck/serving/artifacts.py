"""Load the production model: ``model.npz``, checked against ``model_card.json``.

Training writes the article's pickles (``feature.pkl``, ``model.pkl``) and, for the linear models,
``model.npz``: the same model as numbers and text (``model_file``), whose loading runs no code. The
service loads ``model.npz`` only. :func:`load` first checks its sha256 against the model card, so a
swapped or damaged file is refused with an error naming it; a file that holds pickled objects is
refused even when the card vouches for it, with the names it would have run.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from spamcheck.paths import DEFAULT_MODEL_DIR, sha256_bytes

# Only the standard library at import time (numpy and the model's code when a model is loaded): the
# service image loads this module and has neither pandas, scikit-learn nor the training tools.

FEATURE_FILE, MODEL_FILE, CARD_FILE = "feature.pkl", "model.pkl", "model_card.json"  # the article's
SERVED_FILE = "model.npz"  # what the service loads


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


def _read_verified(path: Path, expected_sha256: str) -> bytes:
    """The bytes of ``path``, if their sha256 is the one the model card records."""
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
    return blob


@dataclass
class SpamModel:
    """The loaded model and the card that describes it."""

    npz_model: object  # a spamcheck.serving.npz_model.NpzModel: the arrays and how to score with them
    card: dict

    @property
    def version(self) -> str:
        return self.card["model_version"]

    def predict(self, texts: list[str]) -> tuple[list[int], list[float]]:
        """Return (labels as 0/1, spam probabilities) for ``texts``, as plain lists (what JSON needs)."""
        return self.npz_model.predict([text.strip() for text in texts])


def load(directory: Path | str | None = None) -> SpamModel:
    """Load and verify ``model.npz`` in ``directory`` (default: ``MODEL_DIR`` or ``models/``)."""
    from spamcheck.serving import model_file
    from spamcheck.serving.npz_model import NpzModel

    directory = Path(directory or model_dir())
    card = read_card(directory)
    try:
        expected = card["artifacts"][SERVED_FILE]["sha256"]
    except (KeyError, TypeError):
        kind = card.get("kind", "unknown") if isinstance(card, dict) else "unknown"
        raise ArtifactError(
            f"{directory / CARD_FILE} lists no {SERVED_FILE}: its {kind!r} model exists only as pickles, and "
            "the service serves the linear models (svm, svm_selected) from model.npz. Run `make train`."
        ) from None
    path = directory / SERVED_FILE
    blob = _read_verified(path, expected)
    try:
        model = NpzModel(*model_file.parse(blob, str(path)), source=str(path))
    except model_file.UntrustedContent as exc:
        logging.getLogger(__name__).error("refused %s: untrusted types %s", path, ", ".join(exc.imports) or "?")
        raise ArtifactError(str(exc)) from None
    except model_file.ModelFileError as exc:
        raise ArtifactError(str(exc)) from None
    if not model.compiled:
        logging.getLogger(__name__).warning(
            "spamcheck.serving._score is not built (the package was installed without a C compiler): "
            "scoring with numpy, several times slower per message. Install gcc (or clang) and "
            "reinstall: pip install -e ."
        )
    return SpamModel(model, card)
