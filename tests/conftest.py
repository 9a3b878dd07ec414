"""Shared fixtures: the verified data set and a default model trained once per test session."""

from __future__ import annotations

import pytest

from spamcheck import artifacts, data, models


@pytest.fixture(scope="session")
def data_file():
    """The verified SMSSpamCollection (downloaded by `make data`, or here from SPAMCHECK_DATA_URL)."""
    return data.download(progress=False)


@pytest.fixture(scope="session")
def messages(data_file):
    return data.parse(data_file)


@pytest.fixture(scope="session")
def model_dir(messages, tmp_path_factory):
    """The default model (svm) trained on every message and exported as the notebook does."""
    directory = tmp_path_factory.mktemp("models")
    pipeline = models.build("svm").fit(messages["text"], messages["y"])
    placeholder = {"accuracy": 0.0}  # metrics are the notebook's job; the files are what matter here
    artifacts.export(pipeline, "svm", models.DESCRIPTIONS["svm"], {"cv": placeholder}, directory,
                     n_messages=len(messages), n_spam=int(messages["y"].sum()), evaluation={})
    return directory


@pytest.fixture(scope="session")
def spam_model(model_dir):
    return artifacts.load(model_dir)
