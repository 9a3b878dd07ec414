# Generated from notebooks/08_production_service.ipynb by `make export-app`: do not edit.
# Edit the notebook's cells tagged "app", then run `make export-app`.
"""spamcheck: the article's Flask API and a JSON API for the SMS spam model."""

# %% notebooks/08_production_service.ipynb, cell 4

import logging
import logging.config
import os
import re
import socket
import time
import uuid
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from spamcheck.serving import artifacts, metrics, schemas
from spamcheck.serving import inference_protocol as oip
from spamcheck.serving.openapi import Api, json_answer
from spamcheck.serving.schemas import Error
from spamcheck.serving.settings import Settings
from spamcheck.serving.validation import InputError, check_request_target, texts_from_article_request

HELLO = "Hello World! spamcheck is up: send messages to /predict?text=... (0 = ham, 1 = spam)\n"
# In a Kubernetes Pod the host name is the Pod's name: /readyz reports it, so that a
# port-forward can check that the answer really comes from the Pod.
HOST_NAME = socket.gethostname()


# %% notebooks/08_production_service.ipynb, cell 6

def load_model(model_dir=None):
    """Load and verify the artifacts, then make one smoke prediction; return (model, problem)."""
    try:
        model = artifacts.load(model_dir)  # None: MODEL_DIR, else models/
        labels, _ = model.predict(["smoke test: is this message spam?"])
        if len(labels) != 1:
            raise artifacts.ArtifactError(f"the smoke prediction returned {len(labels)} labels, not 1")
        return model, None
    except Exception as exc:  # any failure: not ready, and /readyz says why
        return None, f"model not loaded from {model_dir or artifacts.model_dir()}: {exc}"


@dataclass
class Service:
    """What the views need: the model, or why there is none."""

    spam_model: artifacts.SpamModel | None
    problem: str | None

    def require_model(self) -> artifacts.SpamModel:
        if self.spam_model is None:
            raise InputError(503, f"{self.problem}; see /readyz")
        return self.spam_model

    def predict(self, texts: list[str]):
        """(labels, spam probabilities) for ``texts``; the metrics count the labels."""
        labels, probabilities = self.require_model().predict(texts)
        metrics.count_messages(labels)
        return labels, probabilities


def service() -> Service:
    """The Service of the app that handles the current request (create_app puts it there)."""
    return current_app.extensions["spamcheck"]


# %% notebooks/08_production_service.ipynb, cell 9

def article_blueprint(api: Api) -> Blueprint:
    """The article's routes: / says hello, /predict answers 0 (ham) or 1 (spam) per message."""
    routes = Blueprint("article", __name__)

    @routes.get("/")
    def hello():
        return Response(HELLO, mimetype="text/plain")

    @routes.route("/predict", methods=["GET", "POST"])
    def predict():
        texts = texts_from_article_request(request, api.models, api.settings)
        labels, _ = service().predict(texts)
        return Response(",".join(map(str, labels)), mimetype="text/plain")  # 0 = ham, 1 = spam

    return routes


# %% notebooks/08_production_service.ipynb, cell 13

def v1_blueprint(api: Api) -> Blueprint:
    """The JSON API: labels with spam probabilities, and the model card."""
    routes = Blueprint("v1", __name__)

    @routes.post("/v1/predict")
    @api.route(schemas.Predictions, 400, 413, 415, 422, 503, body=api.models.PredictRequest)
    def predict_v1(body):
        """Classify messages, with spam probabilities"""
        labels, probabilities = service().predict(body.texts)
        return schemas.predictions(service().spam_model.version, labels, probabilities)

    @routes.get("/v1/model")
    @api.route(schemas.ModelCard, 503)
    def model_card():
        """The model card: kind, metrics, versions, data sha256"""
        return schemas.ModelCard.model_validate(service().require_model().card)

    return routes


# %% notebooks/08_production_service.ipynb, cell 16

def operations_blueprint(api: Api) -> Blueprint:
    """What Kubernetes, Prometheus and API clients ask: liveness, readiness, the document, metrics."""
    routes = Blueprint("operations", __name__)

    @routes.get("/healthz")
    @api.route(schemas.Alive)
    def healthz():
        """Liveness: the process answers"""
        return schemas.Alive(status="ok")

    @routes.get("/readyz")
    @api.route(schemas.Ready, 503)
    def readyz():
        """Readiness: model loaded, verified and answering"""
        model = service().spam_model
        if model is None:
            return Error(error=service().problem), 503
        return schemas.Ready(status="ready", model_version=model.version, host=HOST_NAME)

    @routes.get("/openapi.json")
    @api.route(schemas.OpenAPIDocument)
    def openapi_document():
        """This document: the API's routes, what each takes and what it answers"""
        return schemas.OpenAPIDocument.model_validate(api.document())

    @routes.get("/metrics")
    def prometheus_metrics():
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)

    return routes


# %% notebooks/08_production_service.ipynb, cell 19

