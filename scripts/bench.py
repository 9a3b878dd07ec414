#!/usr/bin/env python3
"""`make bench`: throughput and latency of the real gunicorn service, on 127.0.0.1 only.

Starts gunicorn with app/gunicorn.conf.py on a free port and the model in models/ (or MODEL_DIR),
then, with wrk (Debian package `wrk`) or else a bounded Python client, 16 connections:
  GET /               the baseline: Flask + gunicorn with no model work
  GET /predict?text=  one message through the model, rotating through 2,000 distinct messages of
                      the collection (GET takes every one of them), as users send
                      them (the served model caches what it learns per word, so one message sent
                      again and again flatters it)
  GET /predict?text=  the same, one message sent again and again (labelled "repeated": what earlier
                      versions of this benchmark reported, beside the figure above, never alone)
  POST /v1/predict    the JSON API, one distinct message per request: the same 2,000 messages
in alternating rounds (the routes in turn, in reverse order every other round; 14 rounds of 1 s
each per route by default), so that a shared machine's drift in speed falls on all alike. It prints
requests/s (the mean over rounds), p50 (the median of rounds) and p99 (the worst round), and each
/predict's throughput as a share of /'s: the median of the rounds' shares (each round measures the
routes back to back), the lowest and highest, and the share of the mean rates. Then it times
POST /v1/predict with 1,000 distinct messages (and, labelled, two messages repeated 500 times), and
compares the served model (model.npz) with plain scikit-learn in-process on 1,000 distinct messages.
Dated figures are in docs/benchmarks.md.

gunicorn's sync workers close each connection, so the client opens thousands of connections a
second on loopback; the server, which closes first, keeps each in TIME_WAIT for 60 s. A connect
that meets a TIME_WAIT socket it cannot reuse stalls for a second (TcpExtPAWSTimewait), and then the
p99 measures the kernel, not the service. So the load is kept short, and the benchmark first waits
(at most 65 s) for an earlier run's TIME_WAIT sockets to expire.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from spamcheck.serving import artifacts
from spamcheck.serving.examples import HAM, SPAM
from spamcheck.serving.settings import GET_MESSAGE_CHARS
from spamcheck.tooling.httpclient import call
from spamcheck.tooling.localserver import Gunicorn
from spamcheck.training import data
from spamcheck.training.export import read_halves

ROTATING = 2000  # distinct messages /predict rotates through
TARGETS = {"ratio": 0.85, "p99_ms": 25.0, "batch_ms": 100.0, "batch_vs_sklearn": 0.10, "pss_mb": 350}


def distinct_messages(seed: int = 42) -> list[str]:
    """The collection's distinct texts, in a fixed shuffled order."""
    texts = data.load(progress=False)["text"].drop_duplicates()
    return texts.sample(frac=1, random_state=seed).tolist()


JSON = {"Content-Type": "application/json"}


def get(path: str) -> tuple[str, str, str]:
    return ("GET", path, "")


def post_json(path: str, body: dict) -> tuple[str, str, str]:
    return ("POST", path, json.dumps(body))  # ASCII: json escapes the rest as \\uXXXX


@functools.cache  # written once per list, not once per round
def wrk_script(requests: tuple[tuple[str, str, str], ...]) -> Path:
    """A wrk Lua script that sends the next of ``requests`` (method, path, body), round and round. The
    requests are formatted once, in each thread's init: wrk runs on the same two cores as the server,
    and formatting each request anew made the client's work per distinct request 3 % dearer than per
    fixed one (GET /, which wrk sends ready-made), a cost the ratio would count against the route."""
    # plain ASCII (paths URL-encoded, bodies JSON-escaped): JSON's string quotes are Lua's
    quoted = ",\n".join(
        f"{{{json.dumps(method)}, {json.dumps(path)}, {json.dumps(body)}}}" for method, path, body in requests
    )
    script = Path(tempfile.mkdtemp()) / "rotate.lua"
    script.write_text(
        f"local sends = {{\n{quoted}\n}}\nlocal requests = {{}}\nlocal i = 0\n"
        "init = function(args)\n  for k, r in ipairs(sends) do\n"
        "    local headers = nil\n    if r[3] ~= '' then headers = {['Content-Type'] = 'application/json'} end\n"
        "    requests[k] = wrk.format(r[1], r[2], headers, r[3] ~= '' and r[3] or nil)\n  end\nend\n"
        "request = function()\n  i = i % #requests + 1\n  return requests[i]\nend\n"
    )
    return script


