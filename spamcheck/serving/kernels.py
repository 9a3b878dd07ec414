"""The model's second part: the arithmetic, in numpy.

From the columns the analyzers found, the functions here compute what the scikit-learn pipeline
computes: counts, ``1 + log(tf)``, times IDF, L2 norm per vectorizer, each calibrated SVM's decision
value and sigmoid, and their mean. Nothing is compiled at start (numba did this before, at the price
of 208 MB of image; docs/speed.md). Both take the model as ``table``, one row per feature: its IDF,
then one value per calibrated SVM (its weight times its sigmoid's slope a); ``bias`` is the matching
``a * intercept + b``, since a * (w.x + c) + b == (a * w).x + (a * c + b). The features of part p
(one vectorizer) are the columns below ``part_ends[p]``.
"""

from __future__ import annotations

import math

import numpy as np


def probabilities(columns, bounds, table, part_ends, bias) -> np.ndarray:
    """P(spam) of each text of a batch; text t's n-gram occurrences are ``columns[bounds[t]:bounds[t + 1]]``.

    A fixed number of numpy calls, whatever the batch's size: nothing loops over texts or n-grams."""
    n_texts, n_parts, n_features, n_svms = bounds.size - 1, part_ends.size, table.shape[0], bias.size
    # One key per (text, column), sorted: each text's distinct columns and their counts, side by side,
    # grouped by text and, since parts are ranges of columns, by part within each text.
    keys = np.repeat(np.arange(0, n_texts * n_features, n_features, dtype=np.int64), np.diff(bounds)) + columns
    keys, counts = np.unique(keys, return_counts=True)
    text, column = np.divmod(keys, n_features)
    rows = table[column]  # a copy: per distinct column, its IDF and weights
    values = rows[:, 0] * (1.0 + np.log(counts))  # sublinear tf times IDF
    rows[:, 0] = values
    rows *= values[:, None]  # the tf-idf value squared, then times each weight
    group = text * n_parts + np.searchsorted(part_ends, column, side="right")
    scaled = np.zeros((n_texts * n_parts, n_svms))  # per text and part: its tf-idf . weights / L2 norm
    if group.size:
        starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
        sums = np.add.reduceat(rows, starts)  # per (text, part) that has columns
        scaled[group[starts]] = sums[:, 1:] / np.sqrt(sums[:, :1])
    z = bias + scaled.reshape(n_texts, n_parts, n_svms).sum(axis=1)
    # the sigmoid calibration of each SVM, P(spam) = 1 / (1 + exp(a * f + b)), and their mean
    return (1.0 / (1.0 + np.exp(z))).mean(axis=1)


def one_probability(column_bytes: bytes, table, part_ends, bias: list[float]) -> float:
    """P(spam) of one text (a web request) whose n-gram occurrences are the int64s of ``column_bytes``.

    The same arithmetic as :func:`probabilities` in fewer numpy calls, each of which costs
    microseconds while the arithmetic on a few hundred numbers costs less (about 35 µs against 50 µs
    a message here): no keys, and the last steps on a handful of Python floats."""
    keys = np.sort(np.frombuffer(column_bytes, dtype=np.int64))
    first = np.empty(keys.size + 1, dtype=bool)  # where each distinct column starts, and the end
    first[0] = first[-1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:-1])
    at = first.nonzero()[0]
    column = keys[at[:-1]]
    rows = table[column]
    values = rows[:, 0] * (1.0 + np.log(at[1:] - at[:-1]))
    rows[:, 0] = values
    rows *= values[:, None]
    z, start = list(bias), 0
    for end in column.searchsorted(part_ends).tolist():  # part p's columns are rows[start:end]
        if end > start:
            squares, *weighted = rows[start:end].sum(axis=0).tolist()
            norm = math.sqrt(squares)
            z = [zi + w / norm for zi, w in zip(z, weighted)]
        start = end
    return sum(1.0 / (1.0 + math.exp(zi)) for zi in z) / len(z)
