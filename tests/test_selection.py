"""Nested selection: the choice is made on the training messages only, by expected cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spamcheck.training import models, selection


def test_threshold_table_counts_errors_and_cost():
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0.1, 0.5, 0.9, 0.4, 0.95])
    table = selection.threshold_table(y, p, thresholds=[0.3, 0.6, 0.95]).set_index("threshold")
    assert table.loc[0.3, ["blocked_ham", "missed_spam"]].tolist() == [2, 0]
    assert table.loc[0.6, ["blocked_ham", "missed_spam"]].tolist() == [1, 1]
    assert table.loc[0.95, ["blocked_ham", "missed_spam"]].tolist() == [0, 1]
    # a blocked real message costs BLOCKED_HAM_COST, a missed spam MISSED_SPAM_COST, per message
    assert table.loc[0.6, "expected_cost"] == pytest.approx(
        (selection.BLOCKED_HAM_COST + selection.MISSED_SPAM_COST) / 5
    )


def test_choose_takes_the_cheapest_and_the_earlier_row_on_a_tie():
    search = pd.DataFrame(
        {"setting": [0, 0, 1, 1], "threshold": [0.5, 0.6, 0.5, 0.6], "expected_cost": [0.02, 0.01, 0.01, 0.03]}
    )
    best = selection.choose(search)
    assert (best["setting"], best["threshold"]) == (0, 0.6)


def test_selected_svm_chooses_inside_what_it_is_given_and_refits(messages):
    small = messages.iloc[::8]  # 697 messages, 104 spam: enough for a 3-fold inner CV
    fitted = selection.SelectedPipeline(models.svm_pipeline, models.SVM_SEARCH_SPACE, n_jobs=1).fit(
        small["text"], small["y"]
    )
    assert len(fitted.search_) == len(models.SVM_SEARCH_SPACE) * len(selection.THRESHOLDS)
    settings = {k: v for k, v in fitted.best_params_.items() if k != "threshold"}
    assert settings == models.SVM_SEARCH_SPACE[fitted.best_setting_]
    # the chosen row is the cheapest of what the inner CV saw
    assert fitted.search_["expected_cost"].min() == pytest.approx(
        fitted.search_.loc[
            (fitted.search_["setting"] == fitted.best_setting_)
            & (fitted.search_["threshold"] == fitted.best_params_["threshold"]),
            "expected_cost",
        ].item()
    )
    # refit on everything it was given, with the chosen settings and threshold (the shape model.npz describes)
    pipeline = models.servable(fitted)
    assert pipeline.named_steps["classifier"].threshold == fitted.best_params_["threshold"]
    assert pipeline.named_steps["features"].transformer_list[1][1].min_df == settings["min_df"]
    assert len(pipeline.named_steps["features"].transformer_list[0][1].idf_) > 0
    texts = ["WIN a FREE prize, call 09061701461 now", "see you at 7"]
    np.testing.assert_array_equal(fitted.predict(texts), pipeline.predict(texts))


def test_a_different_training_set_can_choose_differently(messages):
    # the choice depends on the messages given: on a set where every spam is obvious no threshold
    # blocks ham, so the cheapest row has cost 0 and the first setting, lowest threshold wins
    obvious = pd.concat(
        [
            messages[messages["y"] == 0].iloc[:300],
            pd.DataFrame({"text": [f"WIN £{i} CALL 0906170{i:04d} NOW" for i in range(60)], "y": 1}),
        ],
        ignore_index=True,
    )
    fitted = selection.SelectedPipeline(models.svm_pipeline, models.SVM_SEARCH_SPACE, n_jobs=1).fit(
        obvious["text"], obvious["y"]
    )
    assert fitted.search_["expected_cost"].min() == 0.0
    assert fitted.best_params_ == {**models.SVM_SEARCH_SPACE[0], "threshold": selection.THRESHOLDS[0]}
