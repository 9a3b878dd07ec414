"""A serving fast path for the default model: TF-IDF words + chars and a calibrated linear SVM.

Why: scikit-learn checks its inputs on every call (array validation, dataframe detection, joblib
for the FeatureUnion), about 12 ms for one message, while the arithmetic takes well under 1 ms.
A web service predicts one message per request, so those checks would be nearly all of its work.

What: :class:`CompiledLinearModel` reads the *fitted* scikit-learn objects and evaluates the
same formulas: the analyzers' n-grams (the same as scikit-learn's, written for speed, with each
word's character n-grams cached), their vocabulary columns, counts, ``1 + log(tf)``, times IDF,
L2 norm per vectorizer, the linear SVMs' decision values, each one's sigmoid calibration, their
mean, and the threshold; vectorised over a whole batch, and with as few numpy calls as possible
for one text. Nothing is re-learned. tests/test_fastpath.py checks both against scikit-learn on
all 5,574 messages.
Models of any other shape are served by scikit-learn itself (see ``artifacts.SpamModel``).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import chain

import numpy as np
from scipy.special import expit

_WHITE_SPACES = re.compile(r"\s\s+")  # what scikit-learn's char_wb analyzer collapses


# Distinct words whose char_wb columns are kept per worker (at most about 10 MB; the least recently
# used go first). Messages reuse a small vocabulary (the collection has 13,627 distinct
# words), so nearly every word of a new message has been seen before.
WORD_CACHE_SIZE = 20_000


def _char_wb_grams(min_n: int, max_n: int):
    """The char_wb n-grams of one lowercased word, as scikit-learn makes them (order aside, which
    counting ignores): the word padded with one space, every n-gram for n in the range, and a
    word shorter than n counted once as a whole."""
    sizes = range(min_n, max_n + 1)

    def grams(word: str) -> list[str]:
        word = f" {word} "
        length, out = len(word), []
        for n in sizes:
            if length <= n:
                out.append(word)
                break
            out += [word[i : i + n] for i in range(length - n + 1)]
        return out

    return grams


def _word_grams(vectorizer):
    """scikit-learn's ``word`` analyzer for a plain vectorizer (no tokenizer or stop words): the
    token pattern's matches in the lowercased text, then its word n-grams joined by one space."""
    tokens_of = re.compile(vectorizer.token_pattern).findall
    min_n, max_n = vectorizer.ngram_range

    def grams(text: str) -> list[str]:
        tokens = tokens_of(text.lower())
        out = list(tokens) if min_n == 1 else []
        for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
            out += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return out

    return grams


def _plain(vectorizer) -> bool:
    return (
        vectorizer.input == "content"
        and vectorizer.lowercase
        and vectorizer.strip_accents is None
        and vectorizer.preprocessor is None
    )


def _column_finder(vectorizer, offset: int):
    """``text -> list of columns``, one per known n-gram occurrence (vocabulary column + ``offset``).

    A char_wb n-gram never crosses a word boundary, so a text's columns are the sum of its words':
    those of each distinct word are looked up once and cached (most of the work for a message is
    then a few dictionary hits). Any other analyzer: scikit-learn's own, then the vocabulary.
    """
    get = {gram: column + offset for gram, column in vectorizer.vocabulary_.items()}.get
    if vectorizer.analyzer == "char_wb" and _plain(vectorizer):
        grams = _char_wb_grams(*vectorizer.ngram_range)

        @lru_cache(maxsize=WORD_CACHE_SIZE)
        def word_columns(word: str) -> tuple[int, ...]:
            return tuple(column for column in map(get, grams(word)) if column is not None)

        def columns(text: str) -> list[int]:
            found = []
            for word in _WHITE_SPACES.sub(" ", text.lower()).split():  # what char_wb splits on
                found += word_columns(word)
            return found

        return columns
    if (
        vectorizer.analyzer == "word"
        and _plain(vectorizer)
        and vectorizer.tokenizer is None
        and vectorizer.stop_words is None
    ):
        analyze = _word_grams(vectorizer)
    else:
        analyze = vectorizer.build_analyzer()
    return lambda text: [column for column in map(get, analyze(text)) if column is not None]


