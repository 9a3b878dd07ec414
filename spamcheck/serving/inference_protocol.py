"""The Open Inference Protocol V2 (the "KServe V2" protocol) over REST, for the spam model.

This is what KServe, Seldon MLServer and Triton speak, so their clients (e.g. ``tritonclient.http``)
can call spamcheck. Spec: https://github.com/kserve/open-inference-protocol,
``specification/protocol/inference_rest.md``. One input, ``text`` (BYTES, shape [N]); two outputs,
``label`` (INT64: 0 ham, 1 spam) and ``spam_probability`` (FP64). JSON only: the binary tensor
extension is refused with a clear error. Every error is ``{"error": "..."}`` (the app sends it).
"""

from __future__ import annotations

from spamcheck import __version__
from spamcheck.serving.validation import InputError, Limits, check_texts, json_type, parse_json

MODEL_NAME = "spamcheck"
INPUT = {"name": "text", "datatype": "BYTES", "shape": [-1]}
OUTPUTS = {
    "label": {"name": "label", "datatype": "INT64", "shape": [-1]},
    "spam_probability": {"name": "spam_probability", "datatype": "FP64", "shape": [-1]},
}
EXAMPLE = '{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["see you at 7"]}]}'
BINARY_HEADER = "Inference-Header-Content-Length"


def server_metadata() -> dict:
    return {"name": "spamcheck", "version": __version__, "extensions": []}


def model_metadata(version: str) -> dict:
    return {
        "name": MODEL_NAME,
        "versions": [version],
        "platform": "scikit-learn",
        "inputs": [INPUT],
        "outputs": list(OUTPUTS.values()),
    }


def check_model(name: str, version: str | None, served_version: str | None) -> None:
    """404 unless the request names this model (and, if it names a version, the one served)."""
    if name != MODEL_NAME:
        raise InputError(404, f"no model named {name!r}: this server serves {MODEL_NAME!r}")
    if version is not None and served_version is not None and version != served_version:
        raise InputError(404, f"model {MODEL_NAME!r} has no version {version!r}; it serves {served_version!r}")


def parse_infer_request(body: bytes, headers, limits: Limits) -> tuple[str | None, list[str], list[str]]:
    """(request id, messages, names of the outputs to return) from an inference request.

    The body is read as JSON whatever the Content-Type says: tritonclient sends none.
    """
    if headers.get(BINARY_HEADER) is not None:
        raise InputError(
            400,
            f"binary tensor data ({BINARY_HEADER}) is not supported: send the whole request "
            "as JSON (tritonclient: set_data_from_numpy(..., binary_data=False))",
        )
    payload = parse_json(body, EXAMPLE)
    if not isinstance(payload, dict):
        raise InputError(400, f"expected an inference request object like {EXAMPLE}, got {json_type(payload)}")
    _check_parameters(payload, "the request")
    request_id = payload.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise InputError(400, f"id must be a string, got {json_type(request_id)}")
    inputs = payload.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        raise InputError(400, f"inputs must be an array holding one tensor named text, e.g. {EXAMPLE}")
    tensor = inputs[0]
    _check_parameters(tensor, "inputs[0]")
    if tensor.get("name") != INPUT["name"]:
        raise InputError(400, f"the input must be named {INPUT['name']!r}, got {tensor.get('name')!r}")
    if tensor.get("datatype") != INPUT["datatype"]:
        raise InputError(400, f"the input's datatype must be BYTES, got {tensor.get('datatype')!r}")
    data, shape = tensor.get("data"), tensor.get("shape")
    if not isinstance(data, list):
        raise InputError(400, f"inputs[0].data must be an array of strings, got {json_type(data)}")
    if not (isinstance(shape, list) and len(shape) == 1 and type(shape[0]) is int and shape[0] == len(data)):
        raise InputError(400, f"inputs[0].shape must be [{len(data)}] for {len(data)} messages, got {shape!r}")
    texts = check_texts(data, limits, field="inputs[0].data")
    return request_id, texts, _requested_outputs(payload.get("outputs"))


def _check_parameters(part: dict, where: str) -> None:
    if "parameters" in part and not isinstance(part["parameters"], dict):
        raise InputError(400, f"{where}: parameters must be an object, got {json_type(part['parameters'])}")


def _requested_outputs(outputs) -> list[str]:
    if outputs is None:
        return list(OUTPUTS)
    if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
        raise InputError(400, f'outputs must be an array of objects like {{"name": "label"}}, got {json_type(outputs)}')
    for index, output in enumerate(outputs):
        _check_parameters(output, f"outputs[{index}]")
    names = [o.get("name") for o in outputs]
    unknown = [name for name in names if name not in OUTPUTS]
    if unknown:
        raise InputError(400, f"unknown output {unknown[0]!r}: choose from {', '.join(OUTPUTS)}")
    return names


def infer_response(version: str, request_id: str | None, labels, probabilities, outputs: list[str]) -> dict:
    values = {"label": [int(label) for label in labels], "spam_probability": [float(p) for p in probabilities]}
    response = {
        "model_name": MODEL_NAME,
        "model_version": version,
        "outputs": [{**OUTPUTS[name], "shape": [len(values[name])], "data": values[name]} for name in outputs],
    }
    if request_id is not None:
        response["id"] = request_id
    return response
