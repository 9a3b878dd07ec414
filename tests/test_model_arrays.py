"""What model.npz and the compiled model hold: exactly the fitted vocabulary, or no file at all; and
arrays of the compiled model's own, which nothing written from Python afterwards can change. On the small
corpus: no download, no training run."""

from __future__ import annotations

import pytest
from small_corpus import LABELS, TEXTS, exported_model, fitted_pipeline

from spamcheck.training import linear_export, models


def test_a_vocabulary_numpy_cannot_store_exactly_is_not_exported():
    # a word ending in NUL gives the char n-gram "b\x00"; numpy would store it as "b"
    pipeline = models.svm_pipeline().fit([*TEXTS[:-1], "grab\x00 a FREE prize"], LABELS)
    halves = pipeline.named_steps["features"], pipeline.named_steps["classifier"]
    with pytest.raises(linear_export.NotExportable, match=r"n-gram '.*b\\x00' cannot be stored exactly .* NUL"):
        linear_export.export_bytes(*halves)


def test_the_compiled_model_reads_its_own_copies_of_the_arrays():
    model = exported_model(compiled=True)
    texts = ["WIN a FREE prize, call now", "see you at 7", "txt STOP to 87121"]
    before = model.compiled_model.probabilities(texts)
    assert before == pytest.approx(fitted_pipeline().predict_proba(texts)[:, 1], abs=1e-12)
    # the arrays it was made from are writable numpy arrays: nothing written there reaches it
    model.table[:] = 1e6
    model.bias[:] = -1e6
    model.part_ends[:] = 0  # read in place, this would send it past the end of part_ends
    assert model.compiled_model.probabilities(texts) == before
