"""The OpenAPI 3.1 description of the service, served at GET /openapi.json.

tests/test_openapi.py keeps it true: every route of the app is here with its methods, and the
responses the tests receive validate against the schemas.
"""

from __future__ import annotations

from spamcheck import __version__
from spamcheck.serving.validation import GET_MAX_MESSAGE_CHARS, GET_MAX_MESSAGES, Limits

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    reasons = {
        400: "Bad input (the error says what was wrong)",
        404: "No such model or version",
        405: "Method not allowed",
        413: "The request body is larger than the limit",
        422: "Too many messages, or a message too long",
        415: "Unsupported content type",
        503: "The model is not loaded",
    }
    return {str(code): _json(ERROR, reasons[code]) for code in codes}


def _path_parameter(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}


def _inference_protocol_paths(limits: Limits) -> dict:
    """The Open Inference Protocol V2 routes (spamcheck.serving.inference_protocol)."""
    name = _path_parameter("name", "the model's name: spamcheck")
    version = _path_parameter("version", "the model version (GET /v2/models/spamcheck lists it)")
    tensor_request = {
        "type": "object",
        "required": ["inputs"],
        "properties": {
            "id": {"type": "string"},
            "parameters": {"type": "object"},
            "inputs": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1,
                "items": {
                    "type": "object",
                    "required": ["name", "shape", "datatype", "data"],
                    "properties": {
                        "name": {"const": "text"},
                        "datatype": {"const": "BYTES"},
                        "shape": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 1,
                            "items": {"type": "integer"},
                            "description": "[N]: the number of messages in data",
                        },
                        "data": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": limits.max_messages,
                            "items": {"type": "string", "maxLength": limits.max_message_chars},
                        },
                        "parameters": {"type": "object"},
                    },
                },
            },
            "outputs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"enum": ["label", "spam_probability"]}, "parameters": {"type": "object"}},
                },
            },
        },
    }
    boolean = {"type": "boolean"}

    def model_routes(versioned: bool) -> dict:
        base = "/v2/models/{name}" + ("/versions/{version}" if versioned else "")
        parameters = [name, version] if versioned else [name]
        return {
            base: {
                "get": {
                    "summary": "Model metadata: its versions, inputs and outputs",
                    "parameters": parameters,
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/ModelMetadata"}, "Metadata"),
                        **_errors(404, 503),
                    },
                }
            },
            base + "/ready": {
                "get": {
                    "summary": "Model readiness",
                    "parameters": parameters,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["name", "ready"],
                                "properties": {"name": {"type": "string"}, "ready": boolean},
                            },
                            "Ready",
                        ),
                        **_errors(404, 503),
                    },
                }
            },
            base + "/infer": {
                "post": {
                    "summary": "Inference: text (BYTES, shape [N]) in; label (INT64) and spam_probability (FP64) out",
                    "parameters": parameters,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": tensor_request}}},
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/InferResponse"}, "One value per message"),
                        **_errors(400, 404, 413, 422, 503),
                    },
                }
            },
        }

    return {
        "/v2": {
            "get": {
                "summary": "Open Inference Protocol: server metadata",
                "responses": {
                    "200": _json({"type": "object", "required": ["name", "version", "extensions"]}, "Server metadata")
                },
            }
        },
        "/v2/health/live": {
            "get": {
                "summary": "Open Inference Protocol: the server is live",
                "responses": {"200": _json({"type": "object", "properties": {"live": boolean}}, "Live")},
            }
        },
        "/v2/health/ready": {
            "get": {
                "summary": "Open Inference Protocol: the server is ready",
                "responses": {
                    "200": _json({"type": "object", "properties": {"ready": boolean}}, "Ready"),
                    **_errors(503),
                },
            }
        },
        **model_routes(versioned=False),
        **model_routes(versioned=True),
    }


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
            {  # "text" alone: with "texts" present, "texts" is what counts
                "type": "object",
                "required": ["text"],
                "properties": {"text": {"type": "string", "maxLength": limits.max_message_chars}},
                "not": {"required": ["texts"]},
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
                            # what one request line always carries; more or longer messages: POST
                            "schema": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": GET_MAX_MESSAGES,
                                "items": {"type": "string", "maxLength": GET_MAX_MESSAGE_CHARS},
                            },
                        }
                    ],
                    "responses": {
                        "200": plain,
                        **_errors(400, 413, 422, 503),
                        "414": {
                            "description": "A request line over 8,190 bytes (more than the parameter allows), "
                            "refused by gunicorn before the app: POST long messages instead",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                    },
                },
                "post": {
                    "summary": "The article's endpoint: classify form fields `text` or JSON",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                # A form field has no type: whatever is sent arrives as text. One
                                # `text` field or several; only "no field at all" is not a message.
                                "schema": {
                                    "type": "object",
                                    "required": ["text"],
                                    "properties": {
                                        "text": {
                                            "type": ["string", "number", "integer", "boolean", "array"],
                                            "maxLength": limits.max_message_chars,
                                            "minItems": 1,
                                            "maxItems": limits.max_messages,
                                            "items": {
                                                "type": ["string", "number", "integer", "boolean"],
                                                "maxLength": limits.max_message_chars,
                                            },
                                        }
                                    },
                                }
                            },
                            "application/json": {"schema": article_json},
                        },
                    },
                    "responses": {"200": plain, **_errors(400, 413, 415, 422, 503)},
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
                        **_errors(400, 413, 415, 422, 503),
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
                                "required": ["status", "model_version", "host", "predictor"],
                                "properties": {
                                    "status": {"const": "ready"},
                                    "model_version": {"type": "string"},
                                    "predictor": {
                                        "type": "string",
                                        "description": '"fast path", or "scikit-learn (why the fast path does not answer)"',
                                    },
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
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics: requests, latency, in flight, messages scored, model info",
                    "responses": {
                        "200": {
                            "description": "The Prometheus text exposition format",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            **_inference_protocol_paths(limits),
        },
        "components": {
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "ModelMetadata": {
                    "type": "object",
                    "required": ["name", "versions", "platform", "inputs", "outputs"],
                    "properties": {
                        "name": {"const": "spamcheck"},
                        "versions": {"type": "array", "items": {"type": "string"}},
                        "platform": {"type": "string"},
                        "inputs": {"type": "array"},
                        "outputs": {"type": "array"},
                    },
                },
                "InferResponse": {
                    "type": "object",
                    "required": ["model_name", "model_version", "outputs"],
                    "properties": {
                        "model_name": {"const": "spamcheck"},
                        "model_version": {"type": "string"},
                        "id": {"type": "string"},
                        "outputs": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "datatype", "shape", "data"],
                                "properties": {
                                    "name": {"enum": ["label", "spam_probability"]},
                                    "datatype": {"enum": ["INT64", "FP64"]},
                                    "shape": {"type": "array", "items": {"type": "integer"}},
                                    "data": {"type": "array", "items": {"type": "number"}},
                                },
                            },
                        },
                    },
                },
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
