"""Check the Kubernetes manifests without a cluster: render, validate, and apply the rules of
the Pod Security Standard "restricted" (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from spamcheck.paths import ROOT

KUBERNETES_VERSION = "1.32.0"  # the schema the manifests are validated against (minikube's default line)
ARTICLE_POD = ROOT / "k8s" / "spamcheck.yml"
KUSTOMIZATIONS = {"production": ROOT / "k8s" / "production", "autoscaled": ROOT / "k8s" / "autoscaled"}
ALLOWED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def load(path: Path | str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(Path(path).read_text()) if doc]


def article_image() -> str:
    """The image the article's Pod runs (k8s/spamcheck.yml): what the minikube build must tag."""
    (pod,) = load(ARTICLE_POD)
    return pod["spec"]["containers"][0]["image"]


def render(directory: Path | str) -> str:
    """`kubectl kustomize DIR`: the manifests `kubectl apply -k DIR` would send (no cluster needed)."""
    done = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {directory} failed: {done.stderr.strip()}")
    return done.stdout


def validate(documents: list[dict], version: str = KUBERNETES_VERSION) -> list[str]:
    """Schema errors of each document against Kubernetes ``version`` (strict: no unknown fields)."""
    import kubernetes_validate

    problems = []
    for doc in documents:
        name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{name}: {exc.message} at {'.'.join(map(str, exc.path))}")
    return problems


def pod_spec(doc: dict) -> dict | None:
    if doc.get("kind") == "Pod":
        return doc["spec"]
    if doc.get("kind") in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        return doc["spec"]["template"]["spec"]
    return None


def restricted_violations(doc: dict) -> list[str]:
    """What in one manifest breaks the "restricted" profile (plus a read-only root filesystem)."""
    spec = pod_spec(doc)
    if spec is None:
        return []
    name = f"{doc['kind']}/{doc['metadata']['name']}"
    pod_security = spec.get("securityContext", {})
    problems = []
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            problems.append(f"{name}: {field} must not be set")
    for volume in spec.get("volumes", []):
        kind = next(k for k in volume if k != "name")
        if kind not in ALLOWED_VOLUMES:
            problems.append(f"{name}: volume {volume['name']} of type {kind} is not allowed")
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        where = f"{name} container {container['name']}"
        security = container.get("securityContext", {})

        def setting(field):
            return security.get(field, pod_security.get(field))

        if security.get("privileged"):
            problems.append(f"{where}: privileged")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation must be false")
        if setting("runAsNonRoot") is not True:
            problems.append(f"{where}: runAsNonRoot must be true")
        if setting("runAsUser") == 0:
            problems.append(f"{where}: runAsUser must not be 0")
        if (setting("seccompProfile") or {}).get("type") not in {"RuntimeDefault", "Localhost"}:
            problems.append(f"{where}: seccompProfile must be RuntimeDefault or Localhost")
        capabilities = security.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            problems.append(f"{where}: capabilities must drop ALL")
        if set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{where}: only NET_BIND_SERVICE may be added")
        if any(port.get("hostPort") for port in container.get("ports", [])):
            problems.append(f"{where}: hostPort must not be set")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem must be true")
    return problems
