"""The stop drills: a worker killed under load, and a graceful stop (of gunicorn, and of the container)
under load: no request the app answered may be lost, and the process must exit cleanly in time."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time

from drills.common import PREDICT, Load, Report, send, server
from spamcheck.serving.examples import HAM, SPAM
from spamcheck.tooling.containers import Container
from spamcheck.tooling.localserver import until


def kill_worker(model_dir, log_dir, seconds=10.0, connections=16) -> Report:
    served = server(model_dir, log_dir, "kill-worker")
    try:
        before = served.workers()
        load = Load(served.url, connections=connections, seconds=seconds)
        time.sleep(seconds / 3)
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        outcomes = load.wait()
        with contextlib.suppress(TimeoutError):  # the report says whether the worker was replaced
            until(lambda: len(served.workers()) >= len(before) and victim not in served.workers(), seconds=30)
        after = served.workers()
        following = [send(served.url, PREDICT)[0] for _ in range(20)]
    finally:
        served.stop()
    failed = sum(1 for o in outcomes if o.status != 200)
    rate = failed / max(1, len(outcomes))
    replaced = victim not in after and len(after) == len(before)
    return Report(
        "worker killed under load",
        rate < 0.01 and replaced and following == [200] * 20,
        {
            "requests": len(outcomes),
            "failed": failed,
            "failed %": round(100 * rate, 3),
            "worker replaced": replaced,
            "next 20 requests": f"{following.count(200)}/20 ok",
        },
    )


BATCH = json.dumps({"texts": [HAM, SPAM] * 500}).encode()  # ~0.1 s each: always some in flight


def _answered_ids(logs: str) -> set[str]:
    """Request ids the app finished answering, from its one log line per request."""
    return set(re.findall(r" POST /v1/predict 200 \S+ id=(\w+)", logs))


def _stop_report(name, outcomes, answered, signal_time, exit_code, seconds, limit) -> Report:
    status_of = {o.request_id: o.status for o in outcomes}
    lost = [i for i in answered if status_of.get(i) != 200]
    in_flight = sum(1 for o in outcomes if o.status == 200 and o.started < signal_time < o.finished)
    refused = sum(1 for o in outcomes if o.status != 200 and o.request_id not in answered)
    return Report(
        name,
        not lost and exit_code == 0 and seconds < limit and in_flight > 0,
        {
            "requests answered by the app": len(answered),
            "of those, not received whole": len(lost),
            "in flight at the signal, completed": in_flight,
            "refused after the signal": refused,
            "exit code": exit_code,
            "seconds to exit": round(seconds, 2),
            "limit (s)": limit,
        },
    )


def graceful_stop(model_dir, log_dir, connections=8, before_signal=2.0, graceful_timeout=20) -> Report:
    served = server(model_dir, log_dir, "graceful-stop", GUNICORN_GRACEFUL_TIMEOUT=graceful_timeout)
    load = Load(served.url, "/v1/predict", connections, 120, "POST", BATCH, {"Content-Type": "application/json"})
    time.sleep(before_signal)
    signal_time = time.monotonic()
    exit_code, seconds = served.stop(timeout=graceful_timeout + 10)
    outcomes = load.stop()
    return _stop_report(
        "graceful stop (gunicorn, SIGTERM)",
        outcomes,
        _answered_ids(served.logs()),
        signal_time,
        exit_code,
        seconds,
        graceful_timeout,
    )


def graceful_stop_container(engine, image, connections=8, before_signal=2.0, stop_timeout=25) -> Report:
    with Container(engine, image, name_prefix="spamcheck-drill") as container:
        load = Load(container.url, "/v1/predict", connections, 120, "POST", BATCH, {"Content-Type": "application/json"})
        time.sleep(before_signal)
        signal_time, started = time.monotonic(), time.monotonic()
        container.stop(stop_timeout)
        seconds = time.monotonic() - started
        outcomes = load.stop()
        exit_code, logs = container.exit_code(), container.logs()
    return _stop_report(
        f"graceful stop ({engine} stop)", outcomes, _answered_ids(logs), signal_time, exit_code, seconds, stop_timeout
    )
