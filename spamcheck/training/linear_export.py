"""Write a fitted TF-IDF + calibrated linear SVM pipeline as ``model.npz``: the production model as
plain arrays (``spamcheck.serving.model_file``), which the service evaluates without scikit-learn
(``spamcheck.serving.npz_model``).

:func:`to_arrays` reads the fitted objects; a pipeline of another shape raises :class:`NotExportable`
saying what differs. :func:`export_bytes` then checks the arrays' answers against scikit-learn's on
:data:`PROBES` before returning the file: a model that would answer differently is never written
(:class:`ExportMismatch`).
"""

from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from spamcheck.serving import model_file
from spamcheck.serving.analyzers import DEFAULT_TOKEN_PATTERN
from spamcheck.serving.examples import HAM, SPAM
from spamcheck.serving.npz_model import NpzModel


class NotExportable(TypeError):
    """The fitted objects are not the shape that ``model.npz`` describes."""


class ExportMismatch(RuntimeError):
    """The arrays answer differently from the pipeline they were read from: a bug, never written."""


def _vectorizer_spec(vec) -> dict:
    """The analyzer and n-gram range of a vectorizer that the serving analyzers reproduce."""
    if not isinstance(vec, TfidfVectorizer):
        raise NotExportable(f"features are {type(vec).__name__}, not TF-IDF")
    if vec.norm != "l2" or not vec.use_idf or vec.binary or not vec.sublinear_tf:
        raise NotExportable("only sublinear, l2-normalised TF-IDF vectorizers are exported")
    plain = vec.input == "content" and vec.lowercase and vec.strip_accents is None and vec.preprocessor is None
    word = vec.tokenizer is None and vec.stop_words is None and vec.token_pattern == DEFAULT_TOKEN_PATTERN
    if not (plain and (vec.analyzer == "char_wb" or (vec.analyzer == "word" and word))):
        raise NotExportable(
            f"the {vec.analyzer!r} analyzer with these settings is not reproduced by the service (it reads "
            "lowercased text, char_wb n-grams or words of the default token pattern, nothing else)"
        )
    return {"analyzer": vec.analyzer, "ngram_range": list(vec.ngram_range)}


def _vectorizers(features) -> list:
    if isinstance(features, TfidfVectorizer):
        return [features]
    if isinstance(features, FeatureUnion) and features.transformer_weights is None:
        return [t for _, t in features.transformer_list if t not in ("drop", "passthrough")]
    raise NotExportable(f"features are {type(features).__name__}, not TF-IDF")


def _calibrated_svms(classifier):
    """The calibrated SVMs, the decision threshold and the positive label, read as scikit-learn's
    FixedThresholdClassifier reads them (threshold "auto" is 0.5 on probabilities; pos_label None
    means the second class)."""
    if not (
        isinstance(classifier, FixedThresholdClassifier)
        and classifier.response_method == "predict_proba"
        and isinstance(classifier.estimator_, CalibratedClassifierCV)
        and classifier.estimator_.method == "sigmoid"
        and list(classifier.classes_) == [0, 1]
    ):
        raise NotExportable(f"classifier is {type(classifier).__name__}, not a thresholded calibrated SVM")
    members = classifier.estimator_.calibrated_classifiers_
    if not all(isinstance(m.estimator, LinearSVC) and len(m.calibrators) == 1 for m in members):
        raise NotExportable("calibrated members are not binary linear SVMs")
    threshold = 0.5 if classifier.threshold == "auto" else float(classifier.threshold)
    pos_label = 1 if classifier.pos_label is None else classifier.pos_label
    if pos_label not in (0, 1):
        raise NotExportable(f"pos_label {pos_label!r} is not one of the classes 0, 1")
    return members, threshold, pos_label


