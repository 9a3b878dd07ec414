"""The Kubernetes manifests, proven without a cluster: schema validation, kustomize rendering, the
restricted security profile, and `podman kube play` of the real manifests with the real image."""

from __future__ import annotations

import shutil
import socket
import urllib.parse
import urllib.request

import nbformat
import pytest
import yaml

from service import EXECUTED, HAM, IMAGE, SPAM, call, run, run_k8s_up, run_notebook
from spamcheck.tooling import manifests
from spamcheck.tooling.engines import kubectl_available
from spamcheck.tooling.localserver import free_port, wait_until_up

ARTICLE_PORT = 5000  # k8s/spamcheck.yml's containerPort, published on the host by kube play


@pytest.fixture(scope="module")
def rendered(missing_tool):
    if not kubectl_available():
        missing_tool("`kubectl version --client` fails: kubectl is not installed", "requires-kubectl")
    return {
        name: [d for d in yaml.safe_load_all(manifests.render(folder)) if d]
        for name, folder in manifests.KUSTOMIZATIONS.items()
    }


def test_article_pod_is_the_articles():
    (pod,) = manifests.load(manifests.ARTICLE_POD)
    container = pod["spec"]["containers"][0]
    assert (pod["kind"], pod["metadata"]["name"]) == ("Pod", "demov1")
    assert (container["image"], container["imagePullPolicy"]) == ("flaskft:develop1", "Never")
    assert container["ports"] == [{"containerPort": 5000}]
    assert pod["spec"]["restartPolicy"] == "Never"


def test_every_manifest_validates_against_the_kubernetes_schema(rendered):
    assert manifests.validate(manifests.load(manifests.ARTICLE_POD)) == []
    for name, documents in rendered.items():
        assert manifests.validate(documents) == [], name
    assert [d["kind"] for d in rendered["autoscaled"]] == ["Service", "Deployment", "HorizontalPodAutoscaler"]


def test_the_production_deployment_runs_the_production_image(rendered):
    for documents in rendered.values():
        (deployment,) = [d for d in documents if d["kind"] == "Deployment"]
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE


def test_validation_catches_a_misspelt_field():
    (pod,) = manifests.load(manifests.ARTICLE_POD)
    pod["spec"]["containers"][0]["imagePullPolicyy"] = "Never"
    assert "imagePullPolicyy" in manifests.validate([pod])[0]


def test_production_passes_the_restricted_profile(rendered):
    for name, documents in rendered.items():
        assert [v for d in documents for v in manifests.restricted_violations(d)] == [], name


def test_the_restricted_check_finds_what_breaks_it():
    (pod,) = manifests.load(manifests.ARTICLE_POD)  # the article's: no security context at all
    found = " ".join(manifests.restricted_violations(pod))
    for rule in ("allowPrivilegeEscalation", "runAsNonRoot", "seccompProfile", "drop ALL", "readOnlyRootFilesystem"):
        assert rule in found
    pod["spec"].update(hostNetwork=True, volumes=[{"name": "root", "hostPath": {"path": "/"}}])
    found = " ".join(manifests.restricted_violations(pod))
    assert "hostNetwork" in found and "hostPath" in found


def test_production_deployment_shape(rendered):
    deployment = next(d for d in rendered["production"] if d["kind"] == "Deployment")
    spec, container = deployment["spec"], deployment["spec"]["template"]["spec"]["containers"][0]
    assert spec["replicas"] == 2 and spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= container["resources"]["requests"].keys() & container["resources"]["limits"].keys()
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "5000",
        "prometheus.io/path": "/metrics",
    }
    service = next(d for d in rendered["production"] if d["kind"] == "Service")
    assert service["spec"]["selector"] == spec["selector"]["matchLabels"]


# -- podman kube play: the real manifests with the real image, on 127.0.0.1 ---------------------


@pytest.fixture
def podman(engine, missing_tool):
    if engine != "podman":
        missing_tool(f"`kube play` is podman's; the engine here is {engine}", "requires-docker")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", ARTICLE_PORT)) == 0:
            pytest.fail(
                f"port {ARTICLE_PORT} is in use (a `make run` or container left running?): "
                "kube play publishes the manifest's containerPort there"
            )
    return engine


