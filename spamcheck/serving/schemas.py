"""The JSON bodies of the service as pydantic models: the one source of the JSON checks
(spamcheck.serving.validation) and of the OpenAPI document (spamcheck.serving.openapi).

Requests are strict: a JSON value must already have the right type (no "1" for 1, no 1 for "1").
Each request model carries one example; error messages quote it. The request models state the
limits, which each app has its own of: :func:`request_models` builds them for given limits.
Every answer is one of these models, dumped once (spamcheck.serving.openapi.json_answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, TypeAdapter, create_model, model_validator

from spamcheck.serving.labels import LABELS, LabelName

# Each request model's example (error messages quote them)
PREDICT_EXAMPLE = {"texts": ["first message", "second message"]}
ARTICLE_EXAMPLE = {"text": "see you at 7"}
INFER_EXAMPLE = {"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["see you at 7"]}]}


def strict(example: dict) -> ConfigDict:
    return ConfigDict(strict=True, json_schema_extra={"examples": [example]})


class Prediction(BaseModel):
    label: LabelName
    spam_probability: float = Field(ge=0, le=1)


class Predictions(BaseModel):
    """One prediction per message, in order."""

    model_version: str
    predictions: list[Prediction]


def predictions(model_version: str, labels: list[int], probabilities: list[float]) -> Predictions:
    """/v1/predict's answer, checked by pydantic as it is made: each message's label and its spam
    probability to 4 decimals. numpy rounds them all at once: Python's round(), one number at a time,
    was the costliest step of making the answer to a large batch."""
    rounded = np.round(probabilities, 4).tolist()
    return Predictions(
        model_version=model_version,
        predictions=[{"label": LABELS[label], "spam_probability": p} for label, p in zip(labels, rounded)],
    )


class Error(BaseModel):
    """Every error the service answers."""

    error: str = Field(description="what was wrong and how to fix it")


class Alive(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    model_version: str
    host: str = Field(description="the server's host name; in a Pod, the Pod's name")


class ModelCard(BaseModel):
    """The model card: kind, metrics, versions, the data's sha256 and more."""

    model_config = ConfigDict(extra="allow")
    model_version: str
    kind: str


class OpenAPIDocument(BaseModel):
    """The OpenAPI 3.1 description of this service (spamcheck.serving.openapi)."""

    model_config = ConfigDict(extra="allow")
    openapi: Literal["3.1.0"]
    info: dict
    paths: dict


# The Open Inference Protocol V2 (spamcheck.serving.inference_protocol)
OutputName = Literal["label", "spam_probability"]


class RequestedOutput(BaseModel):
    model_config = ConfigDict(strict=True)
    name: OutputName
    parameters: dict | None = None


class TensorMetadata(BaseModel):
    name: str
    datatype: str
    shape: list[int]


class OutputTensor(TensorMetadata):
    name: OutputName
    datatype: Literal["INT64", "FP64"]
    data: list[int] | list[float]  # labels stay integers in the JSON, probabilities are numbers


class InferResponse(BaseModel):
    """label (INT64) and spam_probability (FP64), one value per message."""

    model_name: Literal["spamcheck"]
    model_version: str
    id: str | None = None
    outputs: list[OutputTensor]


class ModelMetadata(BaseModel):
    name: Literal["spamcheck"]
    versions: list[str]
    platform: str
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


class ServerMetadata(BaseModel):
    name: str
    version: str
    extensions: list[str]


class Live(BaseModel):
    live: bool


class ServerReady(BaseModel):
    ready: bool


class ModelReady(BaseModel):
    name: str
    ready: bool


# The request bodies. These classes state the types; request_models() gives each app subclasses of
# them with its own limits on the number and the length of messages (the settings).
class PredictRequest(BaseModel):
    """Messages to classify."""

    model_config = strict(PREDICT_EXAMPLE)
    texts: list[StrictStr] = Field(min_length=1)


class ArticleText(BaseModel):
    """One message, as the article's /predict also takes it in JSON."""

    model_config = strict(ARTICLE_EXAMPLE)
    text: StrictStr


class InputTensor(BaseModel):
    model_config = ConfigDict(strict=True)
    name: Literal["text"]
    datatype: Literal["BYTES"]
    shape: list[StrictInt] = Field(min_length=1, max_length=1, description="[N]: the number of messages in data")
    data: list[StrictStr] = Field(min_length=1)
    parameters: dict | None = None

    @model_validator(mode="after")
    def shape_fits_data(self):
        if self.shape != [len(self.data)]:
            raise ValueError(f"shape must be [{len(self.data)}] for {len(self.data)} messages, got {self.shape}")
        return self


class InferRequest(BaseModel):
    """Inference: text (BYTES, shape [N]) in."""

    model_config = strict(INFER_EXAMPLE)
    id: str | None = None
    parameters: dict | None = None
    inputs: list[InputTensor] = Field(min_length=1, max_length=1)
    outputs: list[RequestedOutput] | None = None

    @property
    def texts(self) -> list[str]:
        return self.inputs[0].data


@dataclass(frozen=True)
class RequestModels:
    """The request models for one set of limits, and the check of a plain list of messages."""

    PredictRequest: type[PredictRequest]
    ArticleText: type[ArticleText]
    InferRequest: type[InferRequest]
    messages: TypeAdapter  # a list of messages, as the article's form fields carry them


def with_fields(base: type[BaseModel], **fields) -> type[BaseModel]:
    """A subclass of ``base`` of the same name and description, with ``fields`` redeclared."""
    return create_model(base.__name__, __base__=base, __doc__=base.__doc__, __module__=__name__, **fields)


@cache  # the same limits, the same classes: one app's document names each model once
def request_models(max_messages: int, max_message_chars: int) -> RequestModels:
    """The request models with these limits on the number and the length of messages."""
    Message = Annotated[StrictStr, Field(max_length=max_message_chars)]
    Messages = Annotated[list[Message], Field(min_length=1, max_length=max_messages)]
    input_tensor = with_fields(InputTensor, data=(Messages, ...))
    return RequestModels(
        PredictRequest=with_fields(PredictRequest, texts=(Messages, ...)),
        ArticleText=with_fields(ArticleText, text=(Message, ...)),
        InferRequest=with_fields(
            InferRequest, inputs=(Annotated[list[input_tensor], Field(min_length=1, max_length=1)], ...)
        ),
        messages=TypeAdapter(Messages),
    )
