"""Nested model selection: a pipeline's settings and threshold, chosen inside the training data only.

:class:`SelectedPipeline` is an estimator whose ``fit`` makes the whole choice on the messages it
is given: a grouped inner cross-validation gives out-of-fold spam probabilities for every setting
in its ``space``; the setting and threshold with the lowest expected cost on them (a blocked real
message costs :data:`BLOCKED_HAM_COST`, a missed spam :data:`MISSED_SPAM_COST`) are kept, and
that pipeline is refit on all the messages. Evaluated by ``evaluate.cross_validate``, the choice
is made again inside every outer training fold: no reported figure was tuned on the messages it
is reported on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

# Blocking a real message costs more than letting one spam through; a decision made before
# looking at the data. With calibrated probabilities flagging then pays from p = 4 / (4 + 1).
BLOCKED_HAM_COST = 4.0
MISSED_SPAM_COST = 1.0
THRESHOLDS = np.round(np.arange(0.30, 0.951, 0.01), 2)


def threshold_table(y, spam_probability, thresholds=THRESHOLDS) -> pd.DataFrame:
    """Errors and expected cost per message of every threshold, for probabilities of known labels."""
    y, p = np.asarray(y), np.asarray(spam_probability)
    flagged = p[None, :] >= np.asarray(thresholds)[:, None]
    blocked_ham, missed_spam = (flagged & (y == 0)).sum(axis=1), (~flagged & (y == 1)).sum(axis=1)
    return pd.DataFrame(
        {
            "threshold": thresholds,
            "blocked_ham": blocked_ham,
            "missed_spam": missed_spam,
            "expected_cost": (BLOCKED_HAM_COST * blocked_ham + MISSED_SPAM_COST * missed_spam) / len(y),
        }
    )


def choose(search: pd.DataFrame) -> pd.Series:
    """The row of lowest expected cost; on a tie the earlier (simpler) setting and the lower threshold."""
    return search.loc[search["expected_cost"].idxmin()]


class SelectedPipeline(ClassifierMixin, BaseEstimator):
    """Fit: inner grouped CV over ``space``, choose, refit the winner on everything.

    ``build_pipeline(seed=..., threshold=..., **setting)`` builds a thresholded pipeline. After
    ``fit``: ``best_estimator_`` (the servable Pipeline), ``best_params_`` and ``search_`` (one row
    per setting and threshold, with the inner out-of-fold errors and cost). Each setting's folds are
    fitted in ``n_jobs`` processes (inside a cross-validation's worker, joblib runs them one after
    another).
    """

    def __init__(self, build_pipeline, space, folds: int = 3, seed: int = 42, n_jobs: int = -1):
        self.build_pipeline, self.space, self.folds, self.seed, self.n_jobs = build_pipeline, space, folds, seed, n_jobs

    def fit(self, texts, y):
        texts, y = np.asarray(texts, dtype=object), np.asarray(y)
        groups = pd.factorize(texts)[0]  # exact duplicates stay in one inner fold, as outside
        splits = list(StratifiedGroupKFold(self.folds, shuffle=True, random_state=self.seed).split(texts, y, groups))
        out_of_fold = [  # per setting, each message's spam probability from the inner fold that held it out
            cross_val_predict(
                self.build_pipeline(seed=self.seed, **setting), texts, y, cv=splits, method="predict_proba",
                n_jobs=self.n_jobs,
            )[:, 1]
            for setting in self.space
        ]  # fmt: skip
        tables = [threshold_table(y, proba).assign(setting=number) for number, proba in enumerate(out_of_fold)]
        self.search_ = pd.concat(tables, ignore_index=True)
        best = choose(self.search_)
        self.best_setting_ = int(best["setting"])
        self.best_params_ = {**self.space[self.best_setting_], "threshold": float(best["threshold"])}
        self.best_estimator_ = self.build_pipeline(seed=self.seed, **self.best_params_).fit(texts, y)
        self.classes_ = self.best_estimator_.classes_
        return self

    def predict(self, texts):
        return self.best_estimator_.predict(texts)

    def predict_proba(self, texts):
        return self.best_estimator_.predict_proba(texts)
