"""Each JSON route's one declaration, ``@api.route(answer, *errors, body=...)``, and what is made from
it: the view's body read and checked with the request model, its answer dumped from the answer model,
and the OpenAPI 3.1 document at GET /openapi.json, written from the same models by pydantic.

The declaration is the only place a route names its models. The view gets its body as a model and
returns a model (or ``(Error(...), status)``); the decorator refuses an answer of another model or an
undeclared status, so the document cannot say one thing and the view do another. By hand here: the
article's /predict (query and form fields), and the plain-text routes / and /metrics.

Each app has its own :class:`Api`: its settings, and the request models with its limits.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from flask import Response, current_app, request
from pydantic import BaseModel

from spamcheck import __version__
from spamcheck.serving.schemas import Error, request_models
from spamcheck.serving.settings import Settings
from spamcheck.serving.validation import json_model_body

REF = "#/components/schemas/{model}"
REASONS = {
    400: "Bad input (the error says what was wrong)",
    404: "No such model or version",
    413: "The request body is larger than the limit",
    414: "The request target (path and query) is longer than 65,536 bytes: POST long messages",
    415: "Unsupported content type",
    422: "Too many messages, or a message too long",
    503: "The model is not loaded",
}
PATH_PARAMETERS = {
    "name": "the model's name: spamcheck",
    "version": "the model version (GET /v2/models/spamcheck lists it)",
}


def json_answer(model: BaseModel, status: int = 200, headers: dict | None = None) -> Response:
    """An answer: ``model`` as JSON, written once by pydantic (unset optional fields left out)."""
    return Response(model.model_dump_json(exclude_unset=True) + "\n", status, headers, mimetype="application/json")


@dataclass(frozen=True)
class Declaration:
    """What one view takes and answers: the source of its checks and of its part of the document."""

    answer: type[BaseModel]
    errors: tuple[int, ...]
    body: type[BaseModel] | None
    summary: str


class Api:
    """One app's declarations: its settings, its request models (with its limits), its document."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.models = request_models(settings.max_messages, settings.max_message_chars)
        self._document = None

    def route(self, answer: type[BaseModel], *errors: int, body: type[BaseModel] | None = None, read=json_model_body):
        """Declare a view: it answers ``answer``, or an Error with one of the statuses ``errors``, and, if
        ``body`` is given, takes a body of that model: ``read(request, body)`` reads and checks it (by
        default, JSON with its Content-Type) and the view gets it as its first argument. The view's
        docstring is its summary in the document."""

        def decorate(view):
            declaration = Declaration(answer, errors, body, view.__doc__.strip())

            @functools.wraps(view)
            def serve(**path):
                result = view(read(request, body), **path) if body is not None else view(**path)
                model, status = result if isinstance(result, tuple) else (result, 200)
                expected = answer if status == 200 else Error
                if not isinstance(model, expected) or (status != 200 and status not in errors):
                    # a bug, not bad input: logged, and answered as the app's JSON 500
                    raise TypeError(
                        f"{view.__name__} answered {type(model).__name__} with status {status}; "
                        f"it declares {answer.__name__} or an Error with {errors or 'no status'}"
                    )
                return json_answer(model, status)

            serve.declaration = declaration
            return serve

        return decorate

    def document(self) -> dict:
        """The OpenAPI document of the current app's declared routes and the hand-written ones; made
        once, inside a request (it reads the routes of flask.current_app)."""
        if self._document is None:
            self._document = self._write_document()
        return self._document

    def _write_document(self) -> dict:
        paths, models = {}, {}
        for rule in current_app.url_map.iter_rules():
            declaration = getattr(current_app.view_functions[rule.endpoint], "declaration", None)
            if declaration is None:
                continue
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                paths.setdefault(path, {})[method.lower()] = _operation(method, path, rule.arguments, declaration)
            models[declaration.answer] = "serialization"
            if declaration.body is not None:
                models[declaration.body] = "validation"
        components = {}
        for model, mode in {**models, Error: "serialization"}.items():
            schema = model.model_json_schema(ref_template=REF, mode=mode)
            components.update(schema.pop("$defs", {}))
            components[model.__name__] = schema
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "spamcheck",
                "description": "SMS spam filter: the article's API and a JSON API.",
                "version": __version__,
            },
            "paths": {**paths, **_by_hand(self.settings, self.models)},
            "components": {"schemas": components},
        }


def _json(model: type[BaseModel]) -> dict:
    return {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}


def _errors(*codes: int) -> dict:
    return {str(code): {"description": REASONS[code], "content": _json(Error)} for code in codes}


def _operation(method: str, path: str, arguments, declaration: Declaration) -> dict:
    operation = {
        "summary": declaration.summary,
        "operationId": method.lower() + re.sub(r"\W+", "_", path).rstrip("_"),
        "parameters": [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": PATH_PARAMETERS[name],
            }
            for name in sorted(arguments, key=path.index)
        ],
        "responses": {
            "200": {"description": "OK", "content": _json(declaration.answer)},
            **_errors(*declaration.errors),
        },
    }
    if declaration.body is not None:
        operation["requestBody"] = {"required": True, "content": _json(declaration.body)}
    return operation


def _text(description: str, schema: dict | None = None) -> dict:
    return {"description": description, "content": {"text/plain": {"schema": schema or {"type": "string"}}}}


def _by_hand(settings: Settings, models) -> dict:
    """The operations no declaration describes: plain-text answers, query and form fields."""
    labels = _text("One 0 (ham) or 1 (spam) per message, comma-separated, in order", {"pattern": "^[01](,[01])*$"})
    # A form field has no type: whatever is sent arrives as text. One `text` field or several.
    field = {"type": ["string", "number", "integer", "boolean"], "maxLength": settings.max_message_chars}
    form = {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {
                **field,
                "type": [*field["type"], "array"],
                "items": field,
                "minItems": 1,
                "maxItems": settings.max_messages,
            }
        },
    }
    single = {**models.ArticleText.model_json_schema(), "not": {"required": ["texts"]}}  # with "texts", "texts" counts
    query = {  # every message of the collection, up to 4; more or longer messages: POST
        "name": "text",
        "in": "query",
        "required": True,
        "explode": True,
        "schema": {
            "type": "array",
            "minItems": 1,
            "maxItems": settings.max_messages_in_query,
            "items": {"type": "string", "maxLength": settings.max_message_chars_in_query},
        },
    }
    return {
        "/": {"get": {"summary": "Hello world: the service is up", "responses": {"200": _text("A greeting")}}},
        "/predict": {
            "get": {
                "summary": "The article's endpoint: classify ?text=... messages",
                "parameters": [query],
                "responses": {"200": labels, **_errors(400, 413, 414, 422, 503)},
            },
            "post": {
                "summary": "The article's endpoint: classify form fields `text` or JSON",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": form},
                        "application/json": {
                            "schema": {"oneOf": [{"$ref": REF.format(model="PredictRequest")}, single]}
                        },
                    },
                },
                "responses": {"200": labels, **_errors(400, 413, 415, 422, 503)},
            },
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics: requests, latency, in flight, messages scored, model info",
                "responses": {"200": _text("The Prometheus text exposition format")},
            }
        },
    }
