"""Prometheus metrics, correct across gunicorn's worker processes.

gunicorn's config (app/gunicorn.conf.py) sets PROMETHEUS_MULTIPROC_DIR before the app is imported:
then each worker writes its values to files there (memory-backed: /tmp is a tmpfs in the image and
the Pod) and :func:`exposition` adds them up (prometheus_client's multiprocess mode). Without it
(`flask run`, the test client) the metrics live in this process.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from spamcheck.serving.labels import HAM_NAME, SPAM_NAME

REQUESTS = Counter(
    "spamcheck_http_requests_total",
    "HTTP requests answered, by route, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "spamcheck_http_request_duration_seconds",
    "Time to answer a request, by route",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
IN_FLIGHT = Gauge("spamcheck_http_requests_in_flight", "Requests being answered now", multiprocess_mode="livesum")
MESSAGES = Counter("spamcheck_messages_scored_total", "Messages classified, by predicted label", ["label"])
# An info metric (value 1, the facts as labels); multiprocess mode has no Info type, so a gauge
MODEL_INFO = Gauge(
    "spamcheck_model_info", "The model being served (value 1)", ["model_version", "kind"], multiprocess_mode="livemax"
)


# the two children, looked up once rather than on every request
_SPAM_MESSAGES, _HAM_MESSAGES = MESSAGES.labels(SPAM_NAME), MESSAGES.labels(HAM_NAME)


def count_messages(labels: list[int]) -> None:
    spam = sum(labels)  # labels are 0 (ham) or 1 (spam)
    if spam:
        _SPAM_MESSAGES.inc(spam)
    if len(labels) - spam:
        _HAM_MESSAGES.inc(len(labels) - spam)


def exposition() -> tuple[bytes, str]:
    """The metrics in the Prometheus text format, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()  # a fresh one per scrape, as prometheus_client documents
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
