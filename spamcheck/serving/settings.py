"""The service's settings: one pydantic-settings class, read from the environment when an app is made.

``create_app(settings)`` takes a :class:`Settings`; without one it reads the environment (each field
from its variable in capitals: MODEL_DIR, MAX_MESSAGES, ...). What depends on the limits, the request
models and the OpenAPI document, is built per app from them (spamcheck.serving.openapi.Api), so the
checks and the document always state the limits that app enforces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, PositiveInt, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

# What GET /predict takes: every message of the collection (the longest has 910 characters), up to 4
# at once. The request target then always fits MAX_REQUEST_TARGET_BYTES, even if every character is
# percent-encoded UTF-8 of 4 bytes (12 characters on the line): 4 x (len("text=&") + 1,000 x 12) =
# 48,024 bytes. More, or longer, messages go by POST.
GET_MESSAGES, GET_MESSAGE_CHARS = 4, 1000
# The longest request target (path and query) the app takes; a longer one gets its JSON 414.
# gunicorn lets request lines through up to 1 MiB (app/gunicorn.conf.py), so the app decides.
MAX_REQUEST_TARGET_BYTES = 65_536


class Settings(BaseSettings):
    """What differs between a laptop, a container and a cluster. An empty variable means its default."""

    model_config = SettingsConfigDict(frozen=True, env_ignore_empty=True)

    model_dir: Path | None = None  # where the model files are; None: models/ (spamcheck.paths)
    max_messages: PositiveInt = 1000  # messages in one request (more: 422)
    max_message_chars: PositiveInt = 10_000  # characters in one message (more: 422)
    max_body_bytes: PositiveInt = 2 * 1024 * 1024  # bytes in one request body (more: 413)
    # LOG_LEVEL also sets gunicorn's level, which is written in small letters: either case is fine here
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(str.upper)] = "INFO"

    @classmethod
    def from_environment(cls) -> Settings:
        """The settings from the environment, or a ValueError naming the variable, its value and the rule."""
        try:
            return cls()
        except ValidationError as error:
            problem = error.errors(include_url=False)[0]
            variable = str(problem["loc"][0]).upper()
            raise ValueError(
                f"{variable}={problem['input']!r}: {problem['msg'].lower()} (docs/configuration.md lists the settings)"
            ) from None

    @property
    def max_messages_in_query(self) -> int:
        """The limit for GET /predict, whose messages travel in the query string."""
        return min(GET_MESSAGES, self.max_messages)

    @property
    def max_message_chars_in_query(self) -> int:
        return min(GET_MESSAGE_CHARS, self.max_message_chars)
