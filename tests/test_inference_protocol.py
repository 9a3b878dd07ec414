"""The Open Inference Protocol V2, spoken by the real Triton client (`tritonclient[http]`) to the
real gunicorn server on 127.0.0.1, and its errors over plain HTTP."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from service import HAM, SPAM, call
from spamcheck.serving.settings import Settings
from spamcheck.tooling.localserver import Gunicorn


@pytest.fixture(scope="module")
def client(small_gunicorn):
    return triton.InferenceServerClient(f"127.0.0.1:{small_gunicorn.port}")  # no scheme: the client adds it


def infer(client, texts, binary_data=False, **options):
    text = triton.InferInput("text", [len(texts)], "BYTES")
    text.set_data_from_numpy(np.array(texts, dtype=object), binary_data=binary_data)
    outputs = [triton.InferRequestedOutput(name, binary_data=False) for name in ("label", "spam_probability")]
    return client.infer("spamcheck", [text], outputs=outputs, **options)


def test_health_and_metadata_through_the_client(client, small_model):
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("spamcheck")
    assert client.is_model_ready("spamcheck", model_version=small_model.version)
    assert not client.is_model_ready("no-such-model")
    metadata = client.get_model_metadata("spamcheck")
    assert metadata["name"] == "spamcheck" and metadata["versions"] == [small_model.version]
    assert metadata["platform"] == "spamcheck_npz"  # no scikit-learn serves it
    assert metadata["inputs"] == [{"name": "text", "datatype": "BYTES", "shape": [-1]}]
    assert [(o["name"], o["datatype"]) for o in metadata["outputs"]] == [
        ("label", "INT64"),
        ("spam_probability", "FP64"),
    ]
    assert client.get_server_metadata()["name"] == "spamcheck"


@pytest.mark.parametrize("count", [1, 2, 1000])
def test_infer_gives_the_models_own_answers(client, small_model, count):
    texts = ([HAM, SPAM] * 500)[:count]
    result = infer(client, texts, request_id="req-7")
    labels, probabilities = small_model.predict(texts)
    np.testing.assert_array_equal(result.as_numpy("label"), labels)
    np.testing.assert_array_equal(result.as_numpy("spam_probability"), probabilities)  # exact: JSON keeps doubles
    response = result.get_response()
    assert response["model_name"] == "spamcheck" and response["id"] == "req-7"
    assert response["model_version"] == small_model.version


def test_infer_on_a_named_version(client, small_model):
    assert infer(client, [SPAM], model_version=small_model.version).as_numpy("label").tolist() == [1]
    with pytest.raises(InferenceServerException, match="has no version 'v0'"):
        infer(client, [SPAM], model_version="v0")


def test_the_clients_errors_carry_the_servers_message(client):
    with pytest.raises(InferenceServerException, match="binary tensor data .* is not supported"):
        infer(client, [HAM], binary_data=True)
    with pytest.raises(InferenceServerException, match="no model named 'other'"):
        client.get_model_metadata("other")
    with pytest.raises(InferenceServerException, match="at most 1,000"):
        infer(client, ["hi"] * 1001)


INFER = "/v2/models/spamcheck/infer"
GOOD = {"name": "text", "shape": [1], "datatype": "BYTES", "data": ["hi"]}
BAD_TENSORS = [
    ({"inputs": [{**GOOD, "shape": [2]}]}, 400, "shape must be [1]"),
    ({"inputs": [{**GOOD, "datatype": "FP32"}]}, 400, "inputs[0].datatype must be 'BYTES', got \"FP32\""),
    ({"inputs": [{**GOOD, "name": "texts"}]}, 400, "inputs[0].name must be 'text'"),
    ({"inputs": [{**GOOD, "data": [1]}]}, 400, "inputs[0].data[0] must be a string"),
    ({"inputs": [GOOD, GOOD]}, 400, "inputs holds 2 items; it takes 1"),
    ({"inputs": []}, 400, 'inputs is empty: send e.g. {"inputs"'),
    ({"inputs": [{**GOOD, "data": [], "shape": [0]}]}, 400, "is empty"),
    ({"inputs": [{**GOOD, "data": ["x" * 10_001]}]}, 422, "10,001 characters"),
    (
        {"inputs": [GOOD], "outputs": [{"name": "score"}]},
        400,
        "outputs[0].name must be 'label' or 'spam_probability', got \"score\"",
    ),
    ({"inputs": [GOOD], "id": 5}, 400, "id must be a string"),
    ([GOOD], 400, "the body must be an object, got an array"),
]


@pytest.mark.parametrize("body, status, words", BAD_TENSORS, ids=[w for _, _, w in BAD_TENSORS])
def test_bad_inference_requests_get_a_json_error(small_gunicorn, body, status, words):
    got, headers, raw = call(small_gunicorn.url + INFER, json.dumps(body).encode())  # no Content-Type, as tritonclient
    assert got == status and headers["Content-Type"] == "application/json"
    assert words in json.loads(raw)["error"]


def test_readiness_without_a_model_is_503_with_a_reason(tmp_path):
    server = Gunicorn(tmp_path / "no-model", tmp_path / "server.log")
    try:
        for path in ("/v2/health/ready", "/v2/models/spamcheck/ready", "/v2/models/spamcheck"):
            status, _, body = call(server.url + path)
            assert status == 503 and "make train" in json.loads(body)["error"], path
        assert call(server.url + "/v2/health/live")[0] == 200
        client = triton.InferenceServerClient(f"127.0.0.1:{server.port}")
        assert client.is_server_live() and not client.is_server_ready()
    finally:
        server.stop()


def test_same_limits_as_v1(small_gunicorn):
    too_many = Settings().max_messages + 1  # the server's limit: the default
    body = {"inputs": [{**GOOD, "data": ["a"] * too_many, "shape": [too_many]}]}
    assert call(small_gunicorn.url + INFER, json.dumps(body).encode())[0] == 422
