"""The article's own image, from app/article/: its requirements pin the versions that trained the
pickles, its Dockerfile reads like the article's, and the container answers as the article's app."""

from __future__ import annotations

import urllib.parse
from importlib.metadata import version

import pytest

from service import HAM, SPAM, call
from spamcheck.paths import ROOT
from spamcheck.tooling import article_requirements
from spamcheck.tooling.containers import Container

FOLDER = ROOT / "app" / "article"


def test_requirements_are_what_app_py_imports_at_the_versions_that_trained_the_pickles():
    pins = (FOLDER / "requirements.txt").read_text().splitlines()
    assert pins == article_requirements.pins(FOLDER), "stale: run notebook 04 (or the module) again"
    assert [pin.split("==")[0] for pin in pins] == ["Flask", "scikit_learn"]
    for pin in pins:  # this environment trained the pickles (notebook 02)
        name, _, pinned = pin.partition("==")
        assert pinned == version(name), pin


def test_the_dockerfile_reads_like_the_articles():
    instructions = [
        line.split()[0] for line in (FOLDER / "Dockerfile").read_text().splitlines() if line and line[0] != "#"
    ]
    assert instructions == ["FROM", "WORKDIR", "COPY", "RUN", "COPY", "EXPOSE", "CMD"]
    dockerfile = (FOLDER / "Dockerfile").read_text()
    assert "FROM docker.io/library/python:3.11-slim" in dockerfile and "EXPOSE 5000" in dockerfile
    assert "COPY app.py feature.pkl model.pkl ./" in dockerfile
    assert 'CMD ["python3", "-m", "flask", "run", "--host=0.0.0.0"]' in dockerfile


@pytest.mark.container
def test_the_container_answers_as_the_articles_app(engine, article_image):
    with Container(engine, article_image, ready_path="/", name_prefix="flaskft-test") as container:
        assert call(container.url + "/")[2] == b"Hello World!"
        query = urllib.parse.urlencode([("text", HAM), ("text", SPAM)])
        assert call(f"{container.url}/predict?{query}")[2] == b"0,1"
        assert call(container.url + "/readyz")[0] == 404, "only the production service has /readyz"
        assert "development server" in container.logs()  # Flask's server, debug off
