"""Turn an HTTP request into a list of messages, or an :class:`InputError` saying what was wrong.

Every bad input gets a 4xx status and a message that tells the caller how to fix it; the Flask
app turns an InputError into ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from urllib.parse import parse_qsl

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_EXAMPLE = '{"texts": ["first message", "second message"]}'


class InputError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Limits:
    max_messages: int = 1000  # messages in one request
    max_message_chars: int = 10_000  # characters in one message
    max_body_bytes: int = 2 * 1024 * 1024  # bytes in one request body

    @classmethod
    def from_environment(cls, env=os.environ) -> Limits:
        values = {}
        for field, variable in (
            ("max_messages", "MAX_MESSAGES"),
            ("max_message_chars", "MAX_MESSAGE_CHARS"),
            ("max_body_bytes", "MAX_BODY_BYTES"),
        ):
            if env.get(variable):
                problem = ValueError(f"{variable}={env[variable]!r} must be a positive whole number")
                try:
                    values[field] = int(env[variable])
                except ValueError:
                    raise problem from None
                if values[field] <= 0:
                    raise problem
        return cls(**values)


def json_type(value) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def check_texts(texts: list, limits: Limits, field: str = "texts") -> list[str]:
    if not texts:
        raise InputError(400, f"{field} is empty: send at least one message, e.g. {JSON_EXAMPLE}")
    # A field over its documented limit is 422 (the body itself was fine); 413 is for the whole body.
    if len(texts) > limits.max_messages:
        raise InputError(
            422,
            f"{len(texts):,} messages in one request; at most {limits.max_messages:,} "
            "are allowed: split them over several requests",
        )
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputError(400, f"{field}[{index}] must be a string, got {json_type(text)}")
        if len(text) > limits.max_message_chars:
            raise InputError(
                422,
                f"{field}[{index}] has {len(text):,} characters; at most "
                f"{limits.max_message_chars:,} are allowed per message",
            )
    return texts


def json_body(request):
    """The parsed JSON body of a Flask request, or an InputError explaining why there is none."""
    if not request.is_json:
        raise InputError(
            415,
            f"send JSON with the header Content-Type: application/json "
            f"(got {request.mimetype or 'no content type'}), e.g. {JSON_EXAMPLE}",
        )
    return parse_json(request.get_data(cache=True))  # over MAX_CONTENT_LENGTH: Flask answers 413


def parse_json(raw: bytes, example: str = JSON_EXAMPLE):
    """Parse a request body as JSON, or raise an InputError that says what is wrong with it."""
    if not raw.strip():
        raise InputError(400, f"the request body is empty: send {example}")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(400, f"the body is not valid UTF-8 (byte {exc.start}): encode text as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InputError(400, "the JSON is nested too deeply: send a flat object like " + example) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InputError(400, f"the JSON holds a value Python will not read: {exc}") from None


def texts_from_json(payload, limits: Limits, allow_single: bool = False) -> list[str]:
    """``{"texts": [...]}`` (and, if allowed, ``{"text": "..."}``) to a checked list of messages."""
    if not isinstance(payload, dict):
        raise InputError(400, f"expected a JSON object like {JSON_EXAMPLE}, got {json_type(payload)}")
    if "texts" in payload:
        if not isinstance(payload["texts"], list):
            raise InputError(400, f"texts must be an array of strings, got {json_type(payload['texts'])}")
        return check_texts(payload["texts"], limits)
    if allow_single and "text" in payload:
        return check_texts([payload["text"]], limits, field="text")
    fields = '"texts" (an array of strings)' + (' or "text" (a string)' if allow_single else "")
    raise InputError(400, f"the JSON object needs the field {fields}, e.g. {JSON_EXAMPLE}")


def query_values(request, name: str) -> list[str]:
    """The values of the query parameter ``name``, decoded exactly as werkzeug's ``request.args``
    decodes them (the same parse, with werkzeug's rule that invalid UTF-8 stays percent-encoded),
    but without building its dictionary of every parameter: /predict reads one parameter per
    request, and under load building that dictionary is a measurable part of its cost."""
    fields = parse_qsl(request.query_string.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
    return [value for key, value in fields if key == name]


# What GET /predict takes: what one request line (gunicorn's limit, 8,190 bytes) always carries,
# even if every character is percent-encoded UTF-8 of 4 bytes (12 characters on the line):
# 4 x (len("text=&") + 160 x 12) = 7,704 bytes. More, or longer, messages go by POST.
GET_MAX_MESSAGES = 4
GET_MAX_MESSAGE_CHARS = 160  # one SMS


def texts_from_article_request(request, limits: Limits) -> list[str]:
    """The article's /predict: ?text=a&text=b, form fields ``text``, or JSON."""
    if request.method == "GET":
        texts = query_values(request, "text")
        if not texts:
            raise InputError(
                400,
                "no message: add one or more ?text=... query parameters, e.g. /predict?text=Are+we+still+on+for+lunch",
            )
        longest = max(map(len, texts))
        if len(texts) > GET_MAX_MESSAGES or longest > GET_MAX_MESSAGE_CHARS:
            raise InputError(
                422,
                f"{len(texts)} message(s), the longest {longest:,} characters: GET /predict takes at most "
                f"{GET_MAX_MESSAGES} messages of at most {GET_MAX_MESSAGE_CHARS} characters (one request line); "
                "POST more or longer ones as form fields named text, e.g. curl -d text=... /predict",
            )
        return check_texts(texts, limits, field="text")
    if request.is_json:
        return texts_from_json(json_body(request), limits, allow_single=True)
    if request.mimetype in FORM_TYPES:
        texts = request.form.getlist("text")
        if not texts:
            raise InputError(400, "no message: send one or more form fields named text")
        return check_texts(texts, limits, field="text")
    if not request.mimetype and not request.get_data(cache=True):
        raise InputError(400, f"no message: POST form fields named text, or JSON {JSON_EXAMPLE}")
    raise InputError(
        415,
        f"unsupported content type {request.mimetype or '(none)'}: use "
        f"application/x-www-form-urlencoded, multipart/form-data or application/json",
    )
