"""Every route and every kind of bad input, through Flask's test client on the generated app."""

from __future__ import annotations

import logging
import re
import socket

import jsonschema
import pytest
from flask import request

from app.app import Service, create_app
from bad_inputs import BAD_INPUTS
from service import HAM, SPAM
from spamcheck.serving.settings import Settings
from spamcheck.serving.validation import query_values


@pytest.fixture(scope="module")
def app(small_model_dir):
    return create_app(Settings(model_dir=small_model_dir))


@pytest.fixture
def client(app):
    return app.test_client()


def test_hello(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith("Hello World!")


def test_predict_get_query_parameters(client):
    response = client.get("/predict", query_string={"text": [HAM, SPAM]})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "0,1"


@pytest.mark.parametrize(
    "query",
    [
        "text=a+b&text=%E2%82%AC%21",  # plus as space, repeated, percent-encoded UTF-8
        "text=%FF%FEok",  # invalid UTF-8 stays percent-encoded, as werkzeug keeps it
        "te%78t=encoded+name&text=&text",  # an encoded name, a blank value, a bare name
        "x=1&text=one;text=two&&text=%zz",  # other names, ';' is not a separator, a bad escape
    ],
)
def test_query_values_reads_the_query_as_werkzeug_does(app, query):
    with app.test_request_context(f"/predict?{query}"):
        assert query_values(request, "text") == request.args.getlist("text")
        assert query_values(request, "x") == request.args.getlist("x")


def test_raw_bytes_in_the_query_are_read_not_a_500(client):
    """A client may send bytes unencoded; werkzeug's request.args fails on one that is not UTF-8."""
    raw = "text=caf\xc3\xa9&text=\xff+win"  # the WSGI environ holds the raw bytes as latin-1
    response = client.get("/predict", environ_overrides={"QUERY_STRING": raw})
    assert response.status_code == 200 and response.get_data(as_text=True) in {"0,0", "0,1", "1,0", "1,1"}
    with client.application.test_request_context("/predict", environ_overrides={"QUERY_STRING": raw}):
        assert query_values(request, "text") == ["café", "%FF win"]


def test_predict_post_form(client):
    assert client.post("/predict", data={"text": SPAM}).get_data(as_text=True) == "1"
    assert client.post("/predict", data={"text": [SPAM, HAM, SPAM]}).get_data(as_text=True) == "1,0,1"


def test_predict_post_multipart_form(client):
    response = client.post("/predict", data={"text": HAM}, content_type="multipart/form-data")
    assert response.get_data(as_text=True) == "0"


def test_predict_post_json(client):
    assert client.post("/predict", json={"texts": [SPAM, HAM]}).get_data(as_text=True) == "1,0"
    assert client.post("/predict", json={"text": SPAM}).get_data(as_text=True) == "1"


def test_v1_predict(client, small_model):
    response = client.post("/v1/predict", json={"texts": [HAM, SPAM]})
    assert response.status_code == 200
    body = response.json
    assert body["model_version"] == small_model.version
    assert [p["label"] for p in body["predictions"]] == ["ham", "spam"]
    assert body["predictions"][0]["spam_probability"] < 0.1 < 0.9 < body["predictions"][1]["spam_probability"]


def test_v1_predict_agrees_with_the_article_endpoint(client):
    texts = [HAM, SPAM, "Ok lar... Joking wif u oni...", "Free entry in 2 a wkly comp to win FA Cup final tkts"]
    labels = client.post("/predict", json={"texts": texts}).get_data(as_text=True).split(",")
    v1 = client.post("/v1/predict", json={"texts": texts}).json["predictions"]
    assert [{"0": "ham", "1": "spam"}[label] for label in labels] == [p["label"] for p in v1]


def test_health_and_readiness(client, small_model):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {
        "status": "ready",
        "model_version": small_model.version,
        "host": socket.gethostname(),
    }


def test_model_card(client, small_model):
    card = client.get("/v1/model").json
    assert card == small_model.card
    assert card["data_sha256"] == "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d"


def test_request_id_is_returned_and_sane_ones_are_kept(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\u2028<script>"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced), replaced  # a fresh id, not the unsafe one


@pytest.mark.parametrize("level, logged", [("INFO", True), ("WARNING", False)])
def test_request_log_line(small_model_dir, caplog, level, logged):
    """One line per request at INFO; LOG_LEVEL=WARNING turns them off (create_app's dictConfig)."""
    client = create_app(Settings(model_dir=small_model_dir, log_level=level)).test_client()
    access = logging.getLogger("spamcheck.access")  # it does not propagate: listen to it directly
    access.addHandler(caplog.handler)
    try:
        client.get("/predict", query_string={"text": HAM}, headers={"X-Request-ID": "log-check-1"})
    finally:
        access.removeHandler(caplog.handler)
    lines = [r.getMessage() for r in caplog.records if "log-check-1" in r.getMessage()]
    if logged:
        assert len(lines) == 1 and "GET /predict 200 " in lines[0] and "ms id=log-check-1" in lines[0]
    else:
        assert lines == []


def documented_path(document, path):
    """The document's path template that ``path`` fills in, e.g. /v2/models/{name} for /v2/models/x."""
    for template in document["paths"]:
        if re.fullmatch("[^/]+".join(map(re.escape, re.split(r"\{\w+\}", template))), path):
            return template
    return None


@pytest.mark.parametrize("name, method, path, kwargs, status, words", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_a_clear_json_error_that_the_document_lists(client, name, method, path, kwargs, status, words):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.json
    assert list(body) == ["error"] and words in body["error"]
    if status == 405:
        assert response.headers["Allow"]
    # /openapi.json lists that status for that operation, and the body fits its Error schema
    document = client.get("/openapi.json").json
    jsonschema.validate(
        body, {**document["components"]["schemas"]["Error"], "$defs": document["components"]["schemas"]}
    )
    template = documented_path(document, path)
    if template and method in document["paths"][template]:
        assert str(status) in document["paths"][template][method]["responses"], f"{status} for {method} {path}"
    else:  # 404 and 405 answer routes and methods that the document rightly does not list
        assert status == (405 if template else 404)
    # and the service still answers afterwards
    assert client.get("/predict", query_string={"text": SPAM}).get_data(as_text=True) == "1"


def test_an_app_enforces_and_documents_its_own_limits(small_model_dir):
    """An app made with tighter limits enforces them and its document states them; another app keeps its own."""
    tight = create_app(Settings(model_dir=small_model_dir, max_messages=2, max_message_chars=5, max_body_bytes=500))
    client = tight.test_client()

    def post(body):
        response = client.post("/v1/predict", json=body)
        return response.status_code, response.json

    assert post({"texts": ["a", "b"]})[0] == 200
    too_many = "3 messages in one request; at most 2 are allowed: split them over several requests"
    assert post({"texts": ["a", "b", "c"]}) == (422, {"error": too_many})
    assert post({"texts": ["toolong"]})[1]["error"].endswith("at most 5 are allowed per message")
    assert post({"texts": ["a" * 5] * 2, "pad": "x" * 600}) == (
        413,
        {"error": "the request body is larger than 500 bytes"},
    )
    assert client.post("/predict", data={"text": ["a", "b", "c"]}).status_code == 422
    assert client.get("/predict", query_string={"text": ["a", "b", "c"]}).status_code == 422  # GET: no more than POST
    infer = {"inputs": [{"name": "text", "shape": [3], "datatype": "BYTES", "data": ["a", "b", "c"]}]}
    assert client.post("/v2/models/spamcheck/infer", json=infer).status_code == 422
    document = client.get("/openapi.json").json
    texts = document["components"]["schemas"]["PredictRequest"]["properties"]["texts"]
    assert (texts["maxItems"], texts["items"]["maxLength"]) == (2, 5)
    query = document["paths"]["/predict"]["get"]["parameters"][0]["schema"]
    assert (query["maxItems"], query["items"]["maxLength"]) == (2, 5)
    # an app with the default limits, made alongside, keeps them
    default = create_app(Settings(model_dir=small_model_dir)).test_client()
    assert default.post("/v1/predict", json={"texts": ["a", "b", "c"]}).status_code == 200
    texts = default.get("/openapi.json").json["components"]["schemas"]["PredictRequest"]["properties"]["texts"]
    assert texts["maxItems"] == 1000


def test_without_settings_the_app_reads_the_environment(small_model_dir, monkeypatch):
    monkeypatch.setenv("MODEL_DIR", str(small_model_dir))
    monkeypatch.setenv("MAX_MESSAGES", "2")
    client = create_app().test_client()
    assert client.post("/v1/predict", json={"texts": ["a", "b", "c"]}).status_code == 422
    assert client.get("/readyz").status_code == 200


def test_a_bad_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "-1")
    with pytest.raises(ValueError, match=r"MAX_MESSAGE_CHARS='-1': input should be greater than 0"):
        create_app()
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "lots")
    with pytest.raises(ValueError, match=r"MAX_MESSAGE_CHARS='lots': input should be a valid integer"):
        create_app()


def test_log_level_takes_gunicorns_spelling(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "warning")  # gunicorn reads the same variable, in small letters
    assert Settings.from_environment().log_level == "WARNING"


def test_without_a_model_the_service_starts_but_is_not_ready(tmp_path):
    client = create_app(Settings(model_dir=tmp_path / "empty")).test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "make train" in ready.json["error"]
    for response in (
        client.get("/predict", query_string={"text": HAM}),
        client.post("/v1/predict", json={"texts": [HAM]}),
        client.get("/v1/model"),
    ):
        assert response.status_code == 503 and "/readyz" in response.json["error"]


def test_an_unexpected_failure_is_a_json_500_with_the_request_id(small_model_dir):
    class Broken:  # stands in for a model whose prediction raises, to exercise the safety net
        version = "broken"

        def predict(self, texts):
            raise RuntimeError("boom")

    app = create_app(Settings(model_dir=small_model_dir))
    app.extensions["spamcheck"] = Service(Broken(), None)
    response = app.test_client().get("/predict", query_string={"text": HAM}, headers={"X-Request-ID": "r-500"})
    assert response.status_code == 500
    assert response.json == {"error": "internal error; quote request id r-500 when reporting it"}


def test_an_answer_that_does_not_fit_its_model_is_a_json_500(small_model_dir, caplog):
    class CardWithoutKind:  # stands in for a model whose card lacks a field the document promises
        version = "v0"
        card = {"model_version": "v0"}

    app = create_app(Settings(model_dir=small_model_dir))
    app.extensions["spamcheck"] = Service(CardWithoutKind(), None)
    response = app.test_client().get("/v1/model", headers={"X-Request-ID": "r-card"})
    assert response.status_code == 500
    assert response.json == {"error": "internal error; quote request id r-card when reporting it"}
    assert "validation error for ModelCard" in caplog.text


def test_a_prediction_that_does_not_fit_its_model_is_a_json_500(small_model_dir, caplog):
    class NaNModel:  # stands in for a model that answers a probability outside [0, 1]
        version = "v0"

        def predict(self, texts):
            return [1] * len(texts), [float("nan")] * len(texts)

    app = create_app(Settings(model_dir=small_model_dir))
    app.extensions["spamcheck"] = Service(NaNModel(), None)
    response = app.test_client().post("/v1/predict", json={"texts": [HAM]}, headers={"X-Request-ID": "r-nan"})
    assert response.status_code == 500
    assert response.json == {"error": "internal error; quote request id r-nan when reporting it"}
    assert "spam_probability" in caplog.text  # pydantic's complaint, logged with the request
