"""A serving fast path for the default model: TF-IDF words + chars and a calibrated linear SVM.

Why: scikit-learn checks its inputs on every call (array validation, dataframe detection, joblib
for the FeatureUnion), milliseconds for one message, while the arithmetic takes microseconds.
A web service predicts one message per request, so those checks would be nearly all of its work.

What: :class:`CompiledLinearModel` reads the *fitted* scikit-learn objects and evaluates the
same formulas: the analyzers' n-grams (the same as scikit-learn's, written for speed, with each
word's character n-grams cached), their vocabulary columns, counts, ``1 + log(tf)``, times IDF,
L2 norm per vectorizer, the linear SVMs' decision values, each one's sigmoid calibration, their
mean, and the threshold. The arithmetic is one loop compiled to machine code by numba
(:func:`_probability`), which reads the columns straight from the bytes the analyzers join: under
load (cold CPU caches) every numpy call or new array costs more than the arithmetic on a few
hundred n-grams (docs/benchmarks.md has the measurements), so one message makes no numpy array in
Python. Nothing is re-learned.
tests/test_fastpath.py checks it against scikit-learn on all 5,574 messages, one at a time and in
one batch. Before a loaded model is served this way, :func:`compile_checked` compares it with
scikit-learn on :data:`PROBES`; a model of any other shape, or one that answers differently, is
served by scikit-learn itself, and ``/readyz`` says which (see ``artifacts.SpamModel``).
"""

from __future__ import annotations

import re
from array import array
from functools import lru_cache

import numba
import numpy as np

from spamcheck.serving.examples import HAM, SPAM

# Distinct words whose char_wb columns are kept per worker (the least recently used go first).
# Messages reuse a small vocabulary (the collection has 13,627 distinct words), so nearly every
# word of a new message has been seen before.
WORD_CACHE_SIZE = 20_000


def _int64_bytes(columns) -> bytes:
    """Columns as the raw bytes of an int64 array: a text's pieces are then joined by one
    ``b"".join`` and read in place by the compiled code, far cheaper per request than numpy calls."""
    return array("q", columns).tobytes()


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


def _plain(vectorizer) -> bool:
    return (
        vectorizer.input == "content"
        and vectorizer.lowercase
        and vectorizer.strip_accents is None
        and vectorizer.preprocessor is None
    )


# scikit-learn's default token pattern: runs of two or more word characters. Whitespace is never a
# word character, so a text's tokens are its whitespace-separated words' tokens, in order.
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_tokens_of = re.compile(DEFAULT_TOKEN_PATTERN).findall


def _token_ngrams(vocabulary: dict, offset: int, min_n: int, max_n: int):
    """``tokens -> columns`` of the word n-grams in ``vocabulary`` for n in [min_n, max_n], n >= 2.

    The n-grams are kept as a trie of their tokens (``{token: [column or None, {next token: ...} or
    None]}``) and looked up from each token of a text: the tokens come from the word cache with their
    hashes already computed, so no n-gram string is built or hashed per request.
    """
    trie: dict = {}
    for gram, column in vocabulary.items():
        tokens = gram.split(" ")  # a token of the default pattern never holds a space
        if min_n <= len(tokens) <= max_n:
            children = trie
            for token in tokens[:-1]:
                node = children.setdefault(token, [None, None])
                if node[1] is None:  # a leaf so far: it gets children
                    node[1] = {}
                children = node[1]
            children.setdefault(tokens[-1], [None, None])[0] = int(column + offset)

    def columns(tokens: list[str]) -> list[int]:
        found, n = [], len(tokens)
        for start in range(n - 1):
            node, end = trie.get(tokens[start]), start + 1
            while node is not None and node[1] is not None and end < n:
                node = node[1].get(tokens[end])
                if node is not None and node[0] is not None:
                    found.append(node[0])
                end += 1
        return found

    return columns


