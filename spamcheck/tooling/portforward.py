"""`kubectl port-forward` that cannot report a false success.

Three things can make a test of "the Pod" talk to something else: the local port is already taken
(a `make run` left serving on 5000, say), so kubectl cannot listen there; kubectl exits (no
cluster, no such Pod) while the caller polls the port; or the port answers, but not from the Pod.
So :class:`PortForward` checks the port is free first and names what holds it, keeps kubectl's
output in a log, fails as soon as kubectl exits, and checks who answers: ``/readyz`` must report the
host name of an expected Pod (inside a Pod, the host name is the Pod's name), or, for the article's
app, which has no ``/readyz``, the process listening on the port must be this kubectl.

    python -m spamcheck.tooling.portforward --check-free 5000
    python -m spamcheck.tooling.portforward pod/demov1 5000:5000 --log build/port-forward.log
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import tenacity

from spamcheck.tooling.httpclient import call


class PortForwardError(RuntimeError):
    """The port-forward cannot be trusted; the message says why and what to do."""


def _can_listen(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as kubectl does: TIME_WAIT is no owner
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
            return True
        except OSError:
            return False


def _listener_pids(port: int) -> set[int]:
    """The processes listening on ``port``, as far as this system lets us see them (none: unknown)."""
    import psutil

    try:
        return {
            c.pid
            for c in psutil.net_connections(kind="inet")
            if c.pid and c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
        }
    except psutil.AccessDenied:  # macOS without root
        return set()


def _listener(port: int) -> str:
    """A description of the process listening on ``port``, as far as this system lets us see it."""
    import psutil

    pids = _listener_pids(port)
    found = []
    for pid in sorted(pids):
        try:
            process = psutil.Process(pid)
            # workers share their server's socket: name the server, the one to stop
            while (parent := process.parent()) and parent.cmdline() == process.cmdline():
                process = parent
            described = f"pid {process.pid} ({' '.join(process.cmdline())[:100] or process.name()})"
        except psutil.Error:
            described = f"pid {pid}"
        if described not in found:
            found.append(described)
    return ", ".join(found) or f"a process this user cannot see (find it with `lsof -nP -iTCP:{port} -sTCP:LISTEN`)"


def _how_to_free(holder: str, port: int) -> str:
    if any(name in holder for name in ("docker-proxy", "rootlessport", "slirp4netns", "conmon")):
        return "a container publishes it: find it with `docker ps` (or `podman ps`) and stop it (`make container-stop`)"
    if "kubectl" in holder:
        return "an earlier port-forward holds it: `make k8s-down`, or kill that kubectl"
    if "gunicorn" in holder or "flask" in holder:
        return "a local server holds it (`make run` or `make serve`?): press Ctrl-C in its terminal, or kill that pid"
    return "stop that process"


def port_holder(port: int) -> str | None:
    """None if 127.0.0.1:``port`` is free to listen on, else who holds it."""
    return None if _can_listen(port) else _listener(port)


def require_free_port(port: int) -> None:
    holder = port_holder(port)
    if holder:
        raise PortForwardError(
            f"127.0.0.1:{port} is already in use by {holder}. kubectl port-forward could not listen there, and "
            f"whatever answers on it would not be the Pod. Free it: {_how_to_free(holder, port)}; "
            f"or use another port (make k8s-up PORT=5001)."
        )


def served_by(base_url: str, timeout: float = 5) -> str:
    """The host name the service at ``base_url`` reports in /readyz (in a Pod: the Pod's name)."""
    return json.loads(call(f"{base_url}/readyz", timeout=timeout)[2])["host"]


def require_pod(base_url: str, pods) -> str:
    pods = sorted(pods)
    host = served_by(base_url)
    if host not in pods:
        raise PortForwardError(
            f"{base_url} is served by host {host!r}, not by the Pod {' or '.join(map(repr, pods))}: "
            "something other than the Pod answers on that port. Stop it and forward again."
        )
    return host


def pods_matching(selector: str) -> list[str]:
    """Names of the Pods with this label selector (the Pods behind a Service)."""
    done = subprocess.run(
        ["kubectl", "get", "pods", "-l", selector, "-o", "jsonpath={.items[*].metadata.name}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        raise PortForwardError(f"kubectl get pods -l {selector} failed: {done.stderr.strip()}")
    return done.stdout.split()


class PortForward:
    """``kubectl port-forward TARGET PORT:REMOTE`` in the background, trusted only once checked.

    With ``expect_pods``, ``/readyz`` must name one of them (the production service reports its
    host). Without, for the article's app, which has no ``/readyz``: ``/`` must answer, and the
    process listening on the port must be this kubectl.
    """

    def __init__(self, target: str, port: int, remote_port: int, expect_pods, log_path: Path | str):
        self.target, self.port, self.remote_port = target, port, remote_port
        self.expect_pods, self.log_path = list(expect_pods), Path(log_path)
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _failed(self, why: str) -> PortForwardError:
        self.stop()
        return PortForwardError(
            f"kubectl port-forward {self.target} {self.port}:{self.remote_port} {why}. "
            f"Its output ({self.log_path}):\n{self.output().strip() or '(none)'}"
        )

    def _proof(self) -> str:
        """Why the answers come from the target (raises PortForwardError, or URLError while it starts)."""
        if self.expect_pods:
            return f"/readyz answered from Pod {require_pod(self.url, self.expect_pods)}"
        status, _, _ = call(f"{self.url}/", timeout=5)
        if status >= 400:
            raise ValueError(f"{self.url}/ answered {status}")  # not the app's hello yet: ask again
        listeners = _listener_pids(self.port)
        if listeners and self.process.pid not in listeners:
            raise PortForwardError(f"127.0.0.1:{self.port} is held by {_listener(self.port)}, not by this port-forward")
        return f"the listener on 127.0.0.1:{self.port} is this kubectl (pid {self.process.pid})"

    def start(self, seconds: float = 60) -> PortForward:
        require_free_port(self.port)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:  # a new session: it outlives a script that starts it
            self.process = subprocess.Popen(
                ["kubectl", "port-forward", self.target, f"{self.port}:{self.remote_port}"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_delay(seconds),
            wait=tenacity.wait_fixed(0.3),
            retry=tenacity.retry_if_result(lambda proof: proof is None),
        )
        try:
            proof = retrying(self._ready)
        except tenacity.RetryError:
            raise self._failed(
                f"did not answer from {' or '.join(self.expect_pods) or self.target} within {seconds:.0f} s"
            ) from None
        print(f"{self.url} forwards to {self.target}; {proof}")
        return self

    def _ready(self) -> str | None:
        """None while kubectl starts or the target does not answer yet; then why the answers come
        from the target. Raises when kubectl exits, or when something else answers."""
        if self.process.poll() is not None:
            raise self._failed(f"exited with status {self.process.returncode}")
        if "Forwarding from" not in self.output():
            return None
        try:
            return self._proof()
        except PortForwardError as exc:
            raise self._failed(f"forwards, but {exc}") from None
        except (httpx.TransportError, ValueError, KeyError):  # forwarding, but the Pod is not answering yet
            return None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check-free", type=int, metavar="PORT", help="only check that PORT is free")
    parser.add_argument("target", nargs="?", help="pod/NAME or service/NAME")
    parser.add_argument("ports", nargs="?", help="LOCAL:REMOTE, e.g. 5000:5000")
    parser.add_argument(
        "--expect",
        action="append",
        default=[],
        help="a Pod whose /readyz may answer (repeatable); none: the article's app",
    )
    parser.add_argument("--expect-selector", help="the Pods with this label selector may answer")
    parser.add_argument("--log", default="build/port-forward.log")
    parser.add_argument("--pidfile", default="build/port-forward.pid", help="kubectl keeps running; its pid goes here")
    args = parser.parse_args(argv)
    try:
        if args.check_free is not None:
            require_free_port(args.check_free)
            return 0
        if not (args.target and args.ports):
            parser.error("give TARGET and LOCAL:REMOTE, or --check-free PORT")
        local, _, remote = args.ports.partition(":")
        pods = args.expect + (pods_matching(args.expect_selector) if args.expect_selector else [])
        forward = PortForward(args.target, int(local), int(remote or local), pods, args.log).start()
    except PortForwardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    Path(args.pidfile).write_text(f"{forward.process.pid}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
