"""/openapi.json describes every route, and what the service answers fits what it says (every bad
input's error against the document: tests/test_api.py, which sends each once)."""

from __future__ import annotations

import re

import jsonschema
import openapi_spec_validator
import pytest

from app.app import create_app
from service import HAM, SPAM
from spamcheck.serving import schemas
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
