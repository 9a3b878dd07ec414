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


def test_each_vectorizer_finds_the_columns_scikit_learn_finds(spam_model, messages):
    # the rewritten analyzers (word n-grams; char_wb n-grams cached per word) against scikit-learn's own
    vectorizers = [vec for _, vec in spam_model.features.transformer_list]
    texts = list(messages["text"]) + EDGE_CASES
    for vectorizer, columns_of, offset in zip(vectorizers, spam_model.fast.finders, spam_model.fast.offsets):
        analyze, vocabulary = vectorizer.build_analyzer(), vectorizer.vocabulary_
        for text in texts:
            expected = sorted(vocabulary[g] + offset for g in analyze(text) if g in vocabulary)
            found = np.concatenate(columns_of(text) or [np.empty(0, dtype=np.int64)])
            assert sorted(found.tolist()) == expected, (vectorizer.analyzer, text)


def test_one_message_at_a_time_equals_scikit_learn(spam_model, messages):
    # a single text skips the batch's concatenation (what /predict uses): every 5th message and the edge cases
    texts = list(messages["text"].iloc[::5]) + EDGE_CASES
    expected = spam_model.classifier.predict_proba(spam_model.features.transform(texts))[:, 1]
    one_by_one = np.concatenate([spam_model.fast.predict_proba([text]) for text in texts])
    np.testing.assert_allclose(one_by_one, expected, rtol=0, atol=1e-12)
    labels = np.concatenate([spam_model.fast.predict([text])[0] for text in texts])
    np.testing.assert_array_equal(labels, spam_model.classifier.predict(spam_model.features.transform(texts)))


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