def to_arrays(features, classifier) -> tuple[dict, dict[str, np.ndarray]]:
    """The description and the arrays of ``model.npz`` for the fitted halves of a pipeline."""
    vectorizers = _vectorizers(features)
    specs = [_vectorizer_spec(vec) for vec in vectorizers]
    members, threshold, pos_label = _calibrated_svms(classifier)
    try:  # the sigmoid's parameters (scikit-learn's _SigmoidCalibration; the probe check guards a rename)
        a = np.array([m.calibrators[0].a_ for m in members])
        b = np.array([m.calibrators[0].b_ for m in members])
    except AttributeError as exc:
        raise NotExportable(f"the sigmoid calibrators have changed: {exc}") from None
    weights = np.vstack([m.estimator.coef_.ravel() for m in members]).T  # one row per feature
    if weights.shape[0] != sum(len(vec.vocabulary_) for vec in vectorizers):
        raise NotExportable("the classifier's width does not match the features")
    # intercept_ is an array of one, or the float 0.0 when the SVM was fitted without one
    intercepts = np.array([float(np.ravel(m.estimator.intercept_)[0]) for m in members])
    arrays = {
        "idf": np.concatenate([vec.idf_ for vec in vectorizers]).astype(np.float64),
        "weights": np.ascontiguousarray(weights * a, dtype=np.float64),
        "bias": a * intercepts + b,
    }
    for i, vec in enumerate(vectorizers):
        terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)  # column order
        arrays[f"vocabulary_{i}"] = np.array(terms, dtype=str)
        stored = arrays[f"vocabulary_{i}"].tolist()
        if stored != terms:  # numpy's str arrays drop trailing NUL characters: 'b\x00' would read back 'b'
            term = next(t for t, back in zip(terms, stored) if t != back)
            raise NotExportable(
                f"vectorizer {i}'s n-gram {term!r} cannot be stored exactly in model.npz (numpy drops a "
                "trailing NUL character): train on text without NUL characters"
            )
    return {"vectorizers": specs, "threshold": threshold, "pos_label": int(pos_label)}, arrays


# Texts the exported model must answer exactly as scikit-learn before it is written: empty, short and
# long, cased and accented, digits, currency, URLs, repeated words, and the collection's kinds.
PROBES = (
    "",
    " ",
    "ok",
    "Ok lar... Joking wif u oni...",
    HAM,
    SPAM,
    "FREE entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. Text FA to 87121",
    "WINNER!! As a valued network customer you have been selected to receive a £900 prize reward!",
    "Sorry, I'll call later",
    "Café crème à la carte: naïve résumé",
    "ÉCRIS-MOI VITE!!! www.example.com/win?x=1 &lt;#&gt;",
    "call call call call call 0800 0800 0800",
    "\tspaces   and\nnewlines\r\n",
    "Your parcel is on hold: pay the £1.99 fee at https://parcel-example.com",
    "Hi Mum, this is my new number, can you text me back",
    "a" * 300,
    " ".join(["word"] * 200),
)


def differences(model: NpzModel, features, classifier, texts=PROBES) -> str | None:
    """What ``model`` answers differently from scikit-learn on ``texts`` (the same labels and
    probabilities within 1e-9, one at a time and as one batch), or None."""
    matrix = features.transform(list(texts))
    expected_labels = classifier.predict(matrix).tolist()
    expected = classifier.predict_proba(matrix)[:, 1]
    answers = {
        "one at a time": [model.predict([text]) for text in texts],
        "as a batch": [model.predict(list(texts))],
    }
    for how, results in answers.items():
        labels = [label for result in results for label in result[0]]
        probabilities = [p for result in results for p in result[1]]
        if labels != expected_labels:
            text = next(t for t, got, want in zip(texts, labels, expected_labels) if got != want)
            return f"model.npz differs from scikit-learn {how}: the label of {text!r}"
        if not np.allclose(probabilities, expected, rtol=0, atol=1e-9):
            return f"model.npz differs from scikit-learn {how}: the spam probabilities"
    return None


def export_bytes(features, classifier) -> bytes:
    """``model.npz``'s bytes for the fitted halves, once the file's own answers, read back as the
    service reads them, equal scikit-learn's on :data:`PROBES` (else :class:`ExportMismatch`)."""
    blob = model_file.to_bytes(*to_arrays(features, classifier))
    problem = differences(NpzModel(*model_file.parse(blob, "model.npz")), features, classifier)
    if problem:
        raise ExportMismatch(problem)
    return blob
