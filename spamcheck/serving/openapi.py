"""The OpenAPI 3.1 description of the service, served at GET /openapi.json.

tests/test_openapi.py keeps it true: every route of the app is here with its methods, and the
responses the tests receive validate against the schemas.
"""

from __future__ import annotations

from spamcheck import __version__
from spamcheck.serving.validation import Limits

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    reasons = {
        400: "Bad input (the error says what was wrong)",
        404: "No such route",
        405: "Method not allowed",
        413: "Too many messages, a message too long, or a body too large",
        415: "Unsupported content type",
        503: "The model is not loaded",
    }
    return {str(code): _json(ERROR, reasons[code]) for code in codes}


def document(limits: Limits) -> dict:
    texts = {
        "type": "array",
        "minItems": 1,
        "maxItems": limits.max_messages,
        "items": {"type": "string", "maxLength": limits.max_message_chars},
    }
    plain = {
        "description": "One 0 (ham) or 1 (spam) per message, comma-separated, in order",
        "content": {"text/plain": {"schema": {"type": "string", "pattern": "^[01](,[01])*$"}, "example": "0,1"}},
    }
    article_json = {
        "oneOf": [
            {"type": "object", "required": ["texts"], "properties": {"texts": texts}},
            {
                "type": "object",
                "required": ["text"],
                "properties": {"text": {"type": "string", "maxLength": limits.max_message_chars}},
            },
        ]
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "spamcheck",
            "version": __version__,
            "description": "SMS spam filter: the article's API and a JSON API.",
        },
        "paths": {
            "/": {
                "get": {
                    "summary": "Hello world: the service is up",
                    "responses": {
                        "200": {"description": "A greeting", "content": {"text/plain": {"schema": {"type": "string"}}}}
                    },
                }
            },
            "/predict": {
                "get": {
                    "summary": "The article's endpoint: classify ?text=... messages",
                    "parameters": [
                        {
                            "name": "text",
                            "in": "query",
                            "required": True,
                            "explode": True,
                            "schema": {"type": "array", "items": {"type": "string"}},
                        }
                    ],
                    "responses": {"200": plain, **_errors(400, 413, 503)},
                },
                "post": {
                    "summary": "The article's endpoint: classify form fields `text` or JSON",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"text": {"type": "array", "items": {"type": "string"}}},
                                }
                            },
                            "application/json": {"schema": article_json},
                        },
                    },
                    "responses": {"200": plain, **_errors(400, 413, 415, 503)},
                },
            },
            "/v1/predict": {
                "post": {
                    "summary": "Classify messages, with spam probabilities",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "required": ["texts"], "properties": {"texts": texts}}
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/Predictions"}, "One prediction per message, in order"
                        ),
                        **_errors(400, 413, 415, 503),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness: the process answers",
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
                            "Alive",
                        )
                    },
                }
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: model loaded, verified and answering",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status", "model_version", "host"],
                                "properties": {
                                    "status": {"const": "ready"},
                                    "model_version": {"type": "string"},
                                    "host": {
                                        "type": "string",
                                        "description": "the server's host name; in a Pod, the Pod's name",
                                    },
                                },
                            },
                            "Ready",
                        ),
                        **_errors(503),
                    },
                }
            },
            "/v1/model": {
                "get": {
                    "summary": "The model card: kind, metrics, versions, data sha256",
                    "responses": {
                        "200": _json({"type": "object", "required": ["model_version", "kind"]}, "The model card"),
                        **_errors(503),
                    },
                }
            },
            "/openapi.json": {
                "get": {"summary": "This document", "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")}}
            },
        },
        "components": {
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "Predictions": {
                    "type": "object",
                    "required": ["model_version", "predictions"],
                    "properties": {
                        "model_version": {"type": "string"},
                        "predictions": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["label", "spam_probability"],
                                "properties": {
                                    "label": {"enum": ["ham", "spam"]},
                                    "spam_probability": {"type": "number", "minimum": 0, "maximum": 1},
                                },
                            },
                        },
                    },
                },
            }
        },
    }
