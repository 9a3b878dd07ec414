"""The production model as the service runs it: TF-IDF words + chars and calibrated linear SVMs,
evaluated from plain arrays (``model.npz``), without scikit-learn.

Why: the arrays load without running code (``model_file``), the image needs neither scikit-learn nor
scipy, and the service skips scikit-learn's per-call checks (array validation, dataframe detection,
joblib for the FeatureUnion: milliseconds for one message, while the arithmetic takes microseconds).

What: the analyzers' n-grams (``analyzers``: the same as scikit-learn's, each word's cached), their
vocabulary columns, counts, ``1 + log(tf)``, times IDF, L2 norm per vectorizer, the linear SVMs'
decision values, each one's sigmoid calibration, their mean, and the threshold. The loops over a
text's words and n-grams and the arithmetic are compiled (``_score.c``, built when the package is
installed); without a C compiler at install, numpy does the arithmetic (``linear_scores``) and the service
logs a warning. ``spamcheck.training.linear_export`` writes the arrays from a fitted pipeline and
checks this model's answers against scikit-learn's before it writes.
"""

from __future__ import annotations

import numpy as np

from spamcheck.serving import linear_scores, model_file
from spamcheck.serving.analyzers import LONGEST_CACHED_WORD, WORD_CACHE_BYTES, WORD_CACHE_WORDS, Analyzers, Vectorizer

try:  # compiled by setup.py at install; the image always has it (docker/Dockerfile checks)
    from spamcheck.serving import _score
except ImportError:  # installed without a C compiler: numpy's arithmetic (linear_scores) instead
    _score = None

_SHAPES = {  # each array's dtype kind and number of dimensions
    "idf": ("f", 1),
    "weights": ("f", 2),
    "bias": ("f", 1),
}


class NpzModel:
    """Spam probabilities and labels, equal to the exported scikit-learn pipeline's."""

    def __init__(self, spec: dict, arrays: dict[str, np.ndarray], source: str = "arrays", compiled: bool | None = None):
        """``compiled``: score with ``_score`` (default: when it was built) or, False, with numpy (linear_scores)."""
        if compiled and _score is None:
            raise RuntimeError("spamcheck.serving._score was not built: install a C compiler and reinstall the package")
        self.compiled = _score is not None if compiled is None else compiled
        try:
            self.vectorizers = [
                Vectorizer(v["analyzer"], tuple(v["ngram_range"]), arrays[f"vocabulary_{i}"].tolist())
                for i, v in enumerate(spec["vectorizers"])
            ]
            self.threshold, self.pos_label = float(spec["threshold"]), int(spec["pos_label"])
            for name, (kind, ndim) in _SHAPES.items():
                if arrays[name].dtype.kind != kind or arrays[name].ndim != ndim:
                    raise ValueError(f"{name} has dtype {arrays[name].dtype} and {arrays[name].ndim} dimensions")
        except (KeyError, TypeError, ValueError) as exc:
            raise model_file.ModelFileError(f"{source} does not describe a linear model: {exc!r}") from None
        idf, weights, self.bias = arrays["idf"], arrays["weights"], arrays["bias"]
        self.part_ends = np.cumsum([len(v.vocabulary) for v in self.vectorizers], dtype=np.int64)
        if not (idf.size == weights.shape[0] == self.part_ends[-1] and weights.shape[1] == self.bias.size):
            raise model_file.ModelFileError(
                f"{source}: {self.part_ends[-1]} vocabulary entries, {idf.size} IDF values, "
                f"weights of shape {weights.shape} and {self.bias.size} biases do not match"
            )
        # what the compiled model and linear_scores read per column, side by side: its IDF, then its weights
        self.table = np.ascontiguousarray(np.column_stack([idf, weights]), dtype=np.float64)
        if self.pos_label not in (0, 1):
            raise model_file.ModelFileError(f"{source}: pos_label {self.pos_label} is not one of the classes 0, 1")
        self.analyzers = Analyzers(self.vectorizers, offsets=[0, *self.part_ends[:-1]])
        if self.compiled:  # the same vocabularies and tries, read by the compiled loops
            analyzers = self.analyzers
            self.compiled_model = _score.CompiledModel(
                analyzers.per_word,
                analyzers.tries,
                self.table,
                self.part_ends,
                self.bias,
                WORD_CACHE_WORDS,
                WORD_CACHE_BYTES,
                LONGEST_CACHED_WORD,
            )
            # The word vocabularies' single tokens are words as messages write them ("call", "free"):
            # cache them now, before gunicorn forks, so that every worker starts with them (tens of
            # milliseconds at start, pages shared by the workers) instead of paying for each one on
            # its first request.
            for vectorizer in self.vectorizers:
                if vectorizer.analyzer == "word":
                    for gram in vectorizer.vocabulary:
                        if " " not in gram:
                            self.compiled_model.word(gram)

    def predict(self, texts: list[str]) -> tuple[list[int], list[float]]:
        """Labels (1 = spam) and P(spam) for each text, as the scikit-learn pipeline gives them."""
        if self.compiled:
            probabilities = self.compiled_model.probabilities(texts)
        else:
            columns, bounds = self.analyzers.columns_of(texts)
            probabilities = linear_scores.probabilities(columns, bounds, self.table, self.part_ends, self.bias).tolist()
        if self.pos_label == 1:
            return [int(p >= self.threshold) for p in probabilities], probabilities
        # pos_label 0 thresholds P(ham), as scikit-learn does: ham when it reaches the threshold
        return [int(not (1 - p) >= self.threshold) for p in probabilities], probabilities
