"""/openapi.json describes every route, and what the service answers fits what it says."""

from __future__ import annotations

import re

import jsonschema
import openapi_spec_validator
import pytest

from app.app import create_app
from bad_inputs import BAD_INPUTS
from service import HAM, SPAM
from spamcheck.serving.validation import Limits


@pytest.fixture(scope="module")
def app(model_dir):
    return create_app(model_dir)


@pytest.fixture(scope="module")
def document(app):
    return app.test_client().get("/openapi.json").json


def schema(document, name):
    return {**document["components"]["schemas"][name], "$defs": document["components"]["schemas"]}


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


def documented_path(document, path):
    """The document's path template that ``path`` fills in, e.g. /v2/models/{name} for /v2/models/x."""
    for template in document["paths"]:
        if re.fullmatch("[^/]+".join(map(re.escape, re.split(r"\{\w+\}", template))), path):
            return template
    return None


@pytest.mark.parametrize("name, method, path, kwargs, status, words", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_every_error_status_is_documented(app, document, name, method, path, kwargs, status, words):
    response = getattr(app.test_client(), method)(path, **kwargs)
    jsonschema.validate(response.json, schema(document, "Error"))
    template = documented_path(document, path)
    if template and method in document["paths"][template]:
        assert str(status) in document["paths"][template][method]["responses"], f"{status} for {method} {path}"
    else:  # 404 and 405 answer routes and methods that the document rightly does not list
        assert response.status_code == (405 if template else 404)


def test_responses_fit_their_schemas(app, document):
    client = app.test_client()
    jsonschema.validate(client.post("/v1/predict", json={"texts": [HAM, SPAM]}).json, schema(document, "Predictions"))
    for path in ("/healthz", "/readyz", "/v1/model"):
        response_schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema.validate(client.get(path).json, response_schema)
    plain = document["paths"]["/predict"]["get"]["responses"]["200"]["content"]["text/plain"]["schema"]
    jsonschema.validate(client.get("/predict", query_string={"text": [HAM, SPAM]}).get_data(as_text=True), plain)


def test_limits_in_the_document_follow_the_settings(model_dir):
    document = create_app(model_dir, Limits(max_messages=7)).test_client().get("/openapi.json").json
    texts = document["paths"]["/v1/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "properties"
    ]["texts"]
    assert texts["maxItems"] == 7
