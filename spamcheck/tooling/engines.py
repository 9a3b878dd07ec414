"""Which container engine and which cluster can be used here, found by asking them.

``shutil.which`` is not enough: a machine can have the ``docker`` client with no daemon, or
``kubectl`` with no cluster. So each probe runs the tool's own status command with a timeout.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from pathlib import Path

ENGINES = ("docker", "podman")


def _succeeds(*command: str, timeout: float = 20) -> bool:
    try:
        return (
            subprocess.run(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout, check=False
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.cache
def container_engine() -> str | None:
    """``$CONTAINER_ENGINE`` if set and working, else the first of docker, podman that answers."""
    wanted = os.environ.get("CONTAINER_ENGINE", "").strip()
    for engine in [wanted] if wanted else ENGINES:
        if _succeeds(engine, "info"):
            return engine
    return None


@functools.cache
def minikube_running() -> bool:
    return _succeeds("minikube", "status", timeout=30)


@functools.cache
def kubectl_available() -> bool:
    """The kubectl client (enough to render kustomizations; no cluster needed)."""
    return _succeeds("kubectl", "version", "--client", timeout=20)


# `docker`, answered by podman: the same arguments (Debian's podman-docker package does the same).
# podman's notices that it has no terminal and no systemd here are dropped; its errors are not.
DOCKER_AS_PODMAN = """#!/usr/bin/env bash
set -o pipefail
{ podman "$@" 2>&1 1>&3 | { grep -v -e "not a TTY" -e "systemd connection" || true; } >&2; } 3>&1
"""


def docker_for_the_article() -> str | None:
    """Make the article's `docker ...` commands run here, word for word; say how, or None if no engine.

    `docker info` answers: nothing to do. Only podman answers: a `docker` that runs podman goes first
    on this process's PATH, so notebook cells, and the shells they start, reach podman.
    """
    if _succeeds("docker", "info"):
        return "docker: the Docker engine answers"
    if not _succeeds("podman", "info"):
        return None
    folder = Path(tempfile.mkdtemp(prefix="spamcheck-docker-"))
    (folder / "docker").write_text(DOCKER_AS_PODMAN)
    (folder / "docker").chmod(0o755)
    os.environ["PATH"] = f"{folder}{os.pathsep}{os.environ['PATH']}"
    return "docker: podman answers as `docker` (a `docker` that runs podman is first on this notebook's PATH)"


def engine_available() -> bool:
    return container_engine() is not None


# Notebook cells tagged with one of these need the thing the probe looks for.
REQUIREMENT_TAGS = {
    "requires-docker": (engine_available, "no container engine answers `docker info` or `podman info`"),
    "requires-kubectl": (kubectl_available, "`kubectl version --client` fails: kubectl is not installed"),
    "requires-minikube": (minikube_running, "`minikube status` fails: no local cluster is running"),
}


def unmet_requirement(tags) -> str | None:
    """Why a cell with these tags cannot run here, or None if it can."""
    for tag in tags:
        if tag in REQUIREMENT_TAGS:
            available, reason = REQUIREMENT_TAGS[tag]
            if not available():
                return f"{tag}: {reason}"
    return None


def skipped(tag: str, what: str) -> bool:
    """For a notebook cell: if the tool behind ``tag`` is missing, print one line saying what is
    skipped and why, and return True. Asks afresh: the reader may have started minikube since."""
    for probe in (container_engine, minikube_running, kubectl_available):
        probe.cache_clear()
    reason = unmet_requirement([tag])
    if reason:
        print(f"SKIPPED {what}: {reason.split(': ', 1)[1]} (see the preflight above)")
    return reason is not None


def main() -> None:
    """``python -m spamcheck.tooling.engines``: print the engine to use (what the Makefile asks)."""
    engine = container_engine()
    if engine is None:
        raise SystemExit(
            "error: no container engine answers: `docker info` and `podman info` both fail. "
            "Install and start Docker (or podman), or set CONTAINER_ENGINE."
        )
    print(engine)


if __name__ == "__main__":
    main()
