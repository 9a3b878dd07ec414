# Generated from notebooks/03_flask_app.ipynb by `make export-app`: do not edit.
# Edit the notebook's cells tagged "app", then run `make export-app`.
"""spamcheck: the article's Flask API and a JSON API for the SMS spam model."""

import logging
import os
import re
import socket
import time
import uuid

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from spamcheck import artifacts, openapi
from spamcheck.validation import InputError, Limits, json_body, texts_from_article_request, texts_from_json

LIMITS = Limits.from_environment()  # MAX_MESSAGES, MAX_MESSAGE_CHARS, MAX_BODY_BYTES
HELLO = "Hello World! spamcheck is up: send messages to /predict?text=... (0 = ham, 1 = spam)\n"
# In a Kubernetes Pod the host name is the Pod's name: /readyz reports it, so that a
# port-forward can check that the answer really comes from the Pod.
HOST_NAME = socket.gethostname()


def load_model():
    """Load and verify the artifacts, then make one smoke prediction; return (model, problem)."""
    try:
        model = artifacts.load()  # MODEL_DIR, default models/
        labels, _ = model.predict(["smoke test: is this message spam?"])
        assert len(labels) == 1, "the smoke prediction returned no label"
        return model, None
    except Exception as exc:  # any failure: not ready, and /readyz says why
        return None, f"model not loaded from {artifacts.model_dir()}: {exc}"


MODEL, MODEL_PROBLEM = load_model()


app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = LIMITS.max_body_bytes
app.json.sort_keys = False


@app.get("/")
def hello():
    return Response(HELLO, mimetype="text/plain")


def require_model():
    if MODEL is None:
        raise InputError(503, f"{MODEL_PROBLEM}; see /readyz")
    return MODEL


@app.route("/predict", methods=["GET", "POST"])
def predict():
    texts = texts_from_article_request(request, LIMITS)
    labels, _ = require_model().predict(texts)
    return Response(",".join(str(int(label)) for label in labels), mimetype="text/plain")


@app.post("/v1/predict")
def predict_v1():
    texts = texts_from_json(json_body(request), LIMITS)
    model = require_model()
    labels, probabilities = model.predict(texts)
    predictions = [{"label": "spam" if label else "ham", "spam_probability": round(float(p), 4)}
                   for label, p in zip(labels, probabilities)]
    return jsonify(model_version=model.version, predictions=predictions)


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.get("/readyz")
def readyz():
    if MODEL is None:
        return jsonify(error=MODEL_PROBLEM), 503
    return jsonify(status="ready", model_version=MODEL.version, host=HOST_NAME)


@app.get("/v1/model")
def model_card():
    return jsonify(require_model().card)


@app.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document(LIMITS))


@app.errorhandler(InputError)
def input_error(error):
    return jsonify(error=error.message), error.status


@app.errorhandler(HTTPException)
def http_error(error):
    allowed = sorted(set(getattr(error, "valid_methods", None) or []) - {"HEAD", "OPTIONS"})
    messages = {404: f"no route {request.path}: see /openapi.json for the API",
                405: f"{request.method} is not allowed on {request.path}; use {' or '.join(allowed)}",
                413: f"the request body is larger than {LIMITS.max_body_bytes:,} bytes"}
    headers = {"Allow": ", ".join(error.valid_methods)} if allowed else {}
    return jsonify(error=messages.get(error.code, error.description)), error.code, headers


@app.errorhandler(Exception)
def unexpected_error(error):
    app.logger.exception("request %s failed", g.get("request_id"))
    return jsonify(error=f"internal error; quote request id {g.get('request_id')} when reporting it"), 500


log = logging.getLogger("spamcheck.access")
if not log.handlers:  # gunicorn and `python app.py` both log to stderr
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@app.before_request
def start_timer():
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


@app.after_request
def log_request(response):
    duration_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    response.headers["X-Request-ID"] = g.get("request_id", "-")
    log.info("%s %s %s %.1fms id=%s", request.method, request.path, response.status_code,
             duration_ms, g.get("request_id", "-"))
    return response


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")),
            debug=os.environ.get("FLASK_DEBUG") == "1")

