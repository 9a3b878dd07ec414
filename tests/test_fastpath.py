"""The serving fast path gives exactly scikit-learn's answers, and is used only where it applies."""

from __future__ import annotations

import numpy as np
import pytest

from spamcheck.serving import artifacts
from spamcheck.serving.fastpath import CompiledLinearModel, NotCompilable
from spamcheck.training import models
from spamcheck.training.export import export_model

EDGE_CASES = ["", "   ", "zzzz qqqq xxxx", "£££ !!!", "Ünïcödé ñ 漢字 😀", "a" * 10_000, "\ud800 lone surrogate"]


def test_fast_path_equals_scikit_learn_on_every_message(spam_model, messages):
    assert spam_model.fast is not None, "the default model must be served by the fast path"
    texts = list(messages["text"]) + EDGE_CASES
    matrix = spam_model.features.transform(texts)
    expected_labels = spam_model.classifier.predict(matrix)
    expected_probabilities = spam_model.classifier.predict_proba(matrix)[:, 1]
    labels, probabilities = spam_model.fast.predict(texts)
    np.testing.assert_array_equal(labels, expected_labels)
    np.testing.assert_allclose(probabilities, expected_probabilities, rtol=0, atol=1e-12)


def test_fast_path_handles_one_message_and_an_empty_batch(spam_model):
    labels, probabilities = spam_model.fast.predict(["WIN a FREE prize, call now"])
    assert labels.shape == probabilities.shape == (1,)
    labels, probabilities = spam_model.fast.predict([])
    assert labels.shape == probabilities.shape == (0,)


@pytest.mark.parametrize("kind", ["article", "naive_bayes", "logreg"])
def test_other_models_are_served_by_scikit_learn(kind, messages, tmp_path):
    small = messages.iloc[::5]
    pipeline = models.build(kind).fit(small["text"], small["y"])
    with pytest.raises(NotCompilable):
        CompiledLinearModel(pipeline.named_steps["features"], pipeline.named_steps["classifier"])
    export_model(
        pipeline,
        kind,
        "test",
        {"cv": {"accuracy": 0.0}},
        tmp_path,
        n_messages=len(small),
        n_spam=int(small["y"].sum()),
        evaluation={},
    )
    model = artifacts.load(tmp_path)
    assert model.fast is None
    labels, probabilities = model.predict(["WIN a FREE prize, call 0800 now to claim", "see you at 7"])
    np.testing.assert_array_equal(
        labels, pipeline.predict(["WIN a FREE prize, call 0800 now to claim", "see you at 7"])
    )
