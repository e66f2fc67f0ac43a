#!/usr/bin/env bash
# npm run bench:yes — `--yes` against a busy, real Argo CD controller. Numbers, not a test: it never
# fails because a run failed; it prints the success rate and the re-plans each command needed.
#
# Starts its own kube-apiserver + etcd (scripts/cluster.sh) and a real Argo CD application-controller
# + repo-server (scripts/argocd.sh) with a fast periodic refresh (--app-resync 1: the controller
# writes every app's status about every second), runs scripts/bench-yes.ts, and tears both down.
#
#   ARGO_DOCTOR_E2E_ARGOCD_RESYNC   controller --app-resync seconds (default here: 1)
# Arguments go to scripts/bench-yes.ts: [--runs 50] [--only hard-refresh,unstick,...] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export ARGO_DOCTOR_E2E_DIR="${ARGO_DOCTOR_E2E_DIR:-/tmp/argo-doctor-bench-yes-$$}"
export ARGO_DOCTOR_E2E_ARGOCD_RESYNC="${ARGO_DOCTOR_E2E_ARGOCD_RESYNC:-1}"
trap 'scripts/argocd.sh down >/dev/null 2>&1 || true; scripts/cluster.sh down >/dev/null 2>&1 || true' EXIT
scripts/cluster.sh up
eval "$(scripts/cluster.sh env)"
scripts/argocd.sh up
eval "$(scripts/argocd.sh env)"
echo "bench:yes: Argo CD $ARGOCD_VERSION, --app-resync $ARGO_DOCTOR_E2E_ARGOCD_RESYNC"
node --import tsx scripts/bench-yes.ts "$@"
