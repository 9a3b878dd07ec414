"""Every route and every kind of bad input, through Flask's test client on the generated app."""

from __future__ import annotations

import json
import socket
import shutil

import pytest

from service import HAM, SPAM, load_app_module



@pytest.fixture
def service(monkeypatch, model_dir):
    return load_app_module(monkeypatch, model_dir)


@pytest.fixture
def client(service):
    return service.app.test_client()


def test_hello(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith("Hello World!")


def test_predict_get_query_parameters(client):
    response = client.get("/predict", query_string={"text": [HAM, SPAM]})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "0,1"


def test_predict_post_form(client):
    assert client.post("/predict", data={"text": SPAM}).get_data(as_text=True) == "1"
    assert client.post("/predict", data={"text": [SPAM, HAM, SPAM]}).get_data(as_text=True) == "1,0,1"


def test_predict_post_multipart_form(client):
    response = client.post("/predict", data={"text": HAM}, content_type="multipart/form-data")
    assert response.get_data(as_text=True) == "0"


def test_predict_post_json(client):
    assert client.post("/predict", json={"texts": [SPAM, HAM]}).get_data(as_text=True) == "1,0"
    assert client.post("/predict", json={"text": SPAM}).get_data(as_text=True) == "1"


def test_v1_predict(client, spam_model):
    response = client.post("/v1/predict", json={"texts": [HAM, SPAM]})
    assert response.status_code == 200
    body = response.json
    assert body["model_version"] == spam_model.version
    assert [p["label"] for p in body["predictions"]] == ["ham", "spam"]
    assert body["predictions"][0]["spam_probability"] < 0.1 < 0.9 < body["predictions"][1]["spam_probability"]


def test_v1_predict_agrees_with_the_article_endpoint(client):
    texts = [HAM, SPAM, "Ok lar... Joking wif u oni...", "Free entry in 2 a wkly comp to win FA Cup final tkts"]
    labels = client.post("/predict", json={"texts": texts}).get_data(as_text=True).split(",")
    v1 = client.post("/v1/predict", json={"texts": texts}).json["predictions"]
    assert [{"0": "ham", "1": "spam"}[label] for label in labels] == [p["label"] for p in v1]


def test_health_and_readiness(client, spam_model):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready", "model_version": spam_model.version,
                                          "host": socket.gethostname()}


def test_model_card(client, spam_model):
    card = client.get("/v1/model").json
    assert card == spam_model.card
    assert card["data_sha256"] == "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d"


