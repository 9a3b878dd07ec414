"""The soak drill: a steady load through every distinct message of the collection; each worker's memory
must stay flat after warm-up."""

from __future__ import annotations

import time
import urllib.parse

import psutil

from drills.common import Load, Report, server


def distinct_message_paths() -> list[str]:
    """``/predict?text=...`` for each distinct message of the collection, in the file's order."""
    from spamcheck.training import data

    texts = dict.fromkeys(data.load(progress=False)["text"])
    return [f"/predict?{urllib.parse.urlencode({'text': text})}" for text in texts]


def soak(model_dir, log_dir, seconds=180.0, connections=8, warmup=30.0, every=5.0) -> Report:
    """Steady load, rotating through the collection's distinct messages (they fill the served model's
    word cache, the likeliest place for memory to grow); the resident memory of each worker sampled;
    after warm-up it must stay flat (growth under 10 %). gunicorn recycles a worker after
    GUNICORN_MAX_REQUESTS requests (by design, against slow leaks): its successor is sampled as a
    worker of its own."""
    paths = distinct_message_paths()
    served = server(model_dir, log_dir, "soak")
    try:
        first = served.workers()
        load = Load(served.url, connections=connections, seconds=seconds, paths=paths)
        samples: dict[int, list] = {}  # pid -> [(seconds since start, RSS bytes)]
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            time.sleep(every)
            for pid in served.workers():
                try:
                    rss = psutil.Process(pid).memory_info().rss
                except psutil.NoSuchProcess:  # recycled between the listing and the reading
                    continue
                samples.setdefault(pid, []).append((time.monotonic() - started, rss))
        outcomes = load.wait()
    finally:
        served.stop()
    errors = sum(1 for o in outcomes if o.status != 200)
    growth, memory = {}, []  # per worker: growth after warm-up; RSS at its first sample, after warm-up, at the end
    for pid, series in samples.items():
        after_warmup = [rss for t, rss in series if t >= warmup]
        if len(after_warmup) >= 2:
            growth[pid] = (after_warmup[-1] - after_warmup[0]) / after_warmup[0]
        marks = (series[0][1], after_warmup[0] if after_warmup else series[-1][1], series[-1][1])
        memory.append(tuple(round(rss / 2**20, 1) for rss in marks))
    worst = max(growth.values(), default=float("nan"))
    recycled = len(set(samples) - set(first))
    return Report(
        "soak",
        errors == 0 and bool(growth) and worst < 0.10,
        {
            "seconds": seconds,
            "requests": len(outcomes),
            "errors": errors,
            "requests/s": round(len(outcomes) / seconds),
            "distinct messages rotated": len(paths),
            "worker RSS (MB): first sample, after warm-up, end": memory,
            "worst RSS growth after warm-up %": round(100 * worst, 2),
            "workers recycled by max_requests": recycled,
        },
    )
