#!/usr/bin/env bash
# The e2e tier: start a real kube-apiserver + etcd (scripts/cluster.sh), run test/e2e, always tear down.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export ARGO_DOCTOR_E2E_DIR="${ARGO_DOCTOR_E2E_DIR:-/tmp/argo-doctor-e2e-$$}"
t0=$(date +%s)
trap 'scripts/cluster.sh down >/dev/null 2>&1 || true' EXIT
scripts/cluster.sh up
eval "$(scripts/cluster.sh env)"
echo "e2e: cluster ready in $(( $(date +%s) - t0 ))s"
t1=$(date +%s)
npx mocha --config .mocharc.e2e.json "$@"
echo "e2e: suite took $(( $(date +%s) - t1 ))s"
