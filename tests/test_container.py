"""The service image, built from docker/Dockerfile and run for real with docker or podman.

Without an engine these tests are skipped with a message; CI sets SPAMCHECK_REQUIRE_CONTAINERS=1
so that they fail instead.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

import spamcheck
from service import HAM, IMAGE, SPAM, call, run
from spamcheck.paths import ROOT
from spamcheck.tooling.containers import Container
from spamcheck.tooling.localserver import until

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def container(engine, image):
    started = Container(engine, image[0], name_prefix="spamcheck-test")
    yield started
    started.remove()


def test_image_builds_and_reports_its_size(engine, image, record_property):
    size = int(run(engine, "image", "inspect", image[0], "--format", "{{.Size}}").stdout.strip())
    record_property("image", f"{image[0]}: {size / 1e6:.0f} MB, built in {image[1]:.0f} s by {engine}")
    labels = json.loads(run(engine, "image", "inspect", image[0], "--format", "{{json .Config.Labels}}").stdout)
    card = json.loads((ROOT / "models" / "model_card.json").read_text())
    assert labels["io.spamcheck.model.version"] == card["model_version"]
    assert labels["org.opencontainers.image.version"] == spamcheck.__version__  # the Dockerfile's VERSION


def test_image_holds_only_the_service(engine, image):
    listing = run(
        engine,
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "ls",
        image[0],
        "-A",
        "/srv",
        "/srv/app",
        "/srv/models",
    ).stdout
    assert "notebooks" not in listing and "data" not in listing.split() and ".venv" not in listing
    installed = run(engine, "run", "--rm", "--network", "none", "--entrypoint", "pip", image[0], "list").stdout.lower()
    assert not {"jupyter", "scikit-learn", "scipy", "numba", "pandas"} & {
        line.split()[0] for line in installed.splitlines()[2:]
    }


def test_image_holds_no_pickle(engine, image):
    """The model is model.npz and its card: no pickle anywhere in the image's model folder."""
    models = run(engine, "run", "--rm", "--network", "none", "--entrypoint", "ls", image[0], "/srv/models").stdout
    assert sorted(models.split()) == ["model.npz", "model_card.json"]


def test_image_scores_with_the_compiled_model_and_holds_no_compiler(engine, image):
    """_score.c is compiled in the Dockerfile's first stage; the compiler stays there."""
    script = (
        "import shutil; from spamcheck.serving import npz_model; "
        "print(npz_model._score is not None, [c for c in ('gcc', 'cc', 'clang') if shutil.which(c)])"
    )
    answer = run(engine, "run", "--rm", "--network", "none", image[0], "python", "-c", script).stdout
    assert answer.split(None, 1) == ["True", "[]\n"]


def test_image_holds_only_the_run_time_layer(engine, image):
    """Of the package, only spamcheck/serving and the shared paths module: no training, no tooling."""
    found = run(
        engine, "run", "--rm", "--network", "none", "--entrypoint", "find", image[0], "/srv/spamcheck", "-name", "*.py"
    ).stdout.split()
    shipped = sorted(path.removeprefix("/srv/") for path in found)
    expected = sorted(
        str(p.relative_to(ROOT))
        for p in [
            ROOT / "spamcheck" / "__init__.py",
            ROOT / "spamcheck" / "paths.py",
            *(ROOT / "spamcheck" / "serving").glob("*.py"),
        ]
    )
    assert shipped == expected
    assert not [p for p in shipped if "/training/" in p or "/tooling/" in p]


def test_predictions_for_ham_and_spam(container):
    query = urllib.parse.urlencode([("text", HAM), ("text", SPAM)])
    assert call(f"{container.url}/predict?{query}")[::2] == (200, b"0,1")
    assert call(container.url + "/")[2].startswith(b"Hello World!")


def test_ready_and_healthy(container):
    status, _, body = call(container.url + "/readyz")
    assert status == 200 and json.loads(body)["status"] == "ready"
    if container.engine == "podman":  # podman runs HEALTHCHECK only on request where systemd is absent
        assert run(container.engine, "healthcheck", "run", container.name, check=False).returncode == 0

    def health() -> str:
        return run(container.engine, "inspect", container.name, "--format", "{{.State.Health.Status}}").stdout.strip()

    until(lambda: health() == "healthy", seconds=60, every=1)  # docker runs it on its own timer


def test_the_service_does_not_run_as_root(container):
    uid = run(container.engine, "exec", container.name, "id", "-u").stdout.strip()
    assert uid == "10001"
    user = run(container.engine, "image", "inspect", IMAGE, "--format", "{{.Config.User}}").stdout.strip()
    assert user == "10001"


def test_works_with_a_read_only_root_filesystem(engine, image):
    locked = Container(engine, image[0], "--read-only", "--tmpfs", "/tmp", name_prefix="spamcheck-test")
    try:
        assert call(locked.url + "/predict?" + urllib.parse.urlencode({"text": SPAM}))[::2] == (200, b"1")
        # the metrics of both workers live in memory-backed /tmp: they work on a read-only root too
        status, _, metrics = call(locked.url + "/metrics")
        assert status == 200 and 'spamcheck_messages_scored_total{label="spam"} 1.0' in metrics.decode()
        write = run(engine, "exec", locked.name, "touch", "/srv/app/x", check=False)
        assert write.returncode != 0
        assert "error" not in locked.logs().lower().replace("errorlog", "")
    finally:
        locked.remove()
