"""Export a fitted pipeline as the article's consumables, ``feature.pkl`` and ``model.pkl``; for the
linear models, as ``model.npz`` too, the arrays the production service loads (no pickle:
``linear_export``); and a model card, ``model_card.json``, that records their sha256 (the service
refuses a file that does not match), the metrics, the data and the library versions."""

from __future__ import annotations

import json
import pickle
import platform
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy
import sklearn

from spamcheck.paths import sha256_bytes, write_atomically
from spamcheck.serving.artifacts import CARD_FILE, FEATURE_FILE, MODEL_FILE, SERVED_FILE
from spamcheck.serving.labels import LABELS
from spamcheck.training import data, linear_export, models


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


def read_halves(directory: Path | str) -> tuple:
    """The fitted halves as :func:`export_model` pickled them (our own files: unpickling trusts them),
    for comparing the served model with scikit-learn's own answers."""
    return tuple(pickle.loads((Path(directory) / name).read_bytes()) for name in (FEATURE_FILE, MODEL_FILE))


def write_card(
    out_dir: Path | str,
    kind: str,
    description: str,
    metrics: dict[str, dict[str, float]],
    *,
    n_messages: int,
    n_spam: int,
    evaluation: dict,
    params: dict | None = None,
    selected_params: dict | None = None,
    behaviour: dict | None = None,
) -> dict:
    """Write ``model_card.json`` for the ``feature.pkl`` and ``model.pkl`` already in ``out_dir``, and
    its ``model.npz`` if there is one (their sha256 is read from the files); return the card.

    ``metrics`` maps a protocol (``cv``, ``paper``, ``holdout``) to its metric dict; the card stores
    them flat as ``cv_accuracy``, ``paper_mcc`` and so on. ``behaviour`` holds the behaviour tests'
    pass rates.
    """
    out_dir = Path(out_dir)
    hashes = {}
    versioned = SERVED_FILE if (out_dir / SERVED_FILE).exists() else MODEL_FILE  # what the version names
    for name in dict.fromkeys((FEATURE_FILE, MODEL_FILE, versioned)):
        try:
            blob = (out_dir / name).read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"{out_dir / name} does not exist: save the pickles before the card") from None
        hashes[name] = {"sha256": sha256_bytes(blob), "bytes": len(blob)}
    card = {
        # the kind and the start of the served file's sha256 (model.pkl's for a model the service does not serve)
        "model_version": f"{kind}-{hashes[versioned]['sha256'][:12]}",
        "kind": kind,
        "description": description,
        "labels": {str(label): name for label, name in enumerate(LABELS)},  # {"0": "ham", "1": "spam"}
        "params": params or {},
        "selected_params": selected_params or {},  # JSON writes its tuples as arrays
        **{
            f"{protocol}_{name}": round(value, 6)
            for protocol, values in metrics.items()
            for name, value in values.items()
        },
        "evaluation": evaluation,
        "behaviour_pass_rates": behaviour or {},  # spamcheck.training.behaviour, on the exported model
        "data_url": data.UCI_URL,
        "data_sha256": data.DATA_SHA256,
        "data_messages": n_messages,
        "data_spam": n_spam,
        "artifacts": hashes,
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_atomically(out_dir / CARD_FILE, (json.dumps(card, indent=2) + "\n").encode("utf-8"))
    return card


def export_model(
    pipeline,
    kind: str,
    description: str,
    metrics: dict[str, dict[str, float]],
    out_dir: Path | str,
    *,
    n_messages: int,
    n_spam: int,
    evaluation: dict,
    behaviour: dict | None = None,
) -> dict:
    """Write the fitted pipeline's two halves, ``model.npz`` if it is a linear model the service
    evaluates (else none, and any older one goes), and a model card (:func:`write_card`); return the card.

    ``pipeline`` is a fitted candidate (for ``svm_selected``, its winner is saved and the card
    records what the inner selection chose as ``selected_params``).
    """
    selected = getattr(pipeline, "best_params_", None)
    pipeline = models.servable(pipeline)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {FEATURE_FILE: pipeline.named_steps["features"], MODEL_FILE: pipeline.named_steps["classifier"]}
    for name, obj in files.items():
        write_atomically(out_dir / name, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    try:
        write_atomically(out_dir / SERVED_FILE, linear_export.export_bytes(*files.values()))
    except linear_export.NotExportable:  # the article's forest, naive Bayes...: pickles only
        (out_dir / SERVED_FILE).unlink(missing_ok=True)
    return write_card(
        out_dir,
        kind,
        description,
        metrics,
        n_messages=n_messages,
        n_spam=n_spam,
        evaluation=evaluation,
        params=_plain_params(pipeline),
        selected_params=selected,
        behaviour=behaviour,
    )
