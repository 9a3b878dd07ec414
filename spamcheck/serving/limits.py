"""How much one request may carry: read once from the environment when the service starts.

The request models (spamcheck.serving.schemas) are declared with these numbers, so the checks
and the OpenAPI document always state the limits the server enforces.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    max_messages: int = 1000  # messages in one request
    max_message_chars: int = 10_000  # characters in one message
    max_body_bytes: int = 2 * 1024 * 1024  # bytes in one request body

    @classmethod
    def from_environment(cls, env=os.environ) -> Limits:
        """Each field from its variable in capitals (MAX_MESSAGES, ...), else its default."""
        values = {}
        for field in fields(cls):
            variable = field.name.upper()
            if env.get(variable):
                problem = ValueError(f"{variable}={env[variable]!r} must be a positive whole number")
                try:
                    values[field.name] = int(env[variable])
                except ValueError:
                    raise problem from None
                if values[field.name] <= 0:
                    raise problem
        return cls(**values)


LIMITS = Limits.from_environment()

# What GET /predict takes: every message of the collection (the longest has 910 characters), up to 4
# at once. The request target then always fits MAX_REQUEST_TARGET_BYTES, even if every character is
# percent-encoded UTF-8 of 4 bytes (12 characters on the line): 4 x (len("text=&") + 1,000 x 12) =
# 48,024 bytes. More, or longer, messages go by POST.
GET_MAX_MESSAGES = min(4, LIMITS.max_messages)
GET_MAX_MESSAGE_CHARS = min(1000, LIMITS.max_message_chars)
# The longest request target (path and query) the app takes; a longer one gets its JSON 414.
# gunicorn lets request lines through up to 1 MiB (app/gunicorn.conf.py), so the app decides.
MAX_REQUEST_TARGET_BYTES = 65_536
