"""A serving fast path for the default model: TF-IDF words + chars and a calibrated linear SVM.

This module reads the fitted pipeline and checks the result against scikit-learn; the n-grams are
``fastpath_analyzers``' and the arithmetic ``fastpath_kernels``'.

Why: scikit-learn checks its inputs on every call (array validation, dataframe detection, joblib
for the FeatureUnion), milliseconds for one message, while the arithmetic takes microseconds.
A web service predicts one message per request, so those checks would be nearly all of its work.

What: :class:`CompiledLinearModel` reads the *fitted* scikit-learn objects and evaluates the
same formulas: the analyzers' n-grams (the same as scikit-learn's, written for speed, with each
word's character n-grams cached), their vocabulary columns, counts, ``1 + log(tf)``, times IDF,
L2 norm per vectorizer, the linear SVMs' decision values, each one's sigmoid calibration, their
mean, and the threshold. The arithmetic is one loop compiled to machine code by numba
(``fastpath_kernels``), which reads the columns straight from the bytes the analyzers join: under
load (cold CPU caches) every numpy call or new array costs more than the arithmetic on a few
hundred n-grams (docs/benchmarks.md has the measurements), so one message makes no numpy array in
Python. Nothing is re-learned.
tests/test_fastpath.py checks it against scikit-learn on all 5,574 messages, one at a time and in
one batch. Before a loaded model is served this way, :func:`compile_checked` compares it with
scikit-learn on :data:`PROBES`; a model of any other shape, or one that answers differently, is
served by scikit-learn itself, and ``/readyz`` says which (see ``artifacts.SpamModel``).
"""

from __future__ import annotations

import numpy as np

from spamcheck.serving import fastpath_kernels as kernels
from spamcheck.serving.examples import HAM, SPAM
from spamcheck.serving.fastpath_analyzers import Analyzers


class NotCompilable(TypeError):
    """The fitted objects are not the shape this fast path evaluates."""


def _vectorizers(features):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    if isinstance(features, TfidfVectorizer):
        parts = [features]
    elif isinstance(features, FeatureUnion) and features.transformer_weights is None:
        parts = [t for _, t in features.transformer_list if t not in ("drop", "passthrough")]
    else:
        raise NotCompilable(f"features are {type(features).__name__}, not TF-IDF")
    for vec in parts:
        if (
            not isinstance(vec, TfidfVectorizer)
            or vec.norm != "l2"
            or not vec.use_idf
            or vec.binary
            or not vec.sublinear_tf
        ):
            raise NotCompilable("only sublinear, l2-normalised TF-IDF vectorizers are compiled")
    return parts


def _calibrated_svms(classifier):
    """The calibrated SVMs, the decision threshold and the positive label, read as scikit-learn's
    FixedThresholdClassifier reads them (threshold "auto" is 0.5 on probabilities; pos_label None
    means the second class)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import FixedThresholdClassifier
    from sklearn.svm import LinearSVC

    if not (
        isinstance(classifier, FixedThresholdClassifier)
        and classifier.response_method == "predict_proba"
        and isinstance(classifier.estimator_, CalibratedClassifierCV)
        and classifier.estimator_.method == "sigmoid"
        and list(classifier.classes_) == [0, 1]
    ):
        raise NotCompilable(f"classifier is {type(classifier).__name__}, not a thresholded calibrated SVM")
    members = classifier.estimator_.calibrated_classifiers_
    if not all(isinstance(m.estimator, LinearSVC) and len(m.calibrators) == 1 for m in members):
        raise NotCompilable("calibrated members are not binary linear SVMs")
    threshold = 0.5 if classifier.threshold == "auto" else float(classifier.threshold)
    pos_label = 1 if classifier.pos_label is None else classifier.pos_label
    if pos_label not in (0, 1):
        raise NotCompilable(f"pos_label {pos_label!r} is not one of the classes 0, 1")
    return members, threshold, pos_label


# Texts the compiled model must answer exactly as scikit-learn before it serves: empty, short and
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


class CompiledLinearModel:
    """Spam probabilities and labels, equal to the scikit-learn pipeline's, without its overhead."""

    def __init__(self, features, classifier):
        vectorizers = _vectorizers(features)
        members, self.threshold, self.pos_label = _calibrated_svms(classifier)
        self.part_ends = np.cumsum([len(vec.vocabulary_) for vec in vectorizers], dtype=np.int64)
        self.analyzers = Analyzers(vectorizers, offsets=[0, *self.part_ends[:-1]])
        idf = np.concatenate([vec.idf_ for vec in vectorizers])
        try:  # the sigmoid's parameters (scikit-learn's _SigmoidCalibration; the probe check guards a rename)
            a = np.array([m.calibrators[0].a_ for m in members])
            b = np.array([m.calibrators[0].b_ for m in members])
        except AttributeError as exc:
            raise NotCompilable(f"the sigmoid calibrators have changed: {exc}") from None
        weights = np.vstack([m.estimator.coef_.ravel() for m in members]).T  # one row per feature
        if weights.shape[0] != self.part_ends[-1]:
            raise NotCompilable("the classifier's width does not match the features")
        self.table = np.ascontiguousarray(np.column_stack([idf, weights * a]), dtype=np.float64)
        # intercept_ is an array of one, or the float 0.0 when the SVM was fitted without one
        self.bias = a * np.array([float(np.ravel(m.estimator.intercept_)[0]) for m in members]) + b

    def predict(self, texts: list[str]) -> tuple[list[int], list[float]]:
        """Labels (1 = spam) and P(spam) for each text, as the scikit-learn pipeline gives them."""
        if len(texts) == 1:  # one web request: no numpy array made in Python
            column_bytes = self.analyzers.column_bytes(texts[0])
            probabilities = [kernels.one_probability(column_bytes, self.table, self.part_ends, self.bias)]
        else:
            column_bytes, bounds = self.analyzers.columns_of(texts)
            probabilities = kernels.probabilities(column_bytes, bounds, self.table, self.part_ends, self.bias).tolist()
        if self.pos_label == 1:
            return [int(p >= self.threshold) for p in probabilities], probabilities
        # pos_label 0 thresholds P(ham), as scikit-learn does: ham when it reaches the threshold
        return [int(not (1 - p) >= self.threshold) for p in probabilities], probabilities


def compile_checked(features, classifier, probes=PROBES) -> tuple[CompiledLinearModel | None, str | None]:
    """The compiled model, if it answers every probe exactly as scikit-learn does (the same labels,
    probabilities within 1e-9), one at a time and as one batch; else (None, why not). Never raises:
    a model the fast path cannot evaluate is served by scikit-learn instead."""
    try:
        compiled = CompiledLinearModel(features, classifier)
        matrix = features.transform(list(probes))
        expected_labels = classifier.predict(matrix).tolist()
        expected = classifier.predict_proba(matrix)[:, 1]
        answers = {
            "one at a time": [compiled.predict([text]) for text in probes],
            "as a batch": [compiled.predict(list(probes))],
        }
        for how, results in answers.items():
            labels = [label for result in results for label in result[0]]
            probabilities = [p for result in results for p in result[1]]
            if labels != expected_labels:
                text = next(t for t, got, want in zip(probes, labels, expected_labels) if got != want)
                return None, f"the compiled model differs from scikit-learn {how}: the label of {text!r}"
            if not np.allclose(probabilities, expected, rtol=0, atol=1e-9):
                return None, f"the compiled model differs from scikit-learn {how}: the spam probabilities"
        return compiled, None
    except Exception as exc:  # any shape or value it was not written for: scikit-learn serves
        return None, f"{type(exc).__name__}: {exc}"
