"""Behaviour tests of the default model (spamcheck/training/behaviour.py): invariance and direction
must all pass; the present-day messages are a figure (notebook 02 reports each failure and puts the
pass rate in the model card), with a floor so a regression cannot slip by."""

from __future__ import annotations

import numpy as np

from spamcheck.training import behaviour


def test_invariance_and_direction_hold(spam_model):
    failed = [c for c in behaviour.run(spam_model.predict) if c.kind != "minimum functionality" and not c.passed]
    assert not failed, [(c.kind, c.name, c.text, c.detail) for c in failed]


def test_present_day_messages(spam_model, record_property):
    cases = [c for c in behaviour.run(spam_model.predict) if c.kind == "minimum functionality"]
    rate = sum(c.passed for c in cases) / len(cases)
    record_property(
        "behaviour: present-day messages passed", f"{rate:.0%} ({sum(c.passed for c in cases)} of {len(cases)})"
    )
    # every one-time code, debit notice and appointment reminder must stay ham (a blocked real message)
    assert all(c.passed for c in cases if "expected 0" in c.detail), [c.text for c in cases if not c.passed]
    assert rate >= 0.5


def test_the_checks_catch_models_that_break_them():
    """A model that calls capital letters spam fails invariance; one that calls long messages ham
    fails direction; both get present-day messages wrong."""

    def shouty(texts):
        probabilities = np.array([min(1.0, sum(ch.isupper() for ch in t) / 10) for t in texts])
        return (probabilities >= 0.8).astype(int), probabilities

    def short_is_spam(texts):
        probabilities = np.array([10 / (10 + len(t)) for t in texts])
        return (probabilities >= 0.8).astype(int), probabilities

    assert behaviour.pass_rates(behaviour.run(shouty))["invariance"] < 1
    assert behaviour.pass_rates(behaviour.run(short_is_spam))["direction"] < 1
    assert behaviour.pass_rates(behaviour.run(short_is_spam))["minimum functionality"] < 1
