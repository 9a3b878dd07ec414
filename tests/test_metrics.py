"""/metrics adds up exactly across gunicorn's workers: a known number of requests through 2 workers,
then the Prometheus text parsed with prometheus_client's own parser."""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import urllib.parse

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service import HAM, JSON, SPAM, call
from spamcheck.tooling.localserver import Gunicorn


def scrape(url) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} from GET /metrics."""
    status, headers, body = call(url + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


@pytest.fixture
def server(small_model_dir, tmp_path):
    metrics_dir = tmp_path / "metrics"
    server = Gunicorn(small_model_dir, tmp_path / "server.log", WEB_CONCURRENCY=2, PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    server.metrics_dir = metrics_dir
    yield server
    server.stop()


def test_counts_add_up_exactly_across_two_workers(server, small_model):
    hello, article, batches, bad = 40, 30, 12, 7
    batch = json.dumps({"texts": [HAM, SPAM, HAM]}).encode()
    calls = (
        [((server.url + "/",), 200)] * hello
        + [((server.url + "/predict?" + urllib.parse.urlencode({"text": SPAM}),), 200)] * article
        + [((server.url + "/v1/predict", batch, JSON), 200)] * batches
        + [((server.url + "/v1/predict", b"{", JSON), 400)] * bad
    )
    # 8 at a time: a sync worker answers one request at a time, so both workers take a share
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda c: call(*c[0])[0], calls))
    assert statuses == [status for _, status in calls]
    samples = scrape(server.url)

    def value(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))), 0)

    requests = "spamcheck_http_requests_total"
    assert value(requests, route="/", method="GET", status="200") == hello
    assert value(requests, route="/predict", method="GET", status="200") == article
    assert value(requests, route="/v1/predict", method="POST", status="200") == batches
    assert value(requests, route="/v1/predict", method="POST", status="400") == bad
    assert value("spamcheck_http_request_duration_seconds_count", route="/predict") == article
    assert value("spamcheck_http_request_duration_seconds_bucket", route="/", le="+Inf") == hello
    assert value("spamcheck_messages_scored_total", label="spam") == article + batches
    assert value("spamcheck_messages_scored_total", label="ham") == 2 * batches
    assert value("spamcheck_http_requests_in_flight") == 1  # the scrape itself
    assert value("spamcheck_model_info", model_version=small_model.version, kind="svm") == 1
    # both workers answered: each wrote its own file of counts, and the sums above cover both
    workers = {path.stem.rsplit("_", 1)[1] for path in server.metrics_dir.glob("*/counter_*.db")}
    assert len(workers) >= 2, workers


def test_a_killed_servers_counts_do_not_leak_into_the_next(small_model_dir, tmp_path):
    """Each server keeps its counts in a folder of its own inside the one named, so the counts a
    killed server left behind are not added to the next server's (a clean stop removes its folder)."""
    metrics_dir = tmp_path / "metrics"
    hello = ("spamcheck_http_requests_total", (("method", "GET"), ("route", "/"), ("status", "200")))
    first = Gunicorn(small_model_dir, tmp_path / "first.log", PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    try:
        for _ in range(3):
            call(first.url + "/")
        assert scrape(first.url)[hello] == 3
    finally:
        for pid in [*first.workers(), first.process.pid]:  # killed: no chance to clean up
            os.kill(pid, signal.SIGKILL)
        first.stop()
    assert list(metrics_dir.glob("*/counter_*.db")), "the killed server's counts are left behind"
    second = Gunicorn(small_model_dir, tmp_path / "second.log", PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    try:
        call(second.url + "/")
        assert scrape(second.url)[hello] == 1
    finally:
        second.stop()


def test_the_server_owns_only_its_own_files_in_the_folder_it_is_given(small_model_dir, tmp_path):
    # an operator's folder (PROMETHEUS_MULTIPROC_DIR=/tmp is a common choice) with a file of theirs
    theirs = tmp_path / "shared" / "notes.txt"
    theirs.parent.mkdir()
    theirs.write_text("not gunicorn's")
    server = Gunicorn(small_model_dir, tmp_path / "server.log", PROMETHEUS_MULTIPROC_DIR=theirs.parent)
    try:
        assert call(server.url + "/")[0] == 200 and "spamcheck_http_requests_total" in str(scrape(server.url))
        assert theirs.read_text() == "not gunicorn's"
    finally:
        assert server.stop()[0] == 0
    assert theirs.read_text() == "not gunicorn's"
    assert sorted(p.name for p in theirs.parent.iterdir()) == ["notes.txt"]  # its own folder is gone
