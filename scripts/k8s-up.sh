#!/usr/bin/env bash
# The article's minikube path in one command (`make k8s-up`):
#   preflight -> minikube start -> build the image inside minikube's Docker -> kubectl create the
#   Pod demov1 -> wait until ready -> kubectl port-forward demov1 5000:5000 in the background.
# Then `make k8s-test` sends it the article's two messages, and `make k8s-down` removes it all.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-flaskft:develop1}
PORT=${PORT:-5000}
PIDFILE=build/port-forward.pid

fail() { echo "error: $*" >&2; exit 1; }
step() { echo "==> $*"; }

step "preflight: tools"
for tool in minikube kubectl docker; do
  command -v "$tool" >/dev/null || fail "$tool is not installed. Install it: minikube https://minikube.sigs.k8s.io/docs/start/, kubectl https://kubernetes.io/docs/tasks/tools/, docker https://docs.docker.com/get-docker/"
done
[ -f models/model_card.json ] || fail "no trained model in models/: run \`make train\` first"

step "preflight: cluster"
if ! minikube status >/dev/null 2>&1; then
  step "minikube is not running: minikube start"
  minikube start || fail "minikube start failed; see \`minikube logs\`"
fi
kubectl cluster-info --request-timeout=10s >/dev/null || fail "kubectl cannot reach the cluster; try \`minikube update-context\`"

step "build $IMAGE inside minikube's Docker (eval \$(minikube -p minikube docker-env))"
eval "$(minikube -p minikube docker-env)"
docker build -t "$IMAGE" -f docker/Dockerfile .
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

step "kubectl port-forward demov1 $PORT:5000 (in the background)"
mkdir -p build
kubectl port-forward pod/demov1 "$PORT":5000 >build/port-forward.log 2>&1 &
echo $! >"$PIDFILE"
for _ in $(seq 1 30); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || fail "no answer on http://127.0.0.1:$PORT; see build/port-forward.log"
echo "demov1 answers on http://127.0.0.1:$PORT  (next: make k8s-test; make k8s-down)"