def test_request_id_is_returned_and_sane_ones_are_kept(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert client.get("/healthz", headers={"X-Request-ID": "bad id\u2028<script>"}).headers["X-Request-ID"] != "bad id"


def test_request_log_line(client, caplog):
    client.get("/predict", query_string={"text": HAM}, headers={"X-Request-ID": "log-check-1"})
    line = [r.getMessage() for r in caplog.records if "log-check-1" in r.getMessage()][0]
    assert "GET /predict 200 " in line and "ms id=log-check-1" in line


def test_debug_mode_is_off(service):
    assert service.app.debug is False


LONG = "x" * 10_001
# (name, method, path, request arguments, status, words the error must contain)
BAD_INPUTS = [
    ("no body", "post", "/v1/predict", {"content_type": "application/json"}, 400, "body is empty"),
    ("no body, no type", "post", "/v1/predict", {}, 415, "Content-Type: application/json"),
    ("empty list", "post", "/v1/predict", {"json": {"texts": []}}, 400, "texts is empty"),
    ("non-string item", "post", "/v1/predict", {"json": {"texts": ["ok", 42]}}, 400, "texts[1] must be a string, got a number"),
    ("null item", "post", "/v1/predict", {"json": {"texts": [None]}}, 400, "texts[0] must be a string, got null"),
    ("boolean item", "post", "/v1/predict", {"json": {"texts": [True]}}, 400, "got a boolean"),
    ("nested object item", "post", "/v1/predict", {"json": {"texts": [{"text": "hi"}]}}, 400, "got an object"),
    ("nested list item", "post", "/v1/predict", {"json": {"texts": [["hi"]]}}, 400, "got an array"),
    ("null body", "post", "/v1/predict", {"data": "null", "content_type": "application/json"}, 400, "got null"),
    ("number body", "post", "/v1/predict", {"data": "42", "content_type": "application/json"}, 400, "got a number"),
    ("list body", "post", "/v1/predict", {"json": [HAM]}, 400, "got an array"),
    ("texts is a string", "post", "/v1/predict", {"json": {"texts": HAM}}, 400, "texts must be an array"),
    ("texts is null", "post", "/v1/predict", {"json": {"texts": None}}, 400, "texts must be an array of strings, got null"),
    ("wrong field", "post", "/v1/predict", {"json": {"message": HAM}}, 400, 'needs the field "texts"'),
    ("single text on v1", "post", "/v1/predict", {"json": {"text": HAM}}, 400, 'needs the field "texts"'),
    ("wrong content type", "post", "/v1/predict", {"data": HAM, "content_type": "text/plain"}, 415, "got text/plain"),
    ("form on v1", "post", "/v1/predict", {"data": {"texts": HAM}}, 415, "application/json"),
    ("malformed JSON", "post", "/v1/predict", {"data": '{"texts": [', "content_type": "application/json"}, 400, "malformed JSON"),
    ("trailing garbage", "post", "/v1/predict", {"data": '{"texts": []} x', "content_type": "application/json"}, 400, "malformed JSON"),
    ("invalid UTF-8", "post", "/v1/predict", {"data": b'{"texts": ["\xff\xfe"]}', "content_type": "application/json"}, 400, "not valid UTF-8"),
    ("too many messages", "post", "/v1/predict", {"json": {"texts": ["hi"] * 1001}}, 413, "at most 1,000"),
    ("message too long", "post", "/v1/predict", {"json": {"texts": ["ok", LONG]}}, 413, "texts[1] has 10,001 characters"),
    ("body too large", "post", "/v1/predict", {"data": b"x" * (3 * 1024 * 1024), "content_type": "application/json"}, 413, "larger than 2,097,152 bytes"),
    ("article: no text", "get", "/predict", {}, 400, "?text="),
    ("article: text too long", "get", "/predict", {"query_string": {"text": LONG}}, 413, "10,001 characters"),
    ("article: empty POST", "post", "/predict", {}, 400, "no message"),
    ("article: form without text", "post", "/predict", {"data": {"message": HAM}}, 400, "form fields named text"),
    ("article: plain text body", "post", "/predict", {"data": HAM, "content_type": "text/plain"}, 415, "unsupported content type text/plain"),
    ("article: JSON text not a string", "post", "/predict", {"json": {"text": 5}}, 400, "text[0] must be a string, got a number"),
    ("article: malformed JSON", "post", "/predict", {"data": "{", "content_type": "application/json"}, 400, "malformed JSON"),
    ("article: too many", "post", "/predict", {"data": {"text": ["hi"] * 1001}}, 413, "at most 1,000"),
    ("unknown route", "get", "/nope", {}, 404, "no route /nope"),
    ("wrong method on /predict", "delete", "/predict", {}, 405, "use GET or POST"),
    ("wrong method on /v1/predict", "get", "/v1/predict", {}, 405, "use POST"),
    ("wrong method on /healthz", "post", "/healthz", {}, 405, "use GET"),
]


@pytest.mark.parametrize("name, method, path, kwargs, status, words", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_a_clear_json_error(client, name, method, path, kwargs, status, words):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.json
    assert list(body) == ["error"] and words in body["error"]
    if status == 405:
        assert response.headers["Allow"]
    # and the service still answers afterwards
    assert client.get("/predict", query_string={"text": SPAM}).get_data(as_text=True) == "1"


def test_limits_come_from_the_environment(monkeypatch, model_dir):
    service = load_app_module(monkeypatch, model_dir, MAX_MESSAGES=2, MAX_MESSAGE_CHARS=5, MAX_BODY_BYTES=500)
    client = service.app.test_client()
    assert client.post("/v1/predict", json={"texts": ["a", "b"]}).status_code == 200
    assert "at most 2" in client.post("/v1/predict", json={"texts": ["a", "b", "c"]}).json["error"]
    assert "at most 5" in client.post("/v1/predict", json={"texts": ["toolong"]}).json["error"]
    assert client.post("/v1/predict", json={"texts": ["a" * 5] * 2, "pad": "x" * 600}).status_code == 413


def test_bad_limit_setting_names_the_variable(monkeypatch, model_dir):
    with pytest.raises(ValueError, match="MAX_MESSAGES='lots' must be a positive whole number"):
        load_app_module(monkeypatch, model_dir, MAX_MESSAGES="lots")


def test_without_a_model_the_service_starts_but_is_not_ready(monkeypatch, tmp_path):
    client = load_app_module(monkeypatch, tmp_path / "empty").app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "make train" in ready.json["error"]
    for response in (client.get("/predict", query_string={"text": HAM}),
                     client.post("/v1/predict", json={"texts": [HAM]}), client.get("/v1/model")):
        assert response.status_code == 503 and "/readyz" in response.json["error"]


def test_tampered_model_is_not_loaded(monkeypatch, model_dir, tmp_path):
    copy = tmp_path / "models"
    shutil.copytree(model_dir, copy)
    card = json.loads((copy / "model_card.json").read_text())
    card["artifacts"]["feature.pkl"]["sha256"] = "0" * 64
    (copy / "model_card.json").write_text(json.dumps(card))
    ready = load_app_module(monkeypatch, copy).app.test_client().get("/readyz")
    assert ready.status_code == 503 and "feature.pkl has sha256" in ready.json["error"]


def test_an_unexpected_failure_is_a_json_500_with_the_request_id(service):
    class Broken:  # stands in for a model whose prediction raises, to exercise the safety net
        version = "broken"

        def predict(self, texts):
            raise RuntimeError("boom")
    service.MODEL = Broken()
    response = service.app.test_client().get("/predict", query_string={"text": HAM}, headers={"X-Request-ID": "r-500"})
    assert response.status_code == 500
    assert response.json == {"error": "internal error; quote request id r-500 when reporting it"}
