"""The fast path's second part: the arithmetic, compiled to machine code by numba.

From the columns the analyzers found, :func:`probability` computes what the scikit-learn pipeline
computes: counts, ``1 + log(tf)``, times IDF, L2 norm per vectorizer, each calibrated SVM's
decision value and sigmoid, and their mean.
"""

from __future__ import annotations

import numba
import numpy as np


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
def one_probability(column_bytes, table, part_ends, bias):
    return _probability(np.frombuffer(column_bytes, dtype=np.int64), table, part_ends, bias)


@numba.njit(numba.float64[:](_BYTES, numba.int64[:], *_MODEL), cache=True, nogil=True)
def probabilities(column_bytes, bounds, table, part_ends, bias):
    """P(spam) of each text; text t's columns are ``[bounds[t]:bounds[t + 1]]`` of the int64s."""
    columns = np.frombuffer(column_bytes, dtype=np.int64)
    probabilities = np.empty(bounds.size - 1)
    for t in range(probabilities.size):
        probabilities[t] = _probability(columns[bounds[t] : bounds[t + 1]], table, part_ends, bias)
    return probabilities
