#!/usr/bin/env bash
# Undo `make k8s-up` (and the production variant, if applied): stop the port-forward, delete
# the Pod, the Deployment and the Service. `minikube stop` is left to you.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
PIDFILE=build/port-forward.pid

if [ -f "$PIDFILE" ]; then
  kill "$(cat "$PIDFILE")" 2>/dev/null && echo "stopped kubectl port-forward"
  rm -f "$PIDFILE"
fi
command -v kubectl >/dev/null || { echo "kubectl is not installed: nothing else to remove"; exit 0; }
kubectl delete -f k8s/spamcheck.yml --ignore-not-found
kubectl delete -k k8s/autoscaled --ignore-not-found 2>/dev/null || kubectl delete -k k8s/production --ignore-not-found
echo "removed; the image stays in minikube's Docker, and minikube keeps running (minikube stop)"
