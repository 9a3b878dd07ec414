"""The Open Inference Protocol V2 (the "KServe V2" protocol) over REST, for the spam model.

This is what KServe, Seldon MLServer and Triton speak, so their clients (e.g. ``tritonclient.http``)
can call spamcheck. Spec: https://github.com/kserve/open-inference-protocol,
``specification/protocol/inference_rest.md``. One input, ``text`` (BYTES, shape [N]); two outputs,
``label`` (INT64: 0 ham, 1 spam) and ``spam_probability`` (FP64). JSON only: the binary tensor
extension is refused with a clear error. Every error is ``{"error": "..."}`` (the app sends it).
"""

from __future__ import annotations

from spamcheck import __version__
from spamcheck.serving.schemas import InferRequest, InferResponse, ModelMetadata, ServerMetadata
from spamcheck.serving.validation import InputError, model_from_json

MODEL_NAME = "spamcheck"
INPUT = {"name": "text", "datatype": "BYTES", "shape": [-1]}
OUTPUTS = {
    "label": {"name": "label", "datatype": "INT64", "shape": [-1]},
    "spam_probability": {"name": "spam_probability", "datatype": "FP64", "shape": [-1]},
}
BINARY_HEADER = "Inference-Header-Content-Length"
# The protocol's "<runtime>_<format>" (as "onnxruntime_onnx"): model.npz's arrays, evaluated by this
# package's own runtime (spamcheck.serving.npz_model), with no scikit-learn at serving time.
PLATFORM = "spamcheck_npz"


def server_metadata() -> ServerMetadata:
    return ServerMetadata(name="spamcheck", version=__version__, extensions=[])


def model_metadata(version: str) -> ModelMetadata:
    return ModelMetadata(
        name=MODEL_NAME, versions=[version], platform=PLATFORM, inputs=[INPUT], outputs=list(OUTPUTS.values())
    )


def check_model(name: str, version: str | None, served_version: str | None) -> None:
    """404 unless the request names this model (and, if it names a version, the one served)."""
    if name != MODEL_NAME:
        raise InputError(404, f"no model named {name!r}: this server serves {MODEL_NAME!r}")
    if version is not None and served_version is not None and version != served_version:
        raise InputError(404, f"model {MODEL_NAME!r} has no version {version!r}; it serves {served_version!r}")


def read_infer_request(request, model):
    """The inference request of a Flask request, read and checked by ``model`` (the app's
    InferRequest), or an InputError. The body is read as JSON whatever the Content-Type says:
    tritonclient sends none."""
    if request.headers.get(BINARY_HEADER) is not None:
        raise InputError(
            400,
            f"binary tensor data ({BINARY_HEADER}) is not supported: send the whole request "
            "as JSON (tritonclient: set_data_from_numpy(..., binary_data=False))",
        )
    return model_from_json(request.get_data(cache=True), model)


def infer_response(version: str, request: InferRequest, labels, probabilities) -> InferResponse:
    """The answer: the requested outputs (all, if the request names none), and the request's id."""
    values = {"label": [int(label) for label in labels], "spam_probability": [float(p) for p in probabilities]}
    outputs = [output.name for output in request.outputs] if request.outputs is not None else list(OUTPUTS)
    given = {"id": request.id} if request.id is not None else {}  # an id only if the request had one
    return InferResponse(
        model_name=MODEL_NAME,
        model_version=version,
        outputs=[{**OUTPUTS[name], "shape": [len(values[name])], "data": values[name]} for name in outputs],
        **given,
    )