def wrk(url: str, connections: int, seconds: int, requests: tuple[tuple[str, str, str], ...] = ()) -> dict:
    script = ["-s", str(wrk_script(requests))] if requests else []
    output = subprocess.run(
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", *script, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout

    def latency(label):
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def python_client(url: str, connections: int, seconds: int, requests: tuple[tuple[str, str, str], ...] = ()) -> dict:
    """A bounded fallback: `connections` threads, each sending requests until the time is up."""
    parts = urllib.parse.urlsplit(url)
    targets = requests or [get(parts.path + (f"?{parts.query}" if parts.query else ""))]
    deadline = time.monotonic() + seconds

    base = f"{parts.scheme}://{parts.netloc}"

    def worker(offset):
        latencies, errors = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            _, path, body = targets[(offset + len(latencies)) % len(targets)]
            status, _, _ = call(base + path, body.encode() or None, JSON if body else None, timeout=10)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += status != 200
        return latencies, errors

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        results = list(pool.map(worker, range(0, connections * 97, 97)))
    elapsed = time.monotonic() - started
    latencies = sorted(latency for run, _ in results for latency in run)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[int(len(latencies) * 0.99)],
        "errors": sum(e for _, e in results),
    }


def time_batch(url: str, batches: list[list[str]]) -> list[float]:
    """Milliseconds for each POST /v1/predict of one batch of messages."""
    timings = []
    for texts in batches:
        body = json.dumps({"texts": texts}).encode()
        started = time.perf_counter()
        status, _, answer = call(f"{url}/v1/predict", body, JSON)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200 or len(json.loads(answer)["predictions"]) != len(texts):
            raise RuntimeError(f"POST /v1/predict with {len(texts)} messages answered {status}")
    return timings


def in_process(model_dir: Path, messages: list[str]) -> tuple[float, float, float]:
    """Milliseconds for one message, each of ``messages`` in turn: scikit-learn's own path (the
    pickles), then the served model (model.npz; loaded anew, so its per-word cache starts empty); and
    scikit-learn's predict of all of ``messages`` in one call (the median of 3)."""
    features, classifier = read_halves(model_dir)
    served = artifacts.load(model_dir)

    def sklearn_batch():
        started = time.perf_counter()
        classifier.predict(features.transform(messages))
        return (time.perf_counter() - started) * 1000

    def per_call(function):
        started = time.perf_counter()
        for text in messages:
            function(text)
        return (time.perf_counter() - started) / len(messages) * 1000

    sklearn_ms = per_call(lambda text: classifier.predict_proba(features.transform([text])))
    served_ms = per_call(lambda text: served.predict([text]))
    return sklearn_ms, served_ms, statistics.median(sklearn_batch() for _ in range(3))


def time_wait_sockets() -> int | None:
    if not shutil.which("ss"):
        return None
    listing = subprocess.run(["ss", "-Htan", "state", "time-wait"], capture_output=True, text=True).stdout
    return len(listing.splitlines())


def wait_for_time_wait_to_drain(limit: int = 2000, seconds: int = 65) -> None:
    deadline = time.monotonic() + seconds
    while (count := time_wait_sockets()) is not None and count > limit and time.monotonic() < deadline:
        print(f"waiting for {count:,} TIME_WAIT sockets of an earlier run to expire...", file=sys.stderr)
        time.sleep(5)