def inference_protocol_blueprint(api: Api) -> Blueprint:
    """The Open Inference Protocol (V2): what KServe, MLServer and Triton clients call."""
    routes = Blueprint("inference_protocol", __name__)

    @routes.get("/v2")
    @api.route(schemas.ServerMetadata)
    def v2_server():
        """Open Inference Protocol: server metadata"""
        return oip.server_metadata()

    @routes.get("/v2/health/live")
    @api.route(schemas.Live)
    def v2_live():
        """Open Inference Protocol: the server is live"""
        return schemas.Live(live=True)

    @routes.get("/v2/health/ready")
    @api.route(schemas.ServerReady, 503)
    def v2_ready():
        """Open Inference Protocol: the server is ready"""
        if service().spam_model is None:
            return Error(error=service().problem), 503
        return schemas.ServerReady(ready=True)

    def v2_model_for(name, version):
        """The served model, if the request names it (else 404) and it is loaded (else 503)."""
        oip.check_model(name, version, service().spam_model.version if service().spam_model else None)
        return service().require_model()

    @routes.get("/v2/models/<name>")
    @routes.get("/v2/models/<name>/versions/<version>")
    @api.route(schemas.ModelMetadata, 404, 503)
    def v2_model(name, version=None):
        """Model metadata: its versions, inputs and outputs"""
        return oip.model_metadata(v2_model_for(name, version).version)

    @routes.get("/v2/models/<name>/ready")
    @routes.get("/v2/models/<name>/versions/<version>/ready")
    @api.route(schemas.ModelReady, 404, 503)
    def v2_model_ready(name, version=None):
        """Model readiness: 404 for another model, 503 until it is loaded"""
        v2_model_for(name, version)  # raises the 404 or the 503
        return schemas.ModelReady(name=name, ready=True)

    @routes.post("/v2/models/<name>/infer")
    @routes.post("/v2/models/<name>/versions/<version>/infer")
    @api.route(  # tritonclient sends no Content-Type: JSON whatever it says
        schemas.InferResponse, 400, 404, 413, 422, 503, body=api.models.InferRequest, read=oip.read_infer_request
    )
    def v2_infer(body, name, version=None):
        """Inference: text (BYTES, shape [N]) in; label (INT64) and spam_probability (FP64) out"""
        model = v2_model_for(name, version)
        labels, probabilities = service().predict(body.texts)
        return oip.infer_response(model.version, body, labels, probabilities)

    return routes


# %% notebooks/08_production_service.ipynb, cell 22

def errors_blueprint() -> Blueprint:
    """Every error as JSON {"error": "..."}: ours (InputError), Flask's (404, 405, 413), and the unexpected."""
    handlers = Blueprint("errors", __name__)

    @handlers.app_errorhandler(InputError)
    def input_error(error):
        return json_answer(Error(error=error.message), error.status)

    @handlers.app_errorhandler(HTTPException)
    def http_error(error):
        allowed = sorted(set(getattr(error, "valid_methods", None) or []) - {"HEAD", "OPTIONS"})
        messages = {
            404: f"no route {request.path}: see /openapi.json for the API",
            405: f"{request.method} is not allowed on {request.path}; use {' or '.join(allowed)}",
            413: f"the request body is larger than {current_app.config['MAX_CONTENT_LENGTH']:,} bytes",
        }
        headers = {"Allow": ", ".join(error.valid_methods)} if allowed else {}
        return json_answer(Error(error=messages.get(error.code, error.description)), error.code, headers)

    @handlers.app_errorhandler(Exception)
    def unexpected_error(error):
        current_app.logger.exception("request %s failed", g.get("request_id"))
        return json_answer(
            Error(error=f"internal error; quote request id {g.get('request_id')} when reporting it"), 500
        )

    return handlers


# %% notebooks/08_production_service.ipynb, cell 24

def logging_config(level: str) -> dict:
    """The service's log on stderr: one line per request (level WARNING turns those off), and its warnings and errors."""
    return {
        "version": 1,
        "disable_existing_loggers": False,  # gunicorn's and the libraries' loggers stay as they are
        "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
        # the request log (spamcheck.access) and the service's own messages, such as a refused model
        "loggers": {"spamcheck": {"handlers": ["stderr"], "level": level, "propagate": False}},
    }


SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_log_blueprint() -> Blueprint:
    """Hooks around every request: its id, its log line, and the request metrics."""
    hooks = Blueprint("request_log", __name__)
    log = logging.getLogger("spamcheck.access")

    @hooks.before_app_request
    def start_timer():
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        metrics.IN_FLIGHT.inc()
        g.in_flight = True

    @hooks.before_app_request
    def refuse_a_long_request_target():
        # after start_timer: the refusal is timed, counted and logged like any answer
        check_request_target(request)  # gunicorn passes lines up to 1 MiB; ours stop at 64 KiB, with a JSON 414

    @hooks.after_app_request
    def log_request(response):
        duration_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        route = request.url_rule.rule if request.url_rule else "(no route)"  # not the raw path: bounded labels
        metrics.REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        metrics.LATENCY.labels(route).observe(duration_ms / 1000)
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        log.info(
            "%s %s %s %.1fms id=%s",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            g.get("request_id", "-"),
        )
        return response

    @hooks.teardown_app_request
    def end_in_flight(error):
        if g.pop("in_flight", False):
            metrics.IN_FLIGHT.dec()

    return hooks


# %% notebooks/08_production_service.ipynb, cell 26

def create_app(settings: Settings | None = None) -> Flask:
    """The service, with ``settings`` (default: from the environment; see spamcheck.serving.settings)."""
    settings = settings or Settings.from_environment()
    logging.config.dictConfig(logging_config(settings.log_level))
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes  # bigger bodies: 413 before reading them
    app.json.sort_keys = False
    app.extensions["spamcheck"] = Service(*load_model(settings.model_dir))
    if app.extensions["spamcheck"].spam_model:
        card = app.extensions["spamcheck"].spam_model.card
        metrics.MODEL_INFO.labels(card["model_version"], card["kind"]).set(1)
    api = Api(settings)  # this app's request models (with its limits), checks and document
    for blueprint in (
        article_blueprint(api),
        v1_blueprint(api),
        operations_blueprint(api),
        inference_protocol_blueprint(api),
        errors_blueprint(),
        request_log_blueprint(),
    ):
        app.register_blueprint(blueprint)
    return app


# `python app/app.py` starts Flask's development server (127.0.0.1 unless HOST says otherwise)
if __name__ == "__main__":
    create_app().run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        debug=os.environ.get("FLASK_DEBUG") == "1",
    )
