"""Bounded versions of every fault drill (`make drill` runs them at full length and prints the
figures): the real gunicorn server on 127.0.0.1, and the image where the drill says so. How long each
runs is drills.plans.QUICK, the one place it is written."""

from __future__ import annotations

import pytest

from drills.common import Report
from drills.fuzz import fuzz
from drills.long_words import long_words
from drills.plans import QUICK
from drills.soak import soak
from drills.stops import graceful_stop, graceful_stop_container, kill_worker
from drills.tamper import tampered

pytestmark = pytest.mark.drills


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("drills")


def check(report: Report, record_property):
    record_property(
        f"drill: {report.name}", "; ".join(f"{k}: {v}" for k, v in report.figures.items() if k != "details")
    )
    assert report.passed, report.figures


def test_fuzz(model_dir, log_dir, record_property):
    check(fuzz(model_dir, log_dir, **QUICK["fuzz"]), record_property)


def test_a_worker_killed_under_load(model_dir, log_dir, record_property):
    check(kill_worker(model_dir, log_dir, **QUICK["kill_worker"]), record_property)


def test_graceful_stop_under_load(model_dir, log_dir, record_property):
    check(graceful_stop(model_dir, log_dir, **QUICK["graceful_stop"]), record_property)


def test_tampered_model(model_dir, log_dir, record_property):
    check(tampered(model_dir, log_dir, **QUICK["tampered"]), record_property)


def test_soak(model_dir, log_dir, record_property):
    check(soak(model_dir, log_dir, **QUICK["soak"]), record_property)


def test_long_distinct_words_at_the_limits_keep_memory_bounded(model_dir, log_dir, record_property):
    check(long_words(model_dir, log_dir, **QUICK["long_words"]), record_property)


@pytest.mark.container
def test_graceful_stop_of_the_container(engine, image, record_property):
    check(graceful_stop_container(engine, image[0], **QUICK["graceful_stop_container"]), record_property)


@pytest.mark.container
def test_tampered_model_in_the_image(model_dir, log_dir, engine, image, record_property):
    report = tampered(model_dir, log_dir, engine, image[0], gunicorn=False, only=["model.npz changed"])
    assert report.figures["served by"] == engine
    check(report, record_property)
