"""The one HTTP client of the tests, the drills, the bench and the port-forward check: httpx, with one
client shared by every thread (httpx's clients are thread-safe; making one per request would cost
more than the request, an SSL context each, though all this traffic is plain HTTP to 127.0.0.1)."""

from __future__ import annotations

import httpx

CLIENT = httpx.Client(limits=httpx.Limits(max_connections=64), timeout=30)


def call(url: str, data: bytes | None = None, headers=None, method: str | None = None, timeout: float = 30):
    """(status, headers, body bytes) of one request: GET, or POST when there is a body. Answers with
    an error status are returned like any other; a connection that fails raises httpx.TransportError."""
    response = CLIENT.request(
        method or ("GET" if data is None else "POST"), url, content=data, headers=headers, timeout=timeout
    )
    return response.status_code, response.headers, response.content
