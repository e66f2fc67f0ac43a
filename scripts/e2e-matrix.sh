#!/usr/bin/env bash
# The e2e tier on every Argo CD version the repo can build (the matrix; CI runs only the default,
# v3.6.2): scripts/e2e.sh once per wrapper module, each on its own cluster and state dir, then one
# line per version. Exit 1 if any version failed.
#
#   ARGO_DOCTOR_E2E_MATRIX  the wrapper modules, space-separated
#                           (default "test/e2e/argocd test/e2e/argocd-3.2": v3.6.2, v3.2.11)
# Other variables and arguments go to scripts/e2e.sh as they are.
set -uo pipefail
cd "$(dirname "$0")/.."
base="${ARGO_DOCTOR_E2E_DIR:-/tmp/argo-doctor-e2e-$$}"
results=()
rc=0
for module in ${ARGO_DOCTOR_E2E_MATRIX:-test/e2e/argocd test/e2e/argocd-3.2}; do
  echo "=== e2e matrix: $module"
  ARGO_DOCTOR_E2E_ARGOCD_MODULE="$module" ARGO_DOCTOR_E2E_DIR="$base-$(basename "$module")" scripts/e2e.sh "$@"
  code=$?
  results+=("$(printf '%-24s exit %s' "$module" "$code")")
  (( code == 0 )) || rc=1
done
echo "=== e2e matrix"
printf '%s\n' "${results[@]}"
exit "$rc"