def _runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and where each run starts (np.unique, without its overhead)."""
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], starts


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
        self.offsets = np.cumsum([0] + [len(vec.vocabulary_) for vec in vectorizers])
        self.finders = [_column_finder(vec, int(offset)) for vec, offset in zip(vectorizers, self.offsets)]
        self.idf = np.concatenate([vec.idf_ for vec in vectorizers])
        # one column of weights per calibrated SVM, one row per feature (a row is read per n-gram)
        self.weights = np.ascontiguousarray(np.vstack([m.estimator.coef_.ravel() for m in members]).T)
        self.intercepts = np.array([m.estimator.intercept_[0] for m in members])
        self.a = np.array([m.calibrators[0].a_ for m in members])
        self.b = np.array([m.calibrators[0].b_ for m in members])
        self.member_share = np.full(len(members), 1 / len(members))
        # for one text: IDF and the calibrated SVMs' slopes side by side, one row per feature, so that a
        # text's features are read in one gather; a * (w.x + c) + b == (a * w).x + (a * c + b)
        self.one_table = np.column_stack([self.idf, self.weights * self.a])
        self.one_bias = self.a * self.intercepts + self.b
        if self.weights.shape[0] != self.offsets[-1]:
            raise NotCompilable("the classifier's width does not match the features")

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """P(spam) for each text (what ``classifier.predict_proba(features.transform(texts))[:, 1]`` gives)."""
        if len(texts) == 1:
            return self._one_proba(texts[0])
        n_texts, n_parts, width = len(texts), len(self.finders), int(self.offsets[-1])
        # every known n-gram occurrence as one integer: (document, part) segment * width + column
        chunks = []
        for part, columns_of in enumerate(self.finders):
            found = [columns_of(text) for text in texts]
            sizes = [len(f) for f in found]
            columns = np.fromiter(chain.from_iterable(found), dtype=np.int64, count=sum(sizes))
            segments = np.repeat(np.arange(part, n_texts * n_parts, n_parts, dtype=np.int64), sizes)
            chunks.append(segments * width + columns)
        keys = np.sort(np.concatenate(chunks))  # by document, then part, then column
        decision = np.zeros((n_texts, self.weights.shape[1]))
        if keys.size:
            unique, starts = _runs(keys)
            counts = np.diff(starts, append=keys.size)
            segments, columns = np.divmod(unique, width)
            values = (np.log(counts) + 1.0) * self.idf[columns]  # sublinear tf * idf
            norms = np.sqrt(np.bincount(segments, values**2, minlength=n_texts * n_parts))
            values /= norms[segments]  # l2 per vectorizer
            # each document's sum of value * weights, for every SVM at once (rows are sorted by document)
            documents = segments // n_parts
            contributions = values[:, None] * self.weights[columns]
            present, starts = _runs(documents)
            decision[present] = np.add.reduceat(contributions, starts, axis=0)
        decision += self.intercepts
        return expit(-(decision * self.a + self.b)) @ self.member_share  # the members' mean

    def _one_proba(self, text: str) -> np.ndarray:
        """The same for one text, in far fewer numpy calls: what a web request needs."""
        counts, ends = Counter(), []
        for columns_of in self.finders:
            counts.update(columns_of(text))
            ends.append(len(counts))  # the parts' columns are disjoint, and a Counter keeps order
        z = self.one_bias
        if counts:
            n = len(counts)
            rows = self.one_table[np.fromiter(counts.keys(), dtype=np.intp, count=n)]
            log_tf = np.log(np.fromiter(counts.values(), dtype=np.float64, count=n)) + 1.0
            values = log_tf * rows[:, 0]  # sublinear tf * idf
            # each part's rows: [start, end); an empty part has none and no norm
            starts = [0, *ends[:-1]]
            spans = [(start, end - start) for start, end in zip(starts, ends) if end > start]
            norms = np.sqrt(np.add.reduceat(values * values, [start for start, _ in spans]))
            z = (values / np.repeat(norms, [size for _, size in spans])) @ rows[:, 1:] + z  # l2 per vectorizer
        return np.atleast_1d(expit(-z) @ self.member_share)

    def predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        probabilities = self.predict_proba(texts)
        return (probabilities >= self.threshold).astype(np.int64), probabilities
