"""The Kubernetes path cannot report a false success: a taken port, a port-forward that exits, and
an answer from something other than the Pod are each a clear error.

The trap these reproduce: `make run` still serves on the port, kubectl cannot listen there, and
every check would otherwise get its answers from the local gunicorn instead of the Pod.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from service import run_k8s_up
from spamcheck.tooling import portforward
from spamcheck.tooling.engines import kubectl_available
from spamcheck.tooling.localserver import free_port, wait_until_up


def test_a_free_port_is_free():
    assert portforward.port_holder(free_port()) is None


def test_k8s_up_stops_when_the_port_is_taken_and_names_the_holder(small_gunicorn):
    done = run_k8s_up(small_gunicorn.port)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"127.0.0.1:{small_gunicorn.port} is already in use by pid {small_gunicorn.process.pid}" in done.stderr
    assert "gunicorn" in done.stderr and "Ctrl-C" in done.stderr and "PORT=5001" in done.stderr
    assert "minikube" not in done.stdout  # it stopped before starting anything


def test_port_forward_refuses_a_taken_port(small_gunicorn, tmp_path):
    forward = portforward.PortForward("demov1", small_gunicorn.port, 5000, ["demov1"], tmp_path / "pf.log")
    with pytest.raises(portforward.PortForwardError, match="already in use by pid .*gunicorn"):
        forward.start()
    assert forward.process is None  # kubectl was never started


def test_an_answer_from_the_local_server_is_not_the_pod(small_gunicorn):
    with pytest.raises(portforward.PortForwardError, match=r"served by host .*, not by the Pod 'demov1'"):
        portforward.require_pod(small_gunicorn.url, ["demov1"])


def test_without_readyz_the_listener_must_be_this_port_forward(small_gunicorn, tmp_path):
    """The article's app has no /readyz: the process that listens on the port must be this kubectl."""
    forward = portforward.PortForward("demov1", small_gunicorn.port, 5000, [], tmp_path / "pf.log")
    forward.process = subprocess.Popen(["sleep", "30"])  # stands in for kubectl: alive, but not the listener
    try:
        with pytest.raises(
            portforward.PortForwardError, match=r"held by pid \d+ .*gunicorn.*, not by this port-forward"
        ):
            forward._proof()
    finally:
        forward.process.kill()
        forward.process.wait()


def test_without_readyz_an_answer_from_this_port_forward_is_proof(tmp_path):
    port = free_port()
    listener = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=tmp_path)
    forward = portforward.PortForward("demov1", port, 5000, [], tmp_path / "pf.log")
    forward.process = listener  # stands in for kubectl: it is the listener
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        assert forward._proof() == f"the listener on 127.0.0.1:{port} is this kubectl (pid {listener.pid})"
    finally:
        listener.kill()
        listener.wait()


def test_a_port_forward_that_exits_is_an_error_with_its_output(tmp_path, missing_tool, monkeypatch):
    """The real kubectl, with a kubeconfig that names no cluster: it exits, and we say so."""
    if not kubectl_available():
        missing_tool("`kubectl version --client` fails: kubectl is not installed", "requires-kubectl")
    empty = tmp_path / "kubeconfig"
    empty.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    monkeypatch.setenv("KUBECONFIG", str(empty))
    forward = portforward.PortForward("demov1", free_port(), 5000, ["demov1"], tmp_path / "pf.log")
    with pytest.raises(portforward.PortForwardError, match=r"exited with status 1\. Its output .*\n.*\S"):
        forward.start(seconds=60)
    assert forward.process.poll() is not None
