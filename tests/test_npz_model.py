"""The production model, evaluated from model.npz without scikit-learn, gives exactly scikit-learn's
answers; a pipeline it cannot describe is never exported as one."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from small_corpus import exported_model

from spamcheck.serving import artifacts, model_file
from spamcheck.serving.analyzers import LONGEST_CACHED_WORD, WORD_CACHE_BYTES, WORD_CACHE_WORDS, Analyzers, Vectorizer
from spamcheck.serving.npz_model import NpzModel
from spamcheck.training import linear_export, models
from spamcheck.training.export import export_model

EDGE_CASES = ["", "   ", "zzzz qqqq xxxx", "£££ !!!", "Ünïcödé ñ 漢字 😀", "a" * 10_000, "\ud800 lone surrogate"]


KERNELS = {"compiled": True, "numpy": False}  # _score.c, and numpy where it was not built
CACHE = (WORD_CACHE_WORDS, WORD_CACHE_BYTES, LONGEST_CACHED_WORD)  # the service's word cache bounds


@pytest.fixture(scope="module", params=KERNELS)
def served(request, model_dir) -> NpzModel:
    """The production model.npz, scored by the compiled model and by numpy."""
    path = model_dir / artifacts.SERVED_FILE
    return NpzModel(*model_file.parse(path.read_bytes(), str(path)), compiled=KERNELS[request.param])


def test_the_service_scores_with_the_compiled_model(spam_model):
    # setup.py builds _score with the package; without it the service is several times slower
    assert spam_model.npz_model.compiled


def test_without_the_compiled_model_the_service_scores_with_numpy_and_says_so(model_dir, monkeypatch, caplog):
    # what a user who installed without a C compiler gets: the same answers, slower, and a warning
    from spamcheck.serving import npz_model

    monkeypatch.setattr(npz_model, "_score", None)
    model = artifacts.load(model_dir)
    assert not model.npz_model.compiled and model.predict(["WIN a FREE prize, call now"])[0] == [1]
    assert "_score is not built" in caplog.text and "reinstall" in caplog.text
    with pytest.raises(RuntimeError, match="install a C compiler"):
        NpzModel(*model_file.parse((model_dir / artifacts.SERVED_FILE).read_bytes(), "model.npz"), compiled=True)


def test_the_compiled_model_refuses_what_it_cannot_score(spam_model):
    # _score.c reads arrays through raw pointers: anything that does not fit is an exception, never a
    # read outside them
    from spamcheck.serving import _score

    model = spam_model.npz_model
    per_word, tries = model.analyzers.per_word, model.analyzers.tries
    arguments = [per_word, tries, model.table, model.part_ends, model.bias, *CACHE]
    for position, bad, error, match in [
        (0, ((True, 0, 2, {}),), ValueError, "1 <= min_n <= max_n"),
        (0, ((False, 1, 2, {}),), ValueError, "1, 1. for tokens"),
        (0, ((True, 1, 2, "not a dict"),), TypeError, "dict"),
        (1, ("not a dict",), TypeError, "tuple of dicts"),
        (2, model.table.astype(np.float32), TypeError, "float64"),
        (2, model.table[:, :3].copy(), ValueError, "do not fit together"),
        (2, np.asfortranarray(model.table), ValueError, "not C-contiguous"),
        (3, model.part_ends[:1] - 1, ValueError, "do not fit together"),
        (3, model.part_ends[::-1].copy(), ValueError, "fit together|increasing"),
        (4, model.bias[:2], ValueError, "do not fit together"),
        (5, 0, ValueError, "cache_words"),
        (6, 100, ValueError, "cache_bytes"),
        (7, -1, ValueError, "longest_cached_word"),
    ]:
        with pytest.raises(error, match=match):
            _score.CompiledModel(*arguments[:position], bad, *arguments[position + 1 :])
    compiled = _score.CompiledModel(*arguments)
    with pytest.raises(TypeError, match="must be a str, not int"):
        compiled.probabilities(["hello", 42])

    class Odd(str):  # a str whose lower() is not one
        def lower(self):
            return 42

    with pytest.raises(TypeError, match="lower.. must return a str, not int"):
        compiled.probabilities([Odd("hello")])
    # a vocabulary whose column lies outside the table, and a trie whose node is not one
    outside = _score.CompiledModel(((False, 1, 1, {"hello": len(model.table)}),), (), *arguments[2:])
    with pytest.raises(ValueError, match=f"feature column {len(model.table)} is outside"):
        outside.probabilities(["hello"])
    with pytest.raises(TypeError, match="trie node"):
        _score.CompiledModel(per_word, ({"hello": "not a node"},), *arguments[2:])
    with pytest.raises(TypeError, match="trie node"):
        _score.CompiledModel(per_word, ({"hello": [None, {"world": [None, "not children"]}]},), *arguments[2:])
    assert compiled.probabilities(["hello"]) == pytest.approx(model.predict(["hello"])[1], abs=1e-12)


def test_the_word_vocabulary_is_cached_at_load(model_dir):
    # before gunicorn forks: every worker starts with the vocabulary's own words (a model of its own,
    # which nothing has scored yet)
    path = model_dir / artifacts.SERVED_FILE
    model = NpzModel(*model_file.parse(path.read_bytes(), str(path)))
    single_tokens = {g for v in model.vectorizers if v.analyzer == "word" for g in v.vocabulary if " " not in g}
    assert model.compiled_model.cache_info()["words"] == len(single_tokens) > 1000


def test_the_served_model_equals_scikit_learn_on_every_message(served, pipeline_halves, messages):
    features, classifier = pipeline_halves
    texts = list(messages["text"]) + EDGE_CASES
    matrix = features.transform(texts)
    labels, probabilities = served.predict(texts)
    np.testing.assert_array_equal(labels, classifier.predict(matrix))
    np.testing.assert_allclose(probabilities, classifier.predict_proba(matrix)[:, 1], rtol=0, atol=1e-12)


def test_the_analyzers_find_the_columns_scikit_learn_finds(spam_model, pipeline_halves, messages):
    # the rewritten analyzers (word n-grams and char_wb n-grams, cached per word) against scikit-learn's own
    vectorizers = [vec for _, vec in pipeline_halves[0].transformer_list]
    compiled = spam_model.npz_model.compiled_model
    for text in list(messages["text"]) + EDGE_CASES:
        expected = scikit_learn_columns(vectorizers, text)
        assert found_columns(spam_model.npz_model.analyzers, text) == expected, text
        assert sorted(np.frombuffer(compiled.columns(text), dtype=np.int64).tolist()) == expected, text


@pytest.mark.parametrize(
    "settings",
    [
        {"analyzer": "word", "ngram_range": (2, 3)},  # no unigrams: tokens only for the n-grams
        {"analyzer": "word", "ngram_range": (1, 1)},  # no n-grams of two or more
        {"analyzer": "char_wb", "ngram_range": (1, 1)},
    ],
)
def test_analyzers_of_other_vectorizers_find_scikit_learns_columns(settings, messages):
    texts = list(messages["text"].iloc[:300]) + EDGE_CASES
    vectorizers = [
        TfidfVectorizer(**settings).fit(messages["text"].iloc[:1000]),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(messages["text"].iloc[:1000]),
    ]
    described = [
        Vectorizer(v.analyzer, v.ngram_range, sorted(v.vocabulary_, key=v.vocabulary_.get)) for v in vectorizers
    ]
    analyzers = Analyzers(described, np.cumsum([0] + [len(vec.vocabulary_) for vec in vectorizers]))
    compiled = compiled_model_of(analyzers)
    for text in texts:
        expected = scikit_learn_columns(vectorizers, text)
        assert found_columns(analyzers, text) == expected, text
        assert sorted(np.frombuffer(compiled.columns(text), dtype=np.int64).tolist()) == expected, text


def compiled_model_of(analyzers):
    """_score's CompiledModel of the same vectorizers (the arrays only need the right shapes: columns only)."""
    from spamcheck.serving import _score

    n_features = max((c for _, _, _, v in analyzers.per_word for c in v.values()), default=0) + 1
    table, part_ends = np.zeros((n_features, 2)), np.array([n_features], dtype=np.int64)
    return _score.CompiledModel(analyzers.per_word, analyzers.tries, table, part_ends, np.zeros(1), *CACHE)


