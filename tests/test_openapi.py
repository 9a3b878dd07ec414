"""/openapi.json describes every route, and what the service answers fits what it says."""

from __future__ import annotations

import jsonschema
import openapi_spec_validator
import pytest

from service import load_app_module
from test_api import BAD_INPUTS, HAM, SPAM


@pytest.fixture(scope="module")
def service(model_dir):
    monkeypatch = pytest.MonkeyPatch()
    yield load_app_module(monkeypatch, model_dir)
    monkeypatch.undo()


@pytest.fixture(scope="module")
def document(service):
    return service.app.test_client().get("/openapi.json").json


def schema(document, name):
    return {**document["components"]["schemas"][name], "$defs": document["components"]["schemas"]}


def test_every_route_is_documented_and_nothing_else(service, document):
    routes = {}
    for rule in service.app.url_map.iter_rules():
        if rule.endpoint != "static":
            routes[rule.rule] = sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    documented = {path: sorted(operations) for path, operations in document["paths"].items()}
    assert documented == routes


def test_document_is_valid_openapi_3_1(document):
    openapi_spec_validator.validate(document)  # raises with the path of what is wrong
    assert document["openapi"] == "3.1.0"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"] and "200" in operation["responses"], f"{method} {path}"


@pytest.mark.parametrize("name, method, path, kwargs, status, words", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_every_error_status_is_documented(service, document, name, method, path, kwargs, status, words):
    if path not in document["paths"] or method not in document["paths"][path]:
        return  # 404 and 405 are answers for routes and methods that do not exist
    assert str(status) in document["paths"][path][method]["responses"], f"{status} for {method} {path}"
    body = getattr(service.app.test_client(), method)(path, **kwargs).json
    jsonschema.validate(body, schema(document, "Error"))


def test_responses_fit_their_schemas(service, document):
    client = service.app.test_client()
    jsonschema.validate(client.post("/v1/predict", json={"texts": [HAM, SPAM]}).json, schema(document, "Predictions"))
    for path in ("/healthz", "/readyz", "/v1/model"):
        response_schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema.validate(client.get(path).json, response_schema)
    plain = document["paths"]["/predict"]["get"]["responses"]["200"]["content"]["text/plain"]["schema"]
    jsonschema.validate(client.get("/predict", query_string={"text": [HAM, SPAM]}).get_data(as_text=True), plain)


def test_limits_in_the_document_follow_the_settings(monkeypatch, model_dir):
    document = load_app_module(monkeypatch, model_dir, MAX_MESSAGES=7).app.test_client().get("/openapi.json").json
    texts = document["paths"]["/v1/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["texts"]
    assert texts["maxItems"] == 7
