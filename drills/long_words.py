"""The long-words drill: what a hostile client can send inside the documented limits (requests of
distinct random words, at the message limit and at the word cache's length limit) must not grow the
service's memory past a stated bound; the collection's real messages are answered as before."""

from __future__ import annotations

import concurrent.futures
import json
import random
import string

from drills.common import Report, send, server
from spamcheck.serving.analyzers import LONGEST_CACHED_WORD, WORD_CACHE_BYTES
from spamcheck.serving.settings import Settings

JSON = {"Content-Type": "application/json"}
WORKERS = 2
# Growth allowed after warm-up, for the master and its workers together: each worker's word cache
# may fill up to its budget (warm-up need not have filled it), plus 16 MB for the allocator's slack.
BOUND_MB = WORKERS * WORD_CACHE_BYTES / 1e6 + 16


def hostile_bodies(count: int, seed: int, long: bool) -> list[bytes]:
    """``count`` bodies for POST /v1/predict at the documented limits, each of distinct random words:
    ``long``, as many messages of one word of ``MAX_MESSAGE_CHARS - 100`` characters as fit in
    ``MAX_BODY_BYTES``; else 1,000 messages of words of the longest length the word cache keeps."""
    limits, rng = Settings(), random.Random(seed)
    letters = string.ascii_lowercase + string.digits
    long_length = limits.max_message_chars - 100
    per_body = min(limits.max_messages, limits.max_body_bytes // (long_length + 4))
    words_per_message = min(limits.max_message_chars, limits.max_body_bytes // limits.max_messages) // (
        LONGEST_CACHED_WORD + 1
    )
    bodies = []
    for _ in range(count):
        if long:
            texts = ["".join(rng.choices(letters, k=long_length)) for _ in range(per_body)]
        else:
            texts = [
                " ".join("".join(rng.choices(letters, k=LONGEST_CACHED_WORD)) for _ in range(words_per_message))
                for _ in range(limits.max_messages)
            ]
        body = json.dumps({"texts": texts}).encode()
        assert len(body) <= limits.max_body_bytes, len(body)
        bodies.append(body)
    return bodies


def real_batches() -> list[bytes]:
    """The collection's distinct messages, as POST /v1/predict bodies of 1,000 messages."""
    from spamcheck.training import data

    texts = list(dict.fromkeys(data.load(progress=False)["text"]))
    return [json.dumps({"texts": texts[i : i + 1000]}).encode() for i in range(0, len(texts), 1000)]


def long_words(model_dir, log_dir, requests=60, warmup=4, seed=7) -> Report:
    """Warm up (the real messages, then ``warmup`` hostile requests of each kind), read the PSS of the
    master and its workers, send ``requests`` requests of long words and a tenth as many of words at
    the caching limit (2 at a time, so both workers take them), read it again: the growth must stay
    under BOUND_MB, every request be answered 200, and the real messages' answers be unchanged."""
    batches = real_batches()
    served = server(model_dir, log_dir, "long_words", WEB_CONCURRENCY=WORKERS)
    try:
        before = [send(served.url, "/v1/predict", "POST", body, JSON)[1] for body in batches]
        statuses = []

        def post(body: bytes) -> int:
            return send(served.url, "/v1/predict", "POST", body, JSON, timeout=120)[0]

        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            for long in (True, False):
                statuses += pool.map(post, hostile_bodies(warmup, seed + long, long))
            started = served.pss_mb()
            for chunk in range(0, requests, 10):  # made 10 at a time: 2 MB each
                statuses += pool.map(post, hostile_bodies(min(10, requests - chunk), seed + 2 + chunk, long=True))
            statuses += pool.map(post, hostile_bodies(max(1, requests // 10), seed + 1, long=False))
            ended = served.pss_mb()
        after = [send(served.url, "/v1/predict", "POST", body, JSON)[1] for body in batches]
    finally:
        served.stop()
    growth = ended - started
    refused = sum(status != 200 for status in statuses)
    same = after == before
    return Report(
        "long words",
        refused == 0 and same and growth < BOUND_MB,
        {
            "hostile requests": len(statuses),
            "not 200": refused,
            "PSS after warm-up, after (MB)": (round(started), round(ended)),
            "growth (MB)": round(growth, 1),
            "bound (MB)": round(BOUND_MB, 1),
            "real messages answered as before": same,
        },
    )
