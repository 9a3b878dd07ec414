"""Run by another Python interpreter in tests/test_portability.py: train and export, or load and
predict, then print what came out as JSON (floats as exact hex strings) on stdout.

    python tests/portable_predict.py predict MODEL_DIR    # load MODEL_DIR, predict MESSAGES
    python tests/portable_predict.py export MODEL_DIR DATA_FILE  # train the default model, export, predict
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's spamcheck

from spamcheck.serving import artifacts  # noqa: E402
from spamcheck.serving.examples import HAM, SPAM  # noqa: E402

# Short, long, empty, non-ASCII, ham and spam: the same list on both sides.
MESSAGES = [
    HAM,
    SPAM,
    "",
    "Ünïcödé ñ 漢字 😀",
    "FREE entry to win, txt WIN to 87121",
    "ok see u at 7 " * 50,
    "Your parcel is held: pay the £1.99 fee at http://bit.ly/x",
    "Your code is 482913",
]


def answers(model_dir: str) -> dict:
    from spamcheck.training.export import read_halves

    model = artifacts.load(model_dir)
    labels, probabilities = model.predict(MESSAGES)  # model.npz, as the service uses it
    features, classifier = read_halves(model_dir)
    matrix = features.transform([text.strip() for text in MESSAGES])  # and scikit-learn's own answer
    return {
        "python": platform.python_version(),
        "labels": [int(x) for x in labels],
        "probabilities": [float(p).hex() for p in probabilities],
        "sklearn_labels": [int(x) for x in classifier.predict(matrix)],
        "sklearn_probabilities": [float(p).hex() for p in classifier.predict_proba(matrix)[:, 1]],
    }


def export(model_dir: str, data_file: str) -> None:
    from spamcheck.training import data, models
    from spamcheck.training.export import export_model

    frame = data.parse(data_file)
    pipeline = models.build("svm").fit(frame["text"], frame["y"])
    export_model(
        pipeline,
        "svm",
        models.DESCRIPTIONS["svm"],
        {"cv": {"accuracy": 0.0}},
        model_dir,
        n_messages=len(frame),
        n_spam=int(frame["y"].sum()),
        evaluation={},
    )


if __name__ == "__main__":
    command, directory, *data_file = sys.argv[1:]
    if command == "export":
        export(directory, *data_file)
    print(json.dumps(answers(directory)))
