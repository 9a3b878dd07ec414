"""End to end: the real gunicorn server with app/gunicorn.conf.py, over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from service import HAM, JSON, SPAM, call
from spamcheck.tooling.localserver import Gunicorn


def test_hello_over_http(gunicorn):
    status, _, body = call(gunicorn.url + "/")
    assert status == 200 and body.startswith(b"Hello World!")


def test_article_predict_over_http(gunicorn):
    query = urllib.parse.urlencode([("text", HAM), ("text", SPAM)])
    status, headers, body = call(f"{gunicorn.url}/predict?{query}")
    assert (status, body) == (200, b"0,1")
    assert headers["Content-Type"].startswith("text/plain") and headers["X-Request-ID"]


def test_article_predict_form_over_http(gunicorn):
    form = urllib.parse.urlencode({"text": SPAM}).encode()
    status, _, body = call(gunicorn.url + "/predict", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, body) == (200, b"1")


def test_v1_predict_and_readiness_over_http(gunicorn):
    status, _, body = call(gunicorn.url + "/v1/predict", json.dumps({"texts": [HAM, SPAM]}).encode(), JSON)
    assert status == 200
    assert [p["label"] for p in json.loads(body)["predictions"]] == ["ham", "spam"]
    status, _, body = call(gunicorn.url + "/readyz")
    assert status == 200 and json.loads(body)["status"] == "ready"


def test_a_full_batch_of_1000_messages(gunicorn):
    texts = [HAM, SPAM] * 500
    started = time.perf_counter()
    status, _, body = call(gunicorn.url + "/v1/predict", json.dumps({"texts": texts}).encode(), JSON)
    elapsed = time.perf_counter() - started
    assert status == 200 and len(json.loads(body)["predictions"]) == 1000
    assert elapsed < 5  # a loose bound against hangs; `make bench` measures the real figure


@pytest.mark.parametrize(
    "data, content_type, status",
    [  # what only a real HTTP server sees (every other bad input: tests/test_api.py, once each)
        (b'{"texts": ["\xff"]}', "application/json", 400),  # bytes that are not UTF-8
        (b"x" * (3 * 1024 * 1024), "application/json", 413),  # over the limit: refused before it is read
    ],
)
def test_bad_input_over_http_is_a_json_4xx(gunicorn, data, content_type, status):
    got, headers, body = call(gunicorn.url + "/v1/predict", data, {"Content-Type": content_type})
    assert got == status and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]


def test_get_predict_takes_the_longest_message_of_the_collection(gunicorn, messages):
    """GET /predict takes every message of the collection (gunicorn's own 8,190-byte line limit would not)."""
    longest = max(messages["text"], key=len)
    assert len(longest) == 910
    status, _, body = call(f"{gunicorn.url}/predict?" + urllib.parse.urlencode({"text": longest}))
    assert status == 200 and body in (b"0", b"1")
    assert body.decode() == str(int(messages.loc[messages["text"] == longest, "y"].iloc[0]))


def test_a_request_target_over_64_kib_gets_the_apps_json_414(gunicorn):
    # httpx refuses to send a URL over 64 KiB itself: the request line goes on a socket, as a client sends it
    with socket.create_connection(("127.0.0.1", gunicorn.port), timeout=30) as connection:
        connection.sendall(
            b"GET /predict?text=" + b"x" * 100_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        answer = b"".join(iter(lambda: connection.recv(65536), b""))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 ") and b"Content-Type: application/json" in head, head
    assert "at most 65,536 are allowed: POST long messages" in json.loads(body)["error"]


def test_unknown_route_and_wrong_method_over_http(gunicorn):
    assert call(gunicorn.url + "/nope")[0] == 404
    status, headers, body = call(gunicorn.url + "/predict", method="DELETE")
    assert status == 405 and "GET" in headers["Allow"] and json.loads(body)["error"]


def test_bad_input_kills_no_worker_and_logs_no_500(model_dir, tmp_path):
    """A bad request, then a good one, to a server of its own: its log shows both, and no crash,
    traceback or 500."""
    server = Gunicorn(model_dir, tmp_path / "server.log")
    try:
        assert call(server.url + "/v1/predict", b'{"texts": [', JSON)[0] == 400
        assert call(server.url + "/predict?text=hello")[0] == 200
        assert call(server.url + "/healthz")[0] == 200
        logs = server.logs()
    finally:
        server.stop()
    for sign in ("Traceback", "WORKER TIMEOUT", "Worker exiting", " 500 "):
        assert sign not in logs, logs[-2000:]
    assert " POST /v1/predict 400 " in logs and " GET /predict 200 " in logs


@pytest.mark.drills  # 2,000 requests: with the drills, out of the inner loop
def test_the_workers_keep_sharing_the_masters_memory(model_dir, messages, tmp_path):
    """gunicorn.conf.py freezes the master's objects before it forks, so that the workers' garbage
    collector does not un-share their pages: 2,000 distinct messages grew the master and 2 workers by
    153 MB PSS without it, by about 22 MB with it (most of it the served model's word cache)."""
    texts = [text for text in messages["text"].drop_duplicates() if len(text) <= 1000][:2000]
    server = Gunicorn(model_dir, tmp_path / "server.log")
    try:
        before = server.pss_mb()
        for text in texts:
            assert call(f"{server.url}/predict?{urllib.parse.urlencode({'text': text})}")[0] == 200
        grown = server.pss_mb() - before
    finally:
        server.stop()
    assert grown < 80, f"{grown:.0f} MB more PSS after {len(texts):,} distinct messages"


@pytest.mark.drills  # a fuzzer: with the drills, out of the inner loop
def test_an_unmodified_schemathesis_run_finds_no_schema_valid_request_rejected(gunicorn, tmp_path):
    """The OpenAPI document promises only what the server keeps: GET /predict documents what one
    request line carries. schemathesis with no project settings (run outside the repository, so
    drills/schemathesis.toml is not read), checking that every schema-valid request is accepted, on
    every operation but the inference call: its one cross-field rule (shape = [number of messages])
    is said in words, as JSON Schema cannot state it, and the fuzz drill's settings name it."""
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{gunicorn.url}/openapi.json",
            "--checks",
            "positive_data_acceptance",
            "--exclude-path-regex",
            "/infer$",
            "--max-examples",
            "50",
            "--seed",
            "7",
            "--generation-database",
            "none",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