def found_columns(analyzers, text) -> list[int]:
    """The columns the serving analyzers find in ``text``, sorted."""
    return sorted(np.frombuffer(analyzers.column_bytes(text), dtype=np.int64).tolist())


def scikit_learn_columns(vectorizers, text) -> list[int]:
    """Each known n-gram occurrence's column in the union of the vectorizers, sorted."""
    found, offset = [], 0
    for vectorizer in vectorizers:
        vocabulary = vectorizer.vocabulary_
        found += [vocabulary[g] + offset for g in vectorizer.build_analyzer()(text) if g in vocabulary]
        offset += len(vocabulary)
    return sorted(found)


def test_one_message_at_a_time_equals_scikit_learn(served, pipeline_halves, messages):
    # one text at a time (what /predict sends): every 5th message and the edge cases
    features, classifier = pipeline_halves
    texts = list(messages["text"].iloc[::5]) + EDGE_CASES
    matrix = features.transform(texts)
    results = [served.predict([text]) for text in texts]  # each: ([label], [probability])
    labels, one_by_one = [r[0][0] for r in results], [r[1][0] for r in results]
    np.testing.assert_allclose(one_by_one, classifier.predict_proba(matrix)[:, 1], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(labels, classifier.predict(matrix))


def test_one_message_and_an_empty_batch(served):
    labels, probabilities = served.predict(["WIN a FREE prize, call now"])
    assert labels == [1] and type(probabilities[0]) is float and len(probabilities) == 1
    assert served.predict([]) == ([], [])


@pytest.mark.parametrize("kind", ["article", "naive_bayes", "logreg"])
def test_other_models_are_exported_as_pickles_only_and_the_service_says_why(kind, messages, tmp_path):
    small = messages.iloc[::5]
    pipeline = models.build(kind).fit(small["text"], small["y"])
    with pytest.raises(linear_export.NotExportable):
        exported_model(pipeline)
    (tmp_path / artifacts.SERVED_FILE).write_bytes(b"an older model.npz")  # the export removes it
    card = export_model(
        pipeline,
        kind,
        "test",
        {"cv": {"accuracy": 0.0}},
        tmp_path,
        n_messages=len(small),
        n_spam=int(small["y"].sum()),
        evaluation={},
    )
    assert not (tmp_path / artifacts.SERVED_FILE).exists() and artifacts.SERVED_FILE not in card["artifacts"]
    with pytest.raises(artifacts.ArtifactError, match=f"lists no model.npz: its '{kind}' model exists only as pickles"):
        artifacts.load(tmp_path)


# Variants of the default SVM pipeline (settings of its unfitted steps) and whether model.npz can
# describe them: if it can, its answers must be scikit-learn's; if not, the export says why.
VARIANTS = {
    "pos_label=0": ({"classifier__pos_label": 0}, True),
    'threshold="auto"': ({"classifier__threshold": "auto"}, True),
    "fit_intercept=False": ({"classifier__estimator__estimator__fit_intercept": False}, True),
    "word 1-3-grams, char 3-4-grams": (
        {"features__words__ngram_range": (1, 3), "features__chars__ngram_range": (3, 4)},
        True,
    ),
    "sublinear_tf=False": ({"features__words__sublinear_tf": False}, False),
    'norm="l1"': ({"features__chars__norm": "l1"}, False),
    "lowercase=False": ({"features__words__lowercase": False}, False),
    'strip_accents="unicode"': ({"features__chars__strip_accents": "unicode"}, False),
    'token_pattern=r"\\S+"': ({"features__words__token_pattern": r"\S+"}, False),
    'analyzer="char"': ({"features__chars__analyzer": "char"}, False),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_is_exported_with_scikit_learns_answers_or_refused(variant, messages):
    settings, exportable = VARIANTS[variant]
    train = messages.iloc[::6]  # 929 messages: a vocabulary of thousands of n-grams, trained in a fraction of the time
    pipeline = models.svm_pipeline().set_params(**settings).fit(train["text"], train["y"])
    if not exportable:
        with pytest.raises(linear_export.NotExportable):
            exported_model(pipeline)
        return
    texts = list(messages["text"].iloc[1::7]) + EDGE_CASES + ["Café CRÈME à la carte", "FREE FREE free"]
    for compiled in KERNELS.values():
        model = exported_model(pipeline, compiled)
        labels, probabilities = model.predict(texts)
        np.testing.assert_array_equal(labels, pipeline.predict(texts))
        np.testing.assert_allclose(probabilities, pipeline.predict_proba(texts)[:, 1], rtol=0, atol=1e-9)
        one = [model.predict([text]) for text in texts[:50]]
        assert [label for [label], _ in one] == labels[:50]


def test_a_model_whose_parts_do_not_fit_is_not_exported(pipeline_halves, messages):
    # the features of one fit with the classifier of another: a width the arrays cannot describe
    small = messages.iloc[::4]
    other = models.svm_pipeline(char_ngram_range=(3, 3)).fit(small["text"], small["y"])
    with pytest.raises(linear_export.NotExportable, match="width"):
        linear_export.export_bytes(pipeline_halves[0], other.named_steps["classifier"])


def test_the_export_check_catches_arrays_that_answer_differently(pipeline_halves):
    """What stops a wrong model.npz from being written: its answers against scikit-learn's."""
    spec, arrays = linear_export.to_arrays(*pipeline_halves)
    assert linear_export.differences(NpzModel(spec, arrays), *pipeline_halves) is None
    arrays["weights"] = arrays["weights"] * 1.001
    assert "differs from scikit-learn" in linear_export.differences(NpzModel(spec, arrays), *pipeline_halves)
