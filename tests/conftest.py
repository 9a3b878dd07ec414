"""Shared fixtures: the verified data set and a default model trained once per test session."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import time

import pytest

from service import ARTICLE_IMAGE, IMAGE
from spamcheck.paths import ROOT
from spamcheck.serving import artifacts
from spamcheck.tooling.engines import container_engine
from spamcheck.tooling.localserver import Gunicorn
from spamcheck.training import data, models
from spamcheck.training.export import export_model


@pytest.fixture(scope="session")
def data_file(tmp_path_factory):
    """The verified SMSSpamCollection: `make data`'s copy, else a download into a temporary folder
    (from SPAMCHECK_DATA_URL or UCI); tests never write the checkout's data/."""
    cached = data.data_dir() / data.DATA_FILENAME
    return data.download(data.data_dir() if cached.exists() else tmp_path_factory.mktemp("data"), progress=False)


@pytest.fixture(scope="session")
def messages(data_file):
    return data.parse(data_file)


@pytest.fixture(scope="session")
def model_dir(messages, testrun_uid):
    """The default model trained on every message and exported as the notebook does.

    Trained once per pytest run, under build/ (tests only read it; the tamper tests copy it): the
    first test process to need it trains it under a lock, the other loads the same files.
    """
    runs = ROOT / "build" / "test-run-models"
    directory = runs / testrun_uid
    runs.mkdir(parents=True, exist_ok=True)
    with open(runs / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / artifacts.CARD_FILE).exists():  # written last: its presence means complete
            for earlier in runs.iterdir():  # earlier runs' models
                if earlier.is_dir():
                    shutil.rmtree(earlier)
            pipeline = models.build(models.DEFAULT_KIND).fit(messages["text"], messages["y"])
            placeholder = {"accuracy": 0.0}  # metrics are the notebook's job; the files are what matter here
            export_model(
                pipeline,
                models.DEFAULT_KIND,
                models.DESCRIPTIONS[models.DEFAULT_KIND],
                {"cv": placeholder},
                directory,
                n_messages=len(messages),
                n_spam=int(messages["y"].sum()),
                evaluation={},
            )
    return directory


@pytest.fixture(scope="session")
def spam_model(model_dir):
    return artifacts.load(model_dir)


@pytest.fixture(scope="session")
def engine(missing_tool):
    found = container_engine()
    if found is None:
        missing_tool("no container engine answers `docker info` or `podman info`")
    return found


@pytest.fixture(scope="session")
def image(engine):
    """`make image`: the real target, with the model in models/. Returns (name, build seconds)."""
    started = time.monotonic()
    (ROOT / "build").mkdir(exist_ok=True)
    with open(ROOT / "build" / ".image.lock", "w") as lock:  # one build at a time across test processes
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(
            ["make", "--no-print-directory", "image", f"IMAGE={IMAGE}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return IMAGE, time.monotonic() - started


@pytest.fixture(scope="session")
def article_image(engine):
    """The article's image: `docker build -t flaskft:develop1 .` in app/article/, with the engine here."""
    folder = ROOT / "app" / "article"
    assert (folder / "model.pkl").exists(), "app/article/ has no pickles: run `make train`"
    (ROOT / "build").mkdir(exist_ok=True)
    with open(ROOT / "build" / ".image.lock", "w") as lock:  # one build at a time across test processes
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(
            [engine, "build", "-t", ARTICLE_IMAGE, "."], cwd=folder, capture_output=True, text=True, timeout=1800
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return ARTICLE_IMAGE


@pytest.fixture(scope="session")
def gunicorn(model_dir, tmp_path_factory):
    """The real server (app/gunicorn.conf.py, 2 workers) on a free port of 127.0.0.1, shared by the
    tests that only send it requests."""
    server = Gunicorn(model_dir, tmp_path_factory.mktemp("gunicorn") / "server.log")
    yield server
    server.stop()
