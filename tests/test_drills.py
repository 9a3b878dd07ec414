"""Bounded versions of every fault drill (`make drill` runs them at full length and prints the
figures): the real gunicorn server on 127.0.0.1, and the image where the drill says so."""

from __future__ import annotations

import pytest

from spamcheck.tooling import drills

pytestmark = pytest.mark.drills


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("drills")


def check(report: drills.Report, record_property):
    record_property(
        f"drill: {report.name}", "; ".join(f"{k}: {v}" for k, v in report.figures.items() if k != "details")
    )
    assert report.passed, report.figures


def test_fuzz(model_dir, log_dir, record_property):
    check(drills.fuzz(model_dir, log_dir, max_examples=5), record_property)


def test_a_worker_killed_under_load(model_dir, log_dir, record_property):
    check(drills.kill_worker(model_dir, log_dir, seconds=3, connections=16), record_property)


def test_graceful_stop_under_load(model_dir, log_dir, record_property):
    check(drills.graceful_stop(model_dir, log_dir, before_signal=1), record_property)


def test_tampered_model(model_dir, log_dir, record_property):
    check(drills.tampered(model_dir, log_dir, only=["feature.pkl changed", "card's hash wrong"]), record_property)


def test_soak(model_dir, log_dir, record_property):
    check(drills.soak(model_dir, log_dir, seconds=3, warmup=1, every=0.5), record_property)


@pytest.mark.container
def test_graceful_stop_of_the_container(engine, image, record_property):
    check(drills.graceful_stop_container(engine, image[0], before_signal=1), record_property)


@pytest.mark.container
def test_tampered_model_in_the_image(model_dir, log_dir, engine, image, record_property):
    report = drills.tampered(model_dir, log_dir, engine, image[0], gunicorn=False, only=["model.pkl changed"])
    assert report.figures["served by"] == engine
    check(report, record_property)
