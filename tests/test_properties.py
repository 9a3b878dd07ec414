"""Property test: on random Unicode text (other scripts, combining marks, case mappings that change a
text's length, exotic whitespace, lone surrogates, very long words), the compiled model, the Python
analyzers with numpy's arithmetic, and scikit-learn find the same columns and give the same labels and
probabilities. On the small corpus, whose words the texts mix in so that they hit its vocabulary."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from small_corpus import TEXTS, exported_model, fitted_pipeline

pytest.importorskip("spamcheck.serving._score", reason="the compiled model was not built")

CORPUS_WORDS = sorted({word for text in TEXTS for word in text.split()})
TRICKY = [
    "İ",  # lowercases to two code points: i and a combining dot
    "ß",
    "ﬁ",
    "ΣΑΣ",  # final sigma when lowercased
    "ǅ",
    "e\u0301",  # e and a combining acute
    "\u0301",
    "²",
    "٣",
    "ⅷ",
    "_",
    "__x",
    "漢字",
    "😀",
    "\u200b",  # zero-width space: not whitespace to str.split()
    "\ufeff",
    "\ud800",  # lone surrogates
    "\udfff",
]
SEPARATORS = [" ", "  ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u00a0", "\u2028", "\u3000", ""]
pieces = st.one_of(
    st.sampled_from(CORPUS_WORDS),
    st.sampled_from(CORPUS_WORDS).map(str.upper),
    st.sampled_from(TRICKY),
    st.text(st.characters(exclude_categories=()), max_size=8),  # any code point, surrogates included
    st.builds(lambda word, n: word * n, st.sampled_from(CORPUS_WORDS), st.integers(10, 400)),  # very long words
)
texts = st.lists(st.tuples(pieces, st.sampled_from(SEPARATORS)), max_size=25).map(
    lambda parts: "".join(piece + separator for piece, separator in parts)
)


@pytest.fixture(scope="module")
def models():
    return fitted_pipeline(), exported_model(compiled=True), exported_model(compiled=False)


def scikit_learn_columns(pipeline, text: str) -> list[int]:
    found, offset = [], 0
    for _, vectorizer in pipeline.named_steps["features"].transformer_list:
        vocabulary = vectorizer.vocabulary_
        found += [vocabulary[g] + offset for g in vectorizer.build_analyzer()(text) if g in vocabulary]
        offset += len(vocabulary)
    return sorted(found)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(texts, min_size=1, max_size=4))
def test_the_compiled_model_python_and_scikit_learn_agree_on_any_text(models, batch):
    pipeline, compiled, python = models
    for text in batch:
        expected = scikit_learn_columns(pipeline, text)
        assert sorted(np.frombuffer(compiled.compiled_model.columns(text), dtype=np.int64).tolist()) == expected
        assert sorted(np.frombuffer(python.analyzers.column_bytes(text), dtype=np.int64).tolist()) == expected
    matrix = pipeline.named_steps["features"].transform(batch)
    classifier = pipeline.named_steps["classifier"]
    want, want_labels = classifier.predict_proba(matrix)[:, 1], classifier.predict(matrix)
    clear = np.abs(want - compiled.threshold) > 1e-9  # a label may differ where P is the threshold to rounding
    for model in (compiled, python):
        labels, probabilities = model.predict(batch)
        np.testing.assert_allclose(probabilities, want, rtol=0, atol=1e-9)
        assert np.array_equal(np.array(labels)[clear], want_labels[clear])


def test_the_tricky_characters_are_what_they_claim():
    # the cases above exist: length-changing lowercase, and whitespace str.split() and re agree on
    assert len("İ".lower()) == 2 and "ß".upper() == "SS"
    assert all(re.fullmatch(r"\s*", separator) and not separator.strip() for separator in SEPARATORS)
    assert "\u200b".split() == ["\u200b"]