class _Analyzers:
    """scikit-learn's analyzers for all the vectorizers, rewritten to work a word at a time.

    A char_wb n-gram never crosses a space, and neither does a token of the default pattern, so most
    of a text's columns are the sum of its words': each distinct (lowercased, whitespace-separated)
    word's columns and tokens are looked up once and cached. Only the word n-grams of two or more
    tokens are looked up per text; a vectorizer of any other kind uses scikit-learn's own analyzer.
    """

    def __init__(self, vectorizers, offsets):
        # of_word: (word, its tokens) -> columns, cached per word; of_tokens: the text's tokens -> columns
        self.of_word, self.of_tokens, self.of_text = [], [], []
        self.needs_tokens = False
        for vectorizer, offset in zip(vectorizers, offsets):
            get = {gram: int(column + offset) for gram, column in vectorizer.vocabulary_.items()}.get
            min_n, max_n = vectorizer.ngram_range
            if vectorizer.analyzer == "char_wb" and _plain(vectorizer):
                self.of_word.append(lambda word, _, grams=_char_wb_grams(min_n, max_n), get=get: map(get, grams(word)))
            elif (
                vectorizer.analyzer == "word"
                and _plain(vectorizer)
                and vectorizer.tokenizer is None
                and vectorizer.stop_words is None
                and vectorizer.token_pattern == DEFAULT_TOKEN_PATTERN
            ):
                self.needs_tokens = True
                if min_n == 1:
                    self.of_word.append(lambda _, tokens, get=get: map(get, tokens))
                if max_n >= 2:
                    self.of_tokens.append(_token_ngrams(vectorizer.vocabulary_, offset, max(min_n, 2), max_n))
            else:
                self.of_text.append(lambda text, analyze=vectorizer.build_analyzer(), get=get: map(get, analyze(text)))
        self.word = lru_cache(maxsize=WORD_CACHE_SIZE)(self._word)

    def _word(self, word: str) -> tuple[tuple[str, ...], bytes]:
        """One word's tokens (if a vectorizer needs them) and its columns in every per-word vectorizer."""
        tokens = tuple(_tokens_of(word)) if self.needs_tokens else ()
        found = [column for columns in self.of_word for column in columns(word, tokens) if column is not None]
        return tokens, _int64_bytes(found)

    def column_bytes(self, text: str) -> bytes:
        """Every known n-gram occurrence of ``text`` as its feature column (in no particular order)."""
        # char_wb's words: scikit-learn collapses runs of whitespace, then splits on whitespace
        words = list(map(self.word, text.lower().split()))
        pieces = [columns for _, columns in words]
        if self.of_tokens:
            tokens = [token for its_tokens, _ in words for token in its_tokens]
            pieces += [_int64_bytes(columns(tokens)) for columns in self.of_tokens]
        pieces += [_int64_bytes(c for c in columns(text) if c is not None) for columns in self.of_text]
        return b"".join(pieces)

    def columns(self, text: str) -> np.ndarray:
        """``text``'s n-gram occurrences as feature columns (read-only, in no particular order)."""
        return np.frombuffer(self.column_bytes(text), dtype=np.int64)

    def columns_of(self, texts: list[str]) -> tuple[bytes, np.ndarray]:
        """All the texts' column bytes one after another, and ``bounds``: text t's columns are
        ``[bounds[t]:bounds[t + 1]]`` of the int64s."""
        found = list(map(self.column_bytes, texts))
        bounds = np.cumsum([0, *map(len, found)], dtype=np.int64) // 8  # 8 bytes per int64
        return b"".join(found), bounds


# Compiled at the first import (about 3 s) and cached: in __pycache__ beside this file, or in
# $NUMBA_CACHE_DIR (the image sets /tmp, since its root filesystem is read-only).
@numba.njit(cache=True, nogil=True)
def _counts(columns):
    """Each distinct column of ``columns`` and how often it occurs, as two arrays (-1: an empty slot).

    An open-addressing hash table, filled in one pass: sorting a message's few hundred columns took
    twice as long as all the arithmetic after it.
    """
    size = 16
    while size < columns.size + columns.size // 2:  # at most two thirds full: short probes, little memory
        size *= 2
    keys = np.full(size, -1, dtype=np.int64)
    counts = np.zeros(size, dtype=np.int32)
    for column in columns:
        # Knuth's multiplicative hash; an overflow would wrap, and the mask keeps the slot in range
        slot = (column * 2654435761 >> 16) & (size - 1)
        while keys[slot] != -1 and keys[slot] != column:
            slot = (slot + 1) & (size - 1)
        keys[slot] = column
        counts[slot] += 1
    return keys, counts