def summary(runs: list[dict]) -> dict:
    """Several equal-length runs of one route as one: mean throughput, median p50, worst p99."""
    return {
        "rps": statistics.mean(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": max(r["p99_ms"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=14, help="alternating rounds of the four routes")
    parser.add_argument("--seconds", type=int, default=1, help="per round and route")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()
    model_dir = artifacts.model_dir()
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    load = wrk if client == "wrk" else python_client
    if client == "python":
        print(
            "note: wrk not found (Debian: apt-get install wrk); using the slower Python client, "
            "which competes with the server for the same cores",
            file=sys.stderr,
        )

    messages = distinct_messages()
    # GET takes up to GET_MESSAGE_CHARS per message: every message of the collection
    short = [text for text in messages if len(text) <= GET_MESSAGE_CHARS]
    rotating = tuple(get(f"/predict?{urllib.parse.urlencode({'text': text})}") for text in short[:ROTATING])
    rotating_v1 = tuple(post_json("/v1/predict", {"texts": [text]}) for text in short[:ROTATING])
    batches = [messages[i * 400 : i * 400 + 1000] for i in range(10)]  # 1,000 distinct messages each
    wait_for_time_wait_to_drain()
    server = Gunicorn(model_dir, Path(tempfile.mkdtemp()) / "bench-server.log")
    try:
        print(
            f"spamcheck benchmark: model {artifacts.read_card(model_dir)['model_version']}, gunicorn on "
            f"{server.url}, client {client}, {args.connections} connections, "
            f"{args.rounds} alternating rounds of {args.seconds} s per route"
        )
        routes = {  # name -> (url, requests to rotate through)
            "GET /": (server.url + "/", ()),
            f"GET /predict, {ROTATING:,} distinct": (server.url + "/", rotating),
            "GET /predict, repeated": (f"{server.url}/predict?" + urllib.parse.urlencode({"text": SPAM}), ()),
            f"POST /v1/predict, {ROTATING:,} distinct": (server.url + "/", rotating_v1),
        }
        load(server.url + "/", args.connections, 1)  # warm-up
        runs = {name: [] for name in routes}
        for index in range(args.rounds):  # the routes' order reversed every other round
            for name in list(routes)[:: 1 if index % 2 == 0 else -1]:
                url, requests = routes[name]
                runs[name].append(load(url, args.connections, args.seconds, requests))
        batch = time_batch(server.url, batches)
        repeated_batch = time_batch(server.url, [[SPAM, HAM] * 500] * 10)
        memory, workers = server.pss_mb(), len(server.workers())
    finally:
        server.stop()
    sklearn_ms, served_ms, sklearn_batch_ms = in_process(model_dir, batches[0])

    summaries = {name: summary(route_runs) for name, route_runs in runs.items()}
    hello = summaries["GET /"]
    for name, result in summaries.items():
        print(
            f"{name:34s} {result['rps']:8.0f} req/s   p50 {result['p50_ms']:6.2f} ms   "
            f"p99 {result['p99_ms']:6.2f} ms   errors {result['errors']}"
        )
    for name in list(routes)[1:]:
        # each round's ratio (the two routes measured back to back), and their median: the measure
        ratios = [p["rps"] / h["rps"] for h, p in zip(runs["GET /"], runs[name])]
        ratio = statistics.median(ratios)
        print(
            f"{name} / GET /: median of rounds {ratio:.0%} (rounds {min(ratios):.0%} to {max(ratios):.0%}; "
            f"of the mean rates {summaries[name]['rps'] / hello['rps']:.0%})  "
            f"(target >= {TARGETS['ratio']:.0%}: {verdict(ratio >= TARGETS['ratio'])})"
        )
    varied = summaries[f"GET /predict, {ROTATING:,} distinct"]
    print(
        f"/predict p99 at {args.connections} connections, distinct messages: {varied['p99_ms']:.1f} ms  "
        f"(target <= {TARGETS['p99_ms']:.0f} ms: {verdict(varied['p99_ms'] <= TARGETS['p99_ms'])})"
    )
    for label, timings in (("1,000 distinct messages", batch), ("repeated: 2 messages x 500", repeated_batch)):
        print(
            f"POST /v1/predict, {label}: median {statistics.median(timings):.0f} ms, best {min(timings):.0f} ms "
            f"over {len(timings)}  (target <= {TARGETS['batch_ms']:.0f} ms: "
            f"{verdict(statistics.median(timings) <= TARGETS['batch_ms'])})"
        )
    print(
        f"one message in-process, 1,000 distinct messages: scikit-learn {sklearn_ms:.2f} ms, "
        f"served model {served_ms:.3f} ms ({sklearn_ms / served_ms:.0f}x faster)"
    )
    share = statistics.median(batch) / sklearn_batch_ms
    print(
        f"POST /v1/predict of 1,000 distinct messages / scikit-learn's predict of 1,000 in one call in-process "
        f"({sklearn_batch_ms:.0f} ms): {share:.2f}  "
        f"(target <= {TARGETS['batch_vs_sklearn']:.2f}: {verdict(share <= TARGETS['batch_vs_sklearn'])})"
    )
    print(
        f"memory after the load, master and {workers} workers: {memory:.0f} MB PSS  "
        f"(target <= {TARGETS['pss_mb']} MB: {verdict(memory <= TARGETS['pss_mb'])})"
    )
    return 0 if all(result["errors"] == 0 for result in summaries.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
