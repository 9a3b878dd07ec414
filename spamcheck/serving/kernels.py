"""The model's second part: the arithmetic, in numpy, for a whole batch at once.

From the columns the analyzers found, :func:`probabilities` computes what the scikit-learn pipeline
computes: counts, ``1 + log(tf)``, times IDF, L2 norm per vectorizer, each calibrated SVM's decision
value and sigmoid, and their mean. A batch costs a fixed number of numpy calls, whatever its size:
nothing loops over texts or n-grams in Python, and nothing is compiled at start (numba did this
before, at the price of 208 MB of image and a compiler in every container; docs/benchmarks.md).
"""

from __future__ import annotations

import numpy as np


def probabilities(columns, bounds, idf, weights, part_ends, bias) -> np.ndarray:
    """P(spam) of each text; text t's n-gram occurrences are ``columns[bounds[t]:bounds[t + 1]]``.

    The features of part p (one vectorizer) are the columns below ``part_ends[p]``. ``weights`` has
    one row per feature and one column per calibrated SVM: its weight times its sigmoid's slope a;
    ``bias`` the matching ``a * intercept + b``, since a * (w.x + c) + b == (a * w).x + (a * c + b).
    """
    n_texts, n_parts, n_features = bounds.size - 1, part_ends.size, idf.size
    # One key per (text, column), sorted: a text's distinct columns and their counts, side by side,
    # grouped by text and, since parts are ranges of columns, by part within each text.
    keys = np.repeat(np.arange(0, n_texts * n_features, n_features, dtype=np.int64), np.diff(bounds)) + columns
    keys, counts = np.unique(keys, return_counts=True)
    text, column = np.divmod(keys, n_features)
    values = idf[column]  # sublinear tf: 1 + log(count), which is 1 for most n-grams
    repeated = counts > 1
    values[repeated] *= 1.0 + np.log(counts[repeated])
    group = text * n_parts + np.searchsorted(part_ends, column, side="right")
    scaled = np.zeros((n_texts * n_parts, bias.size))  # per text and part: its tf-idf . weights / norm
    if group.size:
        starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
        norms = np.sqrt(np.add.reduceat(values * values, starts))  # L2 norm per vectorizer
        sums = np.add.reduceat(weights[column] * values[:, None], starts, axis=0)
        scaled[group[starts]] = sums / norms[:, None]
    z = bias + scaled.reshape(n_texts, n_parts, bias.size).sum(axis=1)
    # the sigmoid calibration of each SVM, P(spam) = 1 / (1 + exp(a * f + b)), and their mean
    return (1.0 / (1.0 + np.exp(z))).mean(axis=1)