def kube_play(manifest, ready_path):
    """`podman kube play --network slirp4netns FILE`; wait until ``ready_path`` answers on 127.0.0.1."""
    run("podman", "kube", "play", "--network", "slirp4netns", "--replace", str(manifest), timeout=180)
    try:
        wait_until_up(f"http://127.0.0.1:{ARTICLE_PORT}{ready_path}", seconds=90)
    except Exception as exc:
        logs = run("podman", "pod", "logs", "--tail", "30", "--latest", check=False)
        raise AssertionError(f"{manifest} did not answer: {exc}\n{logs.stdout}{logs.stderr}") from exc


def predict(*texts):
    query = urllib.parse.urlencode([("text", text) for text in texts])
    status, _, body = call(f"http://127.0.0.1:{ARTICLE_PORT}/predict?{query}")
    assert status == 200, body
    return body.decode()


@pytest.mark.container
def test_kube_play_runs_the_article_pod_unmodified(podman, article_image, record_property):
    try:
        kube_play(manifests.ARTICLE_POD, "/")
        assert predict(HAM, SPAM) == "0,1"
        assert call(f"http://127.0.0.1:{ARTICLE_PORT}/readyz")[0] == 404, "the Pod runs the article's app"
        # the answers came from the Pod: its own log shows the requests
        logged = run("podman", "logs", "demov1-demov1")
        log = logged.stdout + logged.stderr
        assert f'"GET /predict?text={HAM.replace(" ", "+")}' in log, log[-2000:]  # werkzeug logs the path unquoted
        # notebook 06, "test the deployment", against the Pod, as `make k8s-test` runs it
        done = run_notebook(
            "06_test_deployment.ipynb", {"base_url": f"http://127.0.0.1:{ARTICLE_PORT}", "remove_pod": False}
        )
        assert done.returncode == 0, done.stderr[-3000:]
        executed = nbformat.read(EXECUTED / "06_test_deployment.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
        assert "0  <- " + HAM in printed and "1  <- " + SPAM in printed
        stats = run("podman", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", check=False).stdout
        record_property("kube play demov1 memory", " | ".join(line for line in stats.splitlines() if "demov1" in line))
    finally:
        run("podman", "kube", "down", str(manifests.ARTICLE_POD), check=False)
    assert run("podman", "pod", "exists", "demov1", check=False).returncode != 0, "kube down left the pod"


@pytest.mark.container
def test_kube_play_runs_the_rendered_production_deployment(podman, image, rendered, tmp_path):
    # The rendered Deployment with one change: one replica. podman makes one pod per replica and
    # publishes each one's containerPort on the same host port, so a second cannot bind (on
    # Kubernetes every Pod has its own address). The Service is left out: kube play has no use for it.
    deployment = next(d for d in rendered["production"] if d["kind"] == "Deployment")
    local = {**deployment, "spec": {**deployment["spec"], "replicas": 1}}
    manifest = tmp_path / "production-deployment.yaml"
    manifest.write_text(yaml.safe_dump(local))
    try:
        kube_play(manifest, "/readyz")
        assert predict(SPAM, HAM) == "1,0"
        containers = run(
            "podman", "ps", "--filter", "label=app.kubernetes.io/name=spamcheck", "--format", "{{.Names}}"
        ).stdout.split()
        name = next(n for n in containers if "spamcheck" in n and "infra" not in n)
        assert run("podman", "exec", name, "id", "-u").stdout.strip() == "10001"
        assert run("podman", "exec", name, "touch", "/srv/x", check=False).returncode != 0  # read-only root
        assert run("podman", "exec", name, "touch", "/tmp/x", check=False).returncode == 0  # the emptyDir
    finally:
        run("podman", "kube", "down", str(manifest), check=False)


@pytest.mark.skipif(
    shutil.which("minikube") is not None, reason="minikube is installed: not starting a cluster from a test"
)
def test_k8s_up_preflight_says_what_is_missing():
    done = run_k8s_up(free_port())
    assert done.returncode == 1
    assert "error: minikube is not installed" in done.stderr and "https://minikube.sigs.k8s.io" in done.stderr
