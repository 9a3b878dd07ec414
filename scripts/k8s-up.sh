#!/usr/bin/env bash
# The article's minikube path in one command (`make k8s-up`):
#   preflight -> minikube start -> build the article's image (app/article/) inside minikube's Docker
#   -> kubectl create the Pod demov1 -> wait until ready -> kubectl port-forward demov1 5000:5000 in
#   the background, checked: the port must be free first, and the listener on it must be kubectl.
# Then `make k8s-test` sends it our two test strings, and `make k8s-down` removes it all.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-5000}
PYTHON=${PYTHON:-python}  # make puts .venv/bin first on PATH

fail() { echo "error: $*" >&2; exit 1; }
step() { echo "==> $*"; }

# First, so that nothing is started when the port-forward could not work anyway.
step "preflight: 127.0.0.1:$PORT is free for the port-forward"
"$PYTHON" -m spamcheck.tooling.portforward --check-free "$PORT" || exit 1

step "preflight: tools"
for tool in minikube kubectl docker; do
  command -v "$tool" >/dev/null || fail "$tool is not installed. Install it: minikube https://minikube.sigs.k8s.io/docs/start/, kubectl https://kubernetes.io/docs/tasks/tools/, docker https://docs.docker.com/get-docker/"
done
[ -f app/article/model.pkl ] || fail "no trained model in app/article/: run \`make train\` first"
# The tag the Pod asks for (imagePullPolicy: Never): build exactly that one.
IMAGE=$("$PYTHON" -c 'from spamcheck.tooling import manifests; print(manifests.article_image())')

step "preflight: cluster"
if ! minikube status >/dev/null 2>&1; then
  step "minikube is not running: minikube start"
  minikube start || fail "minikube start failed; see \`minikube logs\`"
fi
kubectl cluster-info --request-timeout=10s >/dev/null || fail "kubectl cannot reach the cluster; try \`minikube update-context\`"

step "build $IMAGE inside minikube's Docker (eval \$(minikube -p minikube docker-env))"
eval "$(minikube -p minikube docker-env)"
(cd app/article && docker build -t "$IMAGE" .)
docker image inspect "$IMAGE" >/dev/null || fail "$IMAGE is not in minikube's Docker after the build"

step "kubectl create -f k8s/spamcheck.yml"
if kubectl get pod demov1 >/dev/null 2>&1; then
  echo "pod demov1 exists already: replacing it"
  kubectl delete pod demov1 --wait=true
fi
kubectl create -f k8s/spamcheck.yml
kubectl get pods
kubectl wait --for=condition=Ready pod/demov1 --timeout=180s \
  || { kubectl describe pod demov1 | tail -20; fail "pod demov1 did not become ready"; }

step "kubectl port-forward demov1 $PORT:5000 (in the background; output in build/port-forward.log)"
mkdir -p build
"$PYTHON" -m spamcheck.tooling.portforward demov1 "$PORT:5000" \
  --log build/port-forward.log --pidfile build/port-forward.pid || exit 1
echo "demov1 answers on http://127.0.0.1:$PORT  (next: make k8s-test; make k8s-down)"
