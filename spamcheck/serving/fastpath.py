"""A serving fast path for the default model: TF-IDF words + chars and a calibrated linear SVM.

Why: scikit-learn checks its inputs on every call (array validation, dataframe detection, joblib
for the FeatureUnion), about 12 ms for one message, while the arithmetic takes well under 1 ms.
A web service predicts one message per request, so those checks would be nearly all of its work.

What: :class:`CompiledLinearModel` reads the *fitted* scikit-learn objects and evaluates the
same formulas with vectorised numpy over the whole batch: scikit-learn's own analyzers split the
text, then counts, ``1 + log(tf)``, times IDF, L2 norm per vectorizer, the linear SVMs'
decision values, each one's sigmoid calibration, their mean, and the threshold. Nothing is
re-learned. tests/test_fastpath.py checks it against scikit-learn on all 5,574 messages.
Models of any other shape are served by scikit-learn itself (see ``artifacts.SpamModel``).
"""

from __future__ import annotations

import re
from itertools import chain, repeat

import numpy as np
from scipy.special import expit

_WHITE_SPACES = re.compile(r"\s\s+")  # what scikit-learn's char_wb analyzer collapses


def _char_wb_analyzer(vectorizer):
    """scikit-learn's ``char_wb`` analyzer for a plain vectorizer, about twice as fast.

    The same n-grams as ``vectorizer.build_analyzer()`` (order aside, which counting ignores):
    lowercase, runs of white space collapsed, then for each word padded with one space, every
    n-gram for n in the range, and a word shorter than n counted once as a whole.
    """
    min_n, max_n = vectorizer.ngram_range
    sizes = range(min_n, max_n + 1)

    def analyze(text: str) -> list[str]:
        grams = []
        for word in _WHITE_SPACES.sub(" ", text.lower()).split():
            word = f" {word} "
            length = len(word)
            for n in sizes:
                if length <= n:
                    grams.append(word)
                    break
                grams += [word[i : i + n] for i in range(length - n + 1)]
        return grams

    return analyze


def _analyzer(vectorizer):
    plain = (
        vectorizer.input == "content"
        and vectorizer.lowercase
        and vectorizer.strip_accents is None
        and vectorizer.preprocessor is None
    )
    return _char_wb_analyzer(vectorizer) if vectorizer.analyzer == "char_wb" and plain else vectorizer.build_analyzer()


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
    threshold = float(classifier.threshold)
    return members, threshold


class CompiledLinearModel:
    """Spam probabilities and labels, equal to the scikit-learn pipeline's, without its overhead."""

    def __init__(self, features, classifier):
        vectorizers = _vectorizers(features)
        members, self.threshold = _calibrated_svms(classifier)
        self.analyzers = [_analyzer(vec) for vec in vectorizers]
        self.vocabularies = [vec.vocabulary_ for vec in vectorizers]
        self.offsets = np.cumsum([0] + [len(v) for v in self.vocabularies])
        self.idf = np.concatenate([vec.idf_ for vec in vectorizers])
        # one row of weights per calibrated SVM, over the concatenated feature space
        self.weights = np.vstack([m.estimator.coef_.ravel() for m in members])
        self.intercepts = np.array([m.estimator.intercept_[0] for m in members])
        self.a = np.array([m.calibrators[0].a_ for m in members])
        self.b = np.array([m.calibrators[0].b_ for m in members])
        # (analyzer, vocabulary lookup, column offset) per vectorizer
        self.parts = [
            (analyze, vocabulary.get, int(offset))
            for analyze, vocabulary, offset in zip(self.analyzers, self.vocabularies, self.offsets)
        ]
        if self.weights.shape[1] != self.offsets[-1]:
            raise NotCompilable("the classifier's width does not match the features")

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """P(spam) for each text (what ``classifier.predict_proba(features.transform(texts))[:, 1]`` gives)."""
        n_parts, width = len(self.analyzers), int(self.offsets[-1])
        # every known n-gram occurrence as one integer: (document, part) segment * width + column;
        # the vocabulary lookups run in C (map, fromiter), not in a Python loop per n-gram
        chunks = []
        for part, (analyze, get, offset) in enumerate(self.parts):
            grams = [analyze(text) for text in texts]
            flat = list(chain.from_iterable(grams))
            columns = np.fromiter(map(get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
            documents = np.repeat(np.arange(len(texts), dtype=np.int64), [len(g) for g in grams])
            known = columns >= 0
            chunks.append((documents[known] * n_parts + part) * width + offset + columns[known])
        keys = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        decision = np.zeros((len(self.intercepts), len(texts)))
        if keys.size:
            unique, counts = np.unique(keys, return_counts=True)
            segments, columns = np.divmod(unique, width)
            values = (np.log(counts) + 1.0) * self.idf[columns]  # sublinear tf * idf
            norms = np.sqrt(np.bincount(segments, values**2, minlength=len(texts) * n_parts))
            values /= norms[segments]  # l2 per vectorizer
            documents = segments // n_parts
            for member, weights in enumerate(self.weights):
                decision[member] = np.bincount(documents, values * weights[columns], minlength=len(texts))
        decision += self.intercepts[:, None]
        return expit(-(self.a[:, None] * decision + self.b[:, None])).mean(axis=0)

    def predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        probabilities = self.predict_proba(texts)
        return (probabilities >= self.threshold).astype(np.int64), probabilities
