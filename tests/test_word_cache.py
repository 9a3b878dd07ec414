"""The served model's word cache under hostile input: bounded in words and in bytes whatever words
clients send, long words scored without being cached, and hashed under a secret key of each CompiledModel's
own, so that words chosen to collide for one key cost another nothing special. On the small corpus:
no download, no training run."""

from __future__ import annotations

import random
import string
import subprocess
import sys

import pytest
from small_corpus import exported_model, fitted_pipeline

from spamcheck.serving import analyzers
from spamcheck.serving.analyzers import LONGEST_CACHED_WORD, WordCache

_score = pytest.importorskip("spamcheck.serving._score", reason="the compiled model was not built")


def compiled_model(
    model, words=analyzers.WORD_CACHE_WORDS, max_bytes=analyzers.WORD_CACHE_BYTES, longest=LONGEST_CACHED_WORD
):
    """A CompiledModel of ``model``'s vocabularies and arrays with the cache bounds given."""
    a = model.analyzers
    return _score.CompiledModel(
        a.per_word, a.tries, model.table, model.part_ends, model.bias, words, max_bytes, longest
    )


def random_words(count: int, length: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(string.ascii_lowercase, k=length)) for _ in range(count)]


def test_a_long_word_is_scored_as_scikit_learn_scores_it_but_not_cached():
    model = exported_model(compiled=True)
    long_word = "free" * 500
    before = model.compiled_model.cache_info()["words"]
    texts = [f"WIN {long_word} quokka", f"zebra {long_word.upper()}"]
    labels, probabilities = model.predict(texts)
    assert probabilities == pytest.approx(fitted_pipeline().predict_proba(texts)[:, 1], abs=1e-12)
    assert labels == fitted_pipeline().predict(texts).tolist()
    # "quokka" and "zebra" are new words ("win" is the vocabulary's, cached at load); the
    # 2,000-character one is not kept
    assert model.compiled_model.cache_info()["words"] == before + 2


@pytest.mark.parametrize("length", [LONGEST_CACHED_WORD, 9_900], ids=["at the caching limit", "at the message limit"])
def test_the_compiled_cache_stays_within_its_bytes_whatever_words_arrive(length):
    model = exported_model(compiled=True)
    budget = 64 * 1024
    small = compiled_model(model, max_bytes=budget)
    words_per_text = 100_000 // length  # about 1,500 words at the caching limit, 40 long ones
    for batch in range(4):
        texts = [" ".join(random_words(words_per_text, length, seed=batch * 100 + t)) for t in range(4)]
        # the same answers as a cache that never fills
        assert small.probabilities(texts) == pytest.approx(model.compiled_model.probabilities(texts), abs=1e-12)
        assert small.cache_info()["bytes"] <= budget
    assert small.cache_info()["words"] > 0 if length <= LONGEST_CACHED_WORD else small.cache_info()["words"] == 0


def test_the_compiled_cache_stays_within_its_words():
    model = exported_model(compiled=True)
    small = compiled_model(model, words=3)
    texts = ["one two three four five", "six seven", "one two three four five"]
    assert small.probabilities(texts) == pytest.approx(model.predict(texts)[1], abs=1e-12)
    assert small.cache_info()["words"] <= 3


def test_the_python_cache_is_bounded_like_the_compiled_one():
    # the analyzers' fallback (no C compiler): the same bounds, counted by sys.getsizeof
    model = exported_model(compiled=False)
    cache = WordCache(model.analyzers._word, words=1_000, max_bytes=64 * 1024)
    for word in random_words(2_000, LONGEST_CACHED_WORD, seed=1):
        assert cache(word) == model.analyzers._word(word)
        assert cache.bytes <= 64 * 1024 and len(cache.held) <= 1_000
    long_word = "x" * (LONGEST_CACHED_WORD + 1)
    cache(long_word)
    assert long_word not in cache.held
    words = WordCache(model.analyzers._word, words=3)
    for word in ["one", "two", "three", "four"]:
        words(word)
    assert len(words.held) <= 3


def colliding_words(s, count: int) -> list[str]:
    """``count`` distinct words whose lookups start in one slot of ``s``'s table: what an attacker
    who knew its key would send."""
    found, target = [], None
    for number in range(10_000_000):
        word = f"w{number}"
        slot = s.cache_slot(word)
        if target is None:
            target = slot
        if slot == target:
            found.append(word)
            if len(found) == count:
                return found
    raise AssertionError("no collisions found")


def test_words_chosen_to_collide_for_one_model_cost_another_nothing_special():
    model = exported_model(compiled=True)
    # a table of 512 slots (at most 256 words), so that colliding words are found in a blink
    target, other = compiled_model(model, words=256), compiled_model(model, words=256)
    words = colliding_words(target, 100)
    costs = {}
    for name, s in {"target": target, "other": other}.items():
        before = s.cache_info()["probes"]
        s.probabilities([" ".join(words)] * 2)  # each word looked up (and cached), then found again
        costs[name] = s.cache_info()["probes"] - before
    assert costs["target"] > 20 * len(words)  # each lookup walks past the words before it
    assert costs["other"] < 5 * len(words), costs  # a couple of slots a lookup, as for any words
    assert len({other.cache_slot(word) for word in words}) > 80  # spread over its table


def test_the_key_is_secret_even_when_pythons_hash_seed_is_fixed():
    # PYTHONHASHSEED=0 (make test) fixes str's hash in every process: the cache's key must not follow it
    program = (
        "import numpy as np\n"
        "from spamcheck.serving._score import CompiledModel\n"
        "s = CompiledModel(((True, 1, 2, {'a': 0}),), (), np.zeros((1, 2)), np.array([1]), np.zeros(1), 50_000, 2**20, 64)\n"
        "print([s.cache_slot(f'word{n}') for n in range(20)])\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "0"}
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] != runs[1]
