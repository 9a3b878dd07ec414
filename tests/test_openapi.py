"""/openapi.json describes every route, and what the service answers fits what it says (every bad
input's error against the document: tests/test_api.py, which sends each once)."""

from __future__ import annotations

import re

import jsonschema
import openapi_spec_validator
import pytest
from flask import Blueprint

from app.app import create_app
from service import HAM, SPAM
from spamcheck.serving import schemas
from spamcheck.serving.openapi import Api
from spamcheck.serving.settings import Settings


@pytest.fixture(scope="module")
def app(small_model_dir):
    return create_app(Settings(model_dir=small_model_dir))


@pytest.fixture(scope="module")
def document(app):
    return app.test_client().get("/openapi.json").json


def schema(document, name):
    """The named component, with the document's components for its references."""
    return {"$ref": f"#/components/schemas/{name}", "components": document["components"]}


def test_every_route_is_documented_and_nothing_else(app, document):
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            routes[re.sub(r"<(\w+)>", r"{\1}", rule.rule)] = sorted(
                m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}
            )
    documented = {path: sorted(operations) for path, operations in document["paths"].items()}
    assert documented == routes


def test_document_is_valid_openapi_3_1(document):
    openapi_spec_validator.validate(document)  # raises with the path of what is wrong
    assert document["openapi"] == "3.1.0"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"] and "200" in operation["responses"], f"{method} {path}"


def test_responses_fit_their_schemas(app, document):
    client = app.test_client()
    jsonschema.validate(client.post("/v1/predict", json={"texts": [HAM, SPAM]}).json, schema(document, "Predictions"))
    for path in ("/healthz", "/readyz", "/v1/model"):
        response_schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema.validate(client.get(path).json, {**response_schema, "components": document["components"]})
    plain = document["paths"]["/predict"]["get"]["responses"]["200"]["content"]["text/plain"]["schema"]
    jsonschema.validate(client.get("/predict", query_string={"text": [HAM, SPAM]}).get_data(as_text=True), plain)


DEFAULT_MODELS = schemas.request_models(Settings().max_messages, Settings().max_message_chars)


@pytest.mark.parametrize(
    "model, mode",
    [(model, "validation") for model in (DEFAULT_MODELS.PredictRequest, DEFAULT_MODELS.InferRequest)]
    + [(model, "serialization") for model in (schemas.Predictions, schemas.InferResponse, schemas.Error)],
)
def test_the_json_bodies_are_described_by_their_models(document, model, mode):
    """The document's schemas are the pydantic models' own, not a hand-written copy."""
    generated = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
    for name, nested in generated.pop("$defs", {}).items():
        assert document["components"]["schemas"][name] == nested
    assert document["components"]["schemas"][model.__name__] == generated


def test_a_view_answers_only_what_it_declares(small_model_dir, caplog):
    """The declaration is kept: another model, or a status it does not list, is a logged JSON 500."""
    app = create_app(Settings(model_dir=small_model_dir))
    api, extra = Api(Settings(model_dir=small_model_dir)), Blueprint("extra", __name__)

    @extra.get("/wrong-model")
    @api.route(schemas.Alive)
    def wrong_model():
        """Declares Alive, answers Live"""
        return schemas.Live(live=True)

    @extra.get("/undeclared-status")
    @api.route(schemas.Alive, 503)
    def undeclared_status():
        """Declares 503, answers 404"""
        return schemas.Error(error="gone"), 404

    app.register_blueprint(extra)
    client = app.test_client()
    for path, complaint in (
        ("/wrong-model", "wrong_model answered Live with status 200"),
        ("/undeclared-status", "answered Error with status 404"),
    ):
        response = client.get(path)
        assert response.status_code == 500 and response.json["error"].startswith("internal error")
        assert complaint in caplog.text


def test_the_one_pass_read_refuses_what_the_two_pass_read_refuses(app):
    """The body is read by pydantic's own JSON parser; a body it refuses is read again with json, so
    each error says what was wrong as it always did (tests/bad_inputs.py has them all)."""
    client = app.test_client()
    fast = client.post("/v1/predict", json={"texts": [HAM, SPAM]})
    assert fast.status_code == 200 and [p["label"] for p in fast.json["predictions"]] == ["ham", "spam"]
    nested = client.post("/v1/predict", data='{"texts": [["hi"]]}', content_type="application/json")
    assert nested.status_code == 400 and nested.json == {
        "error": 'texts[0] must be a string, got an array: send e.g. {"texts": ["first message", "second message"]}'
    }
    malformed = client.post("/v1/predict", data='{"texts": [}', content_type="application/json")
    assert malformed.status_code == 400 and malformed.json["error"].startswith(
        "malformed JSON: Expecting value at line 1 column 12"
    )