@numba.njit(cache=True, nogil=True)
def _probability(columns, table, part_ends, bias):
    """P(spam) of one text whose n-gram occurrences are ``columns`` (feature numbers, any order).

    The features of part p (one vectorizer) are the columns below ``part_ends[p]``. ``table`` has one
    row per feature: its IDF, then one value per calibrated SVM (its weight times its sigmoid's
    slope); ``bias`` the matching ``slope * intercept + offset``: a * (w.x + c) + b == (a * w).x + (a * c + b).
    (One table rather than an IDF array and a weight array: one argument fewer on every call, and
    each n-gram's numbers side by side in memory.)
    """
    n_parts, n_svms = part_ends.size, bias.size
    sums = np.zeros((n_parts, n_svms))  # per part: sum of tf-idf value * slope, for every SVM
    squares = np.zeros(n_parts)  # per part: sum of squared tf-idf values, for its L2 norm
    keys, counts = _counts(columns)
    for slot in range(keys.size):
        column = keys[slot]
        if column < 0:
            continue
        part = 0
        while column >= part_ends[part]:
            part += 1
        count = counts[slot]  # sublinear tf (1 + log(count), which is 1 for most n-grams) times idf
        value = table[column, 0] if count == 1 else (1.0 + np.log(count)) * table[column, 0]
        squares[part] += value * value
        for m in range(n_svms):
            sums[part, m] += value * table[column, 1 + m]
    mean = 0.0
    for m in range(n_svms):
        z = bias[m]
        for p in range(n_parts):
            if squares[p] > 0.0:
                z += sums[p, m] / np.sqrt(squares[p])  # L2 norm per vectorizer
        mean += 1.0 / (1.0 + np.exp(z))  # the sigmoid calibration: P(spam) = 1 / (1 + exp(a * f + b))
    return mean / n_svms


# The columns arrive as the bytes the analyzers join (int64s) and are read in place: no numpy array
# is made in Python, and one message (the article's /predict) comes back as a plain float.
_BYTES = numba.types.Bytes(numba.uint8, 1, "C", readonly=True)
_MODEL = (numba.float64[:, ::1], numba.int64[:], numba.float64[:])  # table, part_ends, bias


@numba.njit(numba.float64(_BYTES, *_MODEL), cache=True, nogil=True)
def _one_probability(column_bytes, table, part_ends, bias):
    return _probability(np.frombuffer(column_bytes, dtype=np.int64), table, part_ends, bias)


@numba.njit(numba.float64[:](_BYTES, numba.int64[:], *_MODEL), cache=True, nogil=True)
def _probabilities(column_bytes, bounds, table, part_ends, bias):
    """P(spam) of each text; text t's columns are ``[bounds[t]:bounds[t + 1]]`` of the int64s."""
    columns = np.frombuffer(column_bytes, dtype=np.int64)
    probabilities = np.empty(bounds.size - 1)
    for t in range(probabilities.size):
        probabilities[t] = _probability(columns[bounds[t] : bounds[t + 1]], table, part_ends, bias)
    return probabilities


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
        self.analyzers = _Analyzers(vectorizers, offsets=[0, *self.part_ends[:-1]])
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
            probabilities = [_one_probability(column_bytes, self.table, self.part_ends, self.bias)]
        else:
            column_bytes, bounds = self.analyzers.columns_of(texts)
            probabilities = _probabilities(column_bytes, bounds, self.table, self.part_ends, self.bias).tolist()
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
