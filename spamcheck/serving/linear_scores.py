"""The model's second part: the arithmetic, in numpy (the fallback of the compiled ``_score``).

From the columns the analyzers found, :func:`probabilities` computes what the scikit-learn pipeline
computes: counts, ``1 + log(tf)``, times IDF, L2 norm per vectorizer, each calibrated SVM's decision
value and sigmoid, and their mean. ``_score.c`` does the same arithmetic one text at a time, compiled;
this module serves where the package was installed without a C compiler, and is the reference the
tests hold the compiled one to. It takes the model as ``table``, one row per feature: its IDF, then
one value per calibrated SVM (its weight times its sigmoid's slope a); ``bias`` is the matching
``a * intercept + b``, since a * (w.x + c) + b == (a * w).x + (a * c + b). The features of part p
(one vectorizer) are the columns below ``part_ends[p]``.
"""

from __future__ import annotations

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
