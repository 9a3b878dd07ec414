"""Shared fixtures: the verified data set and a default model trained once per test session."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from service import ARTICLE_IMAGE, IMAGE
from spamcheck.paths import ROOT
from spamcheck.serving import artifacts
from spamcheck.tooling.engines import container_engine
from spamcheck.tooling.localserver import Gunicorn
from spamcheck.training import data

TRAINER = pytest.StashKey[subprocess.Popen]()


@pytest.fixture(scope="session")
def data_file(tmp_path_factory):
    """The verified SMSSpamCollection: `make data`'s copy, else a download into a temporary folder
    (from SPAMCHECK_DATA_URL or UCI); tests never write the checkout's data/."""
    cached = data.data_dir() / data.DATA_FILENAME
    return data.download(data.data_dir() if cached.exists() else tmp_path_factory.mktemp("data"), progress=False)


@pytest.fixture(scope="session")
def messages(data_file):
    return data.parse(data_file)


def run_id(config) -> str:
    """This pytest run's id: xdist's, which its controller gives to every test process."""
    if hasattr(config, "workerinput"):
        return config.workerinput["testrunuid"]
    if getattr(config.option, "testrunuid", None) is None:  # without xdist, or before it chose one
        config.option.testrunuid = uuid.uuid4().hex
    return config.option.testrunuid


def pytest_configure(config):
    """A whole-suite run (the tests folder, as `make test` and `make test-fast` give it) starts training
    the default model at once, in a process of its own, while the test processes start and collect."""
    cached = data.data_dir() / data.DATA_FILENAME
    whole_suite = any(Path(arg.split("::")[0]).resolve() == ROOT / "tests" for arg in config.args)
    if hasattr(config, "workerinput") or not whole_suite or not cached.exists():
        return  # otherwise the model_dir fixture trains it when a test first needs it
    helper = Path(__file__).with_name("trained_model.py")
    config.stash[TRAINER] = subprocess.Popen(
        [sys.executable, str(helper), run_id(config), str(cached)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )  # if it fails, the fixture trains again and shows the error


# What needs the downloaded collection, or the model trained on all of it: the integration layer
# (marker "collection"), which `make test-fast` leaves out; the unit tests use the small corpus.
COLLECTION_FIXTURES = {"data_file", "messages", "model_dir", "spam_model", "pipeline_halves", "gunicorn"}


def pytest_collection_modifyitems(config, items):
    """Marks the tests that need the collection ("collection"), then puts the tests that need the
    trained model after those that do not, each group in its (random) order, so that the model trains
    while the others run. A stable sort on top of pytest-randomly's shuffle: the same seed still gives
    the same order."""
    for item in items:
        if COLLECTION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.collection)
    items.sort(key=lambda item: "model_dir" in getattr(item, "fixturenames", ()))


def pytest_unconfigure(config):
    trainer = config.stash.get(TRAINER, None)
    if trainer is not None and trainer.poll() is None:  # a run that never needed the model
        trainer.kill()
        trainer.wait()


@pytest.fixture(scope="session")
def model_dir(messages, request):
    """The default model trained on every message and exported as the notebook does, once per run
    (tests/trained_model.py)."""
    import trained_model  # scikit-learn: not in pytest's first process, which only starts the others

    return trained_model.ensure(run_id(request.config), messages)


@pytest.fixture(scope="session")
def small_model_dir(tmp_path_factory):
    """The production pipeline's shape fitted on the small corpus (tests/small_corpus.py) and exported
    as notebook 02 exports a model, in a second: what the unit tests serve (no download, no training
    run). Its card's kind is "svm": the pipeline without the nested selection."""
    import pandas as pd
    import small_corpus

    from spamcheck.training import production

    directory = tmp_path_factory.mktemp("small-model")
    messages = pd.DataFrame({"text": small_corpus.TEXTS, "y": small_corpus.LABELS})
    production.export(small_corpus.fitted_pipeline(), messages, directory, kind="svm")
    return directory


@pytest.fixture(scope="session")
def small_model(small_model_dir):
    """The small corpus's model as the service loads it."""
    return artifacts.load(small_model_dir)


@pytest.fixture(scope="session")
def small_gunicorn(small_model_dir, tmp_path_factory):
    """The real server (app/gunicorn.conf.py, 2 workers) serving the small corpus's model on a free
    port of 127.0.0.1, shared by the tests that only send it requests."""
    server = Gunicorn(small_model_dir, tmp_path_factory.mktemp("small-gunicorn") / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def spam_model(model_dir):
    """The model as the service loads it: model.npz."""
    return artifacts.load(model_dir)


@pytest.fixture(scope="session")
def pipeline_halves(model_dir):
    """The same model's scikit-learn halves (feature.pkl, model.pkl): what the service must equal."""
    from spamcheck.training.export import read_halves  # scikit-learn: only where a test needs it

    return read_halves(model_dir)


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
            ["make", "--no-print-directory", "image"],  # the Makefile's own tag: IMAGE, from the version
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
