"""What every drill shares: its :class:`Report`, the one HTTP client (httpx), and the load generator."""

from __future__ import annotations

import itertools
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import httpx

from spamcheck.serving.examples import SPAM
from spamcheck.tooling.httpclient import call
from spamcheck.tooling.localserver import Gunicorn

PREDICT = "/predict?" + urllib.parse.urlencode({"text": SPAM})
CRASH_SIGNS = ("Traceback", "WORKER TIMEOUT", "Worker exiting", " 500 ")


@dataclass
class Report:
    name: str
    passed: bool
    figures: dict = field(default_factory=dict)


def send(base_url, path, method="GET", body=None, headers=None, timeout=30) -> tuple[int, bytes]:
    """(status, body bytes) of one request; raises httpx.TransportError when the connection fails."""
    status, _, body = call(base_url + path, body, headers, method, timeout)
    return status, body


class Outcome(NamedTuple):
    """One request of a load: its id, its status (or the error's name) and when it ran."""

    request_id: str
    status: int | str
    started: float
    finished: float


class Load:
    """``connections`` threads sending requests one after another until stopped (or ``seconds``).

    Each request carries a fresh X-Request-ID; the outcome of each is kept as an
    :class:`Outcome`. With ``paths``, the requests
    rotate through them (many distinct messages, as users send), else every one asks ``path``.
    """

    def __init__(
        self, base_url, path=PREDICT, connections=16, seconds=10.0, method="GET", body=None, headers=None, paths=()
    ):
        self.base_url, self.method, self.body = base_url, method, body
        self.paths = list(paths) or [path]
        self.turn = itertools.count()  # next() is atomic: the threads share one rotation
        self.headers = headers or {}
        self.deadline = time.monotonic() + seconds
        self.stopping = threading.Event()
        self.outcomes: list[Outcome] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(connections)]
        for thread in self.threads:
            thread.start()

    def _run(self):
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            request_id, started = uuid.uuid4().hex, time.monotonic()
            try:
                status, _ = send(
                    self.base_url,
                    self.paths[next(self.turn) % len(self.paths)],
                    self.method,
                    self.body,
                    {**self.headers, "X-Request-ID": request_id},
                    timeout=30,
                )
            except httpx.TransportError as exc:
                status = type(exc).__name__
                time.sleep(0.01)  # a refused connection returns at once: do not spin
            with self.lock:
                self.outcomes.append(Outcome(request_id, status, started, time.monotonic()))

    def stop(self) -> list:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)
        return self.outcomes

    def wait(self) -> list:
        for thread in self.threads:
            thread.join(max(0.0, self.deadline - time.monotonic()) + 60)
        return self.outcomes


def server(model_dir, log_dir, name, **env) -> Gunicorn:
    """The real gunicorn on a free port of 127.0.0.1, its log in ``log_dir``/NAME.log."""
    return Gunicorn(model_dir, Path(log_dir) / f"{name}.log", **env)
