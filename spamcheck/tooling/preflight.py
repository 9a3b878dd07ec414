"""The preflight at the top of notebooks 04, 05 and 10: which tools answer on this machine, and how to
install the ones that are missing. Each tool is asked with its own status command (a ``docker``
client without a running engine, or ``kubectl`` without a cluster, is not enough)."""

from __future__ import annotations

import shutil

from spamcheck.tooling.engines import _succeeds

TOOLS = ("docker", "podman", "minikube", "kubectl")
# One line per tool: where to get it on Linux, macOS and Windows (with WSL 2).
INSTALL = {
    "docker": "Docker Desktop on macOS or Windows with WSL 2 (https://docs.docker.com/desktop/), "
    "Docker Engine on Linux (https://docs.docker.com/engine/install/, then "
    "`sudo usermod -aG docker $USER` and log in again); or podman instead (next line)",
    "podman": "https://podman.io/docs/installation (Linux: `sudo apt install podman` or `sudo dnf install podman`; "
    "macOS: `brew install podman && podman machine init && podman machine start`)",
    "minikube": "https://minikube.sigs.k8s.io/docs/start/ (Linux and WSL 2: `curl -LO https://storage.googleapis.com/"
    "minikube/releases/latest/minikube-linux-amd64 && sudo install minikube-linux-amd64 "
    "/usr/local/bin/minikube`; macOS: `brew install minikube`)",
    "kubectl": "https://kubernetes.io/docs/tasks/tools/ (macOS: `brew install kubectl`; Docker Desktop ships one; "
    "or use `minikube kubectl --` in its place)",
}


def tool_state(tool: str) -> tuple[bool, str]:
    """(usable, what was found) for one of :data:`TOOLS`."""
    if shutil.which(tool) is None:
        return False, "not installed"
    if tool in ("docker", "podman"):
        if _succeeds(tool, "info"):
            return True, f"engine answers (`{tool} info`)"
        return (
            False,
            f"installed, but `{tool} info` fails: start the engine (Docker Desktop, `sudo systemctl start docker`)",
        )
    if tool == "minikube":
        if _succeeds("minikube", "status", timeout=30):
            return True, "cluster running (`minikube status`)"
        return True, "installed, cluster not running yet (the next steps run `minikube start`)"
    if not _succeeds("kubectl", "version", "--client"):
        return False, "installed, but `kubectl version --client` fails"
    if _succeeds("kubectl", "cluster-info", "--request-timeout=5s", timeout=15):
        return True, "client, and a cluster answers (`kubectl cluster-info`)"
    return True, "client only: no cluster answers yet"


def report(tools=TOOLS) -> dict[str, bool]:
    """Print one line per tool and how to install what is missing; return which are usable."""
    usable = {}
    for tool in tools:
        usable[tool], found = tool_state(tool)
        print(f"{'ok' if usable[tool] else '--'}  {tool:9s} {found}")
    engines = [t for t in ("docker", "podman") if usable.get(t)]
    missing = [t for t in tools if not usable[t] and not (t in ("docker", "podman") and engines)]
    if missing:
        print("\nMissing here, and where to get it (cells that need it print SKIPPED and the notebook goes on):")
        for tool in missing:
            print(f"  {tool}: {INSTALL[tool]}")
    return usable
