"""Training, evaluation and the behaviour of the exported default model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spamcheck.training import behaviour, evaluate, models


@pytest.fixture(scope="module")
def small(messages):
    # every sixth message keeps the file's order and class mix; the full evaluation is notebook 02's
    return messages.iloc[::6]


@pytest.mark.parametrize("kind", models.CANDIDATES)
def test_every_candidate_learns_and_its_two_halves_give_its_answers(kind, messages, small):
    """Trained on a sixth of the messages, each candidate beats answering "ham" for everything on
    another sixth, catches most spam, and its saved halves (feature.pkl, model.pkl) answer as it does."""
    candidate = models.build(kind)
    if hasattr(candidate, "n_jobs"):  # the same model in this process: the test processes use both cores
        candidate.n_jobs = 1
    fitted = candidate.fit(small["text"], small["y"])
    held_out = messages.iloc[3::6]
    predicted = fitted.predict(held_out["text"])
    accuracy = (predicted == held_out["y"]).mean()
    always_ham = (held_out["y"] == 0).mean()
    spam_caught = predicted[held_out["y"].to_numpy() == 1].mean()
    assert accuracy > always_ham + 0.05 and spam_caught > 0.6, (kind, accuracy, always_ham, spam_caught)
    pipeline = models.servable(fitted)
    halves = pipeline.named_steps["classifier"].predict(pipeline.named_steps["features"].transform(held_out["text"]))
    np.testing.assert_array_equal(halves, predicted)


def test_unknown_kind_lists_the_choices():
    with pytest.raises(ValueError, match="article, naive_bayes, logreg, svm"):
        models.build("gpt")


def test_cross_validate_keeps_duplicates_in_one_fold(small):
    # every message of the sample three times: a split that ignores groups would spread the copies
    tripled = pd.concat([small] * 3, ignore_index=True)
    result = evaluate.cross_validate("naive_bayes", tripled, folds=3)
    assert sorted(set(result.fold)) == [0, 1, 2]
    folds_per_text = pd.Series(result.fold).groupby(tripled["text"].to_numpy()).nunique()
    assert (folds_per_text == 1).all(), folds_per_text[folds_per_text > 1].head()


def test_cross_validate_predicts_every_message_once(small):
    result = evaluate.cross_validate("naive_bayes", small, folds=3)
    assert result.index.tolist() == list(range(len(small))) and (result.fold >= 0).all()
    # each message was predicted by the model of its own fold, trained without that fold
    texts, y = small["text"].to_numpy(), small["y"].to_numpy()
    for number in range(3):
        tested = result.fold == number
        model = models.build("naive_bayes").fit(texts[~tested], y[~tested])
        np.testing.assert_array_equal(result.y_pred[tested], model.predict(texts[tested]))
    assert result.metrics()["accuracy"] > 0.9


def test_paper_split_trains_on_the_first_30_percent(small):
    result = evaluate.paper_split("naive_bayes", small)
    cut = round(0.3 * len(small))
    assert result.index.tolist() == list(range(cut, len(small)))
    first_30 = models.build("naive_bayes").fit(small["text"].iloc[:cut], small["y"].iloc[:cut])
    np.testing.assert_array_equal(result.y_pred, first_30.predict(small["text"].iloc[cut:]))
    np.testing.assert_array_equal(result.y_true, small["y"].iloc[cut:])


def test_metrics_match_a_hand_computed_confusion_matrix():
    y_true = np.array([0] * 90 + [1] * 10)
    y_pred = np.array([0] * 89 + [1] + [1] * 8 + [0] * 2)  # 1 blocked ham, 2 missed spam
    m = evaluate.metrics(y_true, y_pred)
    assert m["accuracy"] == pytest.approx(0.97)
    assert m["blocked_ham_rate"] == pytest.approx(1 / 90)
    assert m["spam_recall"] == pytest.approx(0.8) and "spam_caught_rate" not in m  # one recall, the paper's SC %
    assert m["spam_precision"] == pytest.approx(8 / 9)


def test_best_kind_prefers_mcc_among_low_blocked_ham():
    def result(kind, fp):  # 100 spam all caught, `fp` of 1000 ham blocked
        y = np.array([0] * 1000 + [1] * 100)
        pred = y.copy()
        pred[:fp] = 1
        return evaluate.Result(kind, "cv", np.arange(1100), y, pred, pred.astype(float))

    assert evaluate.best_kind([result("a", 5), result("b", 0)]) == "b"
    assert evaluate.best_kind([result("noisy", 3), result("clean", 1)], max_blocked_ham_rate=0.002) == "clean"


OBVIOUS_SPAM = behaviour.BASE_SPAM[:3]  # the behaviour tests' own messages, not a copy of them
OBVIOUS_HAM = behaviour.BASE_HAM[:3]


def test_obvious_spam_and_ham(spam_model):
    labels, probabilities = spam_model.predict(OBVIOUS_SPAM + OBVIOUS_HAM)
    assert labels == [1, 1, 1, 0, 0, 0]
    assert all(p > 0.9 for p in probabilities[:3]) and all(p < 0.1 for p in probabilities[3:])


@pytest.mark.parametrize("change", [str.upper, str.lower, lambda t: f"  {t} \n", lambda t: f"\t{t}  "])
def test_invariant_to_case_and_surrounding_whitespace(spam_model, change):
    texts = OBVIOUS_SPAM + OBVIOUS_HAM
    labels, probabilities = spam_model.predict(texts)
    changed_labels, changed_probabilities = spam_model.predict([change(t) for t in texts])
    assert changed_labels == labels
    np.testing.assert_allclose(changed_probabilities, probabilities, atol=1e-9)
