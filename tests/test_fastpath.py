"""The serving fast path gives exactly scikit-learn's answers, and is used only where it applies."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from spamcheck.serving import artifacts
from spamcheck.serving.fastpath import CompiledLinearModel, NotCompilable, compile_checked
from spamcheck.serving.fastpath_analyzers import Analyzers
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


def test_the_analyzers_find_the_columns_scikit_learn_finds(spam_model, messages):
    # the rewritten analyzers (word n-grams and char_wb n-grams, cached per word) against scikit-learn's own
    vectorizers = [vec for _, vec in spam_model.features.transformer_list]
    for text in list(messages["text"]) + EDGE_CASES:
        assert found_columns(spam_model.fast.analyzers, text) == scikit_learn_columns(vectorizers, text), text


@pytest.mark.parametrize(
    "settings",
    [
        {"analyzer": "word", "ngram_range": (2, 3)},  # no unigrams: tokens only for the n-grams
        {"analyzer": "word", "ngram_range": (1, 1)},  # no n-grams of two or more
        {"analyzer": "word", "token_pattern": r"\S+"},  # not the default pattern: scikit-learn's analyzer
        {"analyzer": "char", "ngram_range": (2, 3)},  # crosses spaces: scikit-learn's analyzer
        {"analyzer": "char_wb", "ngram_range": (3, 3), "lowercase": False},  # not plain: scikit-learn's
    ],
)
def test_analyzers_of_other_vectorizers_find_scikit_learns_columns(settings, messages):
    texts = list(messages["text"].iloc[:300]) + EDGE_CASES
    vectorizers = [
        TfidfVectorizer(**settings).fit(messages["text"].iloc[:1000]),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(messages["text"].iloc[:1000]),
    ]
    offsets = np.cumsum([0] + [len(vec.vocabulary_) for vec in vectorizers])
    analyzers = Analyzers(vectorizers, offsets)
    for text in texts:
        assert found_columns(analyzers, text) == scikit_learn_columns(vectorizers, text), text


def found_columns(analyzers, text) -> list[int]:
    """The columns the fast path's analyzers find in ``text``, sorted."""
    return sorted(np.frombuffer(analyzers.column_bytes(text), dtype=np.int64).tolist())


def scikit_learn_columns(vectorizers, text) -> list[int]:
    """Each known n-gram occurrence's column in the union of the vectorizers, sorted."""
    found, offset = [], 0
    for vectorizer in vectorizers:
        vocabulary = vectorizer.vocabulary_
        found += [vocabulary[g] + offset for g in vectorizer.build_analyzer()(text) if g in vocabulary]
        offset += len(vocabulary)
    return sorted(found)


def test_one_message_at_a_time_equals_scikit_learn(spam_model, messages):
    # one text at a time (what /predict sends): every 5th message and the edge cases
    texts = list(messages["text"].iloc[::5]) + EDGE_CASES
    matrix = spam_model.features.transform(texts)
    results = [spam_model.fast.predict([text]) for text in texts]  # each: ([label], [probability])
    labels, one_by_one = [r[0][0] for r in results], [r[1][0] for r in results]
    np.testing.assert_allclose(one_by_one, spam_model.classifier.predict_proba(matrix)[:, 1], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(labels, spam_model.classifier.predict(matrix))


def test_fast_path_handles_one_message_and_an_empty_batch(spam_model):
    labels, probabilities = spam_model.fast.predict(["WIN a FREE prize, call now"])
    assert labels == [1] and type(probabilities[0]) is float and len(probabilities) == 1
    assert spam_model.fast.predict([]) == ([], [])


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


# Variants of the default SVM pipeline (settings of its unfitted steps) and whether the fast path
# should serve them: either way, the answers must be scikit-learn's.
VARIANTS = {
    "pos_label=0": ({"classifier__pos_label": 0}, True),
    'threshold="auto"': ({"classifier__threshold": "auto"}, True),
    "fit_intercept=False": ({"classifier__estimator__estimator__fit_intercept": False}, True),
    "sublinear_tf=False": ({"features__words__sublinear_tf": False}, False),
    "word 1-3-grams, char 3-4-grams": (
        {"features__words__ngram_range": (1, 3), "features__chars__ngram_range": (3, 4)},
        True,
    ),
    "lowercase=False": ({"features__words__lowercase": False, "features__chars__lowercase": False}, True),
    'strip_accents="unicode"': (
        {"features__words__strip_accents": "unicode", "features__chars__strip_accents": "unicode"},
        True,
    ),
    'norm="l1"': ({"features__chars__norm": "l1"}, False),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_answers_as_scikit_learn_through_the_fast_path_or_scikit_learn(variant, messages):
    settings, served_fast = VARIANTS[variant]
    train = messages.iloc[::6]  # 929 messages: a vocabulary of thousands of n-grams, trained in a fraction of the time
    pipeline = models.svm_pipeline().set_params(**settings).fit(train["text"], train["y"])
    model = artifacts.SpamModel(
        pipeline.named_steps["features"], pipeline.named_steps["classifier"], {"model_version": variant}
    )
    texts = list(messages["text"].iloc[1::7]) + EDGE_CASES + ["Café CRÈME à la carte", "FREE FREE free"]
    labels, probabilities = model.predict(texts)
    stripped = [text.strip() for text in texts]  # what SpamModel.predict gives the model
    np.testing.assert_array_equal(labels, pipeline.predict(stripped))
    np.testing.assert_allclose(probabilities, pipeline.predict_proba(stripped)[:, 1], rtol=0, atol=1e-9)
    one = [model.predict([text]) for text in texts[:50]]
    assert [label for [label], _ in one] == labels[:50]
    assert (model.fast is not None) == served_fast, model.predictor
    assert model.predictor == "fast path" if served_fast else model.predictor.startswith("scikit-learn (")


def test_a_model_the_fast_path_cannot_build_is_served_by_scikit_learn_and_says_why(spam_model, messages, caplog):
    # the features of one fit with the classifier of another: a width the compiled model refuses
    small = messages.iloc[::4]
    other = models.svm_pipeline(char_ngram_range=(3, 3)).fit(small["text"], small["y"])
    compiled, problem = compile_checked(spam_model.features, other.named_steps["classifier"])
    assert compiled is None and "NotCompilable" in problem and "width" in problem
    with caplog.at_level("WARNING", logger="spamcheck.serving.artifacts"):
        model = artifacts.SpamModel(other.named_steps["features"], spam_model.classifier, {"model_version": "mixed"})
    assert model.fast is None and model.predictor.startswith("scikit-learn (NotCompilable")
    assert "served by scikit-learn, not the fast path" in caplog.text
    assert spam_model.predictor == "fast path"
