"""Turn an HTTP request into a list of messages, or an :class:`InputError` saying what was wrong.

The JSON bodies are read and checked by their pydantic models (spamcheck.serving.schemas); here
their first complaint becomes this API's error: a 4xx status and a message that tells the caller how
to fix it. Only the article's /predict, which takes query and form fields, is checked by hand.
The Flask app turns an InputError into ``{"error": "..."}``.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from pydantic import ValidationError

from spamcheck.serving.schemas import ARTICLE_EXAMPLE, PREDICT_EXAMPLE, RequestModels
from spamcheck.serving.settings import MAX_REQUEST_TARGET_BYTES, Settings

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_EXAMPLE = json.dumps(PREDICT_EXAMPLE)  # the examples as error messages quote them
ARTICLE_JSON_EXAMPLE = json.dumps(ARTICLE_EXAMPLE)
# What pydantic expected, in JSON's words.
EXPECTED = {"string": "a string", "list": "an array", "dict": "an object", "model": "an object", "int": "an integer"}
# The fields that carry messages: too many messages, or one too long, is a 422 (the body itself
# was fine; 413 is for a body over its limit).
MESSAGE_FIELDS = {"texts", "text", "data"}


class InputError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def json_type(value) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def explain(error: ValidationError, example: str, field: str = "") -> InputError:
    """pydantic's first complaint about a request, as this API's error."""
    problem = error.errors(include_url=False)[0]
    kind, value, context = problem["type"], problem.get("input"), problem.get("ctx", {})
    where = field + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem["loc"])
    where = where.lstrip(".")
    if kind == "missing":
        owner, _, name = where.rpartition(".")
        return InputError(400, f'{owner or "the JSON object"} needs the field "{name}", e.g. {example}')
    if kind == "too_short":
        return InputError(400, f"{where} is empty: send e.g. {example}")
    if kind == "too_long" and where.rpartition(".")[2] in MESSAGE_FIELDS:
        return InputError(
            422,
            f"{context['actual_length']:,} messages in one request; at most {context['max_length']:,} "
            "are allowed: split them over several requests",
        )
    if kind == "too_long":
        return InputError(400, f"{where} holds {context['actual_length']} items; it takes {context['max_length']}")
    if kind == "string_too_long":
        return InputError(
            422, f"{where} has {len(value):,} characters; at most {context['max_length']:,} are allowed per message"
        )
    if kind == "literal_error":
        return InputError(400, f"{where} must be {context['expected']}, got {json.dumps(value)}")
    if kind == "value_error":
        return InputError(400, f"{where}: {context['error']}")
    expected = EXPECTED.get(kind.removesuffix("_type"), problem["msg"].lower())
    return InputError(400, f"{where or 'the body'} must be {expected}, got {json_type(value)}: send e.g. {example}")


def validated(validate, payload, example: str = JSON_EXAMPLE, field: str = ""):
    """``validate(payload)`` (a pydantic model's or adapter's), or the InputError explaining why not."""
    try:
        return validate(payload)
    except ValidationError as error:
        raise explain(error, example, field) from None


def example_of(model) -> str:
    """The example a request model carries, as error messages quote it."""
    return json.dumps(model.model_config["json_schema_extra"]["examples"][0])


def model_from_json(raw: bytes, model):
    """``raw`` read and checked by ``model`` in one pass, by pydantic's own JSON parser. If that
    fails, read it again the slow way (json, then the model): only to say what was wrong, in this
    API's words."""
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        example = example_of(model)
        return validated(model.model_validate, parse_json(raw, example), example)


def require_json(request) -> None:
    """An InputError (415) unless the request says its body is JSON."""
    if not request.is_json:
        raise InputError(
            415,
            f"send JSON with the header Content-Type: application/json "
            f"(got {request.mimetype or 'no content type'}), e.g. {JSON_EXAMPLE}",
        )


def json_model_body(request, model):
    """The body of a Flask request that says it is JSON, read and checked by ``model``, or an
    InputError explaining why not. Over MAX_CONTENT_LENGTH, Flask answers 413 before reading it."""
    require_json(request)
    return model_from_json(request.get_data(cache=True), model)


def json_body(request):
    """The parsed JSON body of a Flask request, or an InputError explaining why there is none."""
    require_json(request)
    return parse_json(request.get_data(cache=True))


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


def query_values(request, name: str) -> list[str]:
    """The values of the query parameter ``name``, decoded as werkzeug's ``request.args`` decodes
    them (``+`` is a space, ``%xx`` a byte, the bytes UTF-8; werkzeug's rule: invalid UTF-8 stays
    percent-encoded), but without building its dictionary of every parameter, and from the raw
    bytes: ``request.args`` first decodes the whole query as UTF-8, which fails (a 500) on a raw
    byte that is not UTF-8. /predict reads one parameter per request, and under load this parse is
    a measurable part of its cost (docs/speed.md)."""
    wanted = name.encode()
    values = []
    for field in request.query_string.split(b"&"):
        key, _, value = field.partition(b"=")
        if field and unquote_to_bytes(key.replace(b"+", b" ")) == wanted:
            values.append(unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8", "werkzeug.url_quote"))
    return values


def check_request_target(request) -> None:
    """A request target (path and query) over MAX_REQUEST_TARGET_BYTES gets a JSON 414 that says what to do."""
    # the path, "?" and the query string as sent (request.full_path would decode the query as UTF-8)
    target = len(request.path) + 1 + len(request.query_string)
    if target > MAX_REQUEST_TARGET_BYTES:
        raise InputError(
            414,
            f"the request target is {target:,} bytes; at most {MAX_REQUEST_TARGET_BYTES:,} are allowed: "
            "POST long messages as form fields named text, e.g. curl -d text=... /predict",
        )


def texts_from_article_request(request, models: RequestModels, settings: Settings) -> list[str]:
    """The article's /predict: ?text=a&text=b, form fields ``text``, or JSON, within the app's limits."""
    if request.method == "GET":
        texts = query_values(request, "text")
        if not texts:
            raise InputError(
                400,
                "no message: add one or more ?text=... query parameters, e.g. /predict?text=Are+we+still+on+for+lunch",
            )
        longest = max(map(len, texts))
        if len(texts) > settings.max_messages_in_query or longest > settings.max_message_chars_in_query:
            raise InputError(
                422,
                f"{len(texts)} message(s), the longest {longest:,} characters: GET /predict takes at most "
                f"{settings.max_messages_in_query} messages of at most {settings.max_message_chars_in_query:,} characters; "
                "POST more or longer ones as form fields named text, e.g. curl -d text=... /predict",
            )
        return texts
    if request.is_json:
        payload = json_body(request)
        if isinstance(payload, dict) and "texts" not in payload and "text" in payload:
            return [validated(models.ArticleText.model_validate, payload, ARTICLE_JSON_EXAMPLE).text]
        return validated(models.PredictRequest.model_validate, payload).texts
    if request.mimetype in FORM_TYPES:
        texts = request.form.getlist("text")
        if not texts:
            raise InputError(400, "no message: send one or more form fields named text")
        return validated(models.messages.validate_python, texts, "text=first+message&text=second+message", "text")
    if not request.mimetype and not request.get_data(cache=True):
        raise InputError(400, f"no message: POST form fields named text, or JSON {JSON_EXAMPLE}")
    raise InputError(
        415,
        f"unsupported content type {request.mimetype or '(none)'}: use "
        f"application/x-www-form-urlencoded, multipart/form-data or application/json",
    )
