#!/usr/bin/env bash
# The e2e tier: start a real kube-apiserver + etcd (scripts/cluster.sh), run test/e2e; then start a
# real Argo CD application-controller + repo-server on it (scripts/argocd.sh) and run
# test/e2e-argocd (.mocharc.e2e-argocd.json). Always tears both down.
#
#   ARGO_DOCTOR_E2E_ARGOCD=0   skip the Argo CD tier (quick local runs; CI runs it)
#   ARGO_DOCTOR_E2E_ARGOCD_SUMMARY  where the Argo CD tier writes every command's full output and
#                              the before/after Application states (default: a file in /tmp, printed)
# Arguments are passed to the basic suite's mocha (e.g. --grep).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export ARGO_DOCTOR_E2E_DIR="${ARGO_DOCTOR_E2E_DIR:-/tmp/argo-doctor-e2e-$$}"
ARGOCD_TIER="${ARGO_DOCTOR_E2E_ARGOCD:-1}"
t0=$(date +%s)
since() { echo "$(( $(date +%s) - $1 ))s"; }
trap 'scripts/argocd.sh down >/dev/null 2>&1 || true; scripts/cluster.sh down >/dev/null 2>&1 || true' EXIT
scripts/cluster.sh up
eval "$(scripts/cluster.sh env)"
echo "e2e: cluster ready in $(since "$t0")"
t1=$(date +%s)
rc=0
LOGS="$ARGO_DOCTOR_E2E_DIR.logs"
mkdir -p "$LOGS"
# A failure's details scroll far out of sight behind the next tier: each suite's output is kept, and
# the failing tests are printed again at the very end (recap).
recap() {
  local name="$1" log="$2" code="$3"
  [[ "$code" == 0 ]] && return 0
  echo "=== e2e recap: $name exited $code (full output: $log)"
  if grep -E '^ *[0-9]+ failing' "$log" >/dev/null; then
    sed -n '/^ *[0-9]* failing/,$p' "$log" >"$log.failing"
    tail -n 60 "$log.failing"
  else
    tail -n 40 "$log"
  fi
}
basic_rc=0
argocd_rc=0
# Includes fake-vs-real.e2e.test.ts: the test API server `npm test` uses, checked side by side against this real one.
npx mocha --config .mocharc.e2e.json "$@" 2>&1 | tee "$LOGS/basic.log" || basic_rc=$?
echo "e2e: suite took $(since "$t1")"

if [[ "$ARGOCD_TIER" == 0 ]]; then
  echo "e2e: argocd tier skipped (ARGO_DOCTOR_E2E_ARGOCD=0)"
else
  t2=$(date +%s)
  # The basic suite leaves fabricated Applications behind (fake repos, fake stuck operations): the
  # real controller must not act on them, so they go first (finalizers too: nothing would honour them).
  K=(kubectl --kubeconfig "$KUBECONFIG")
  for a in $("${K[@]}" get applications.argoproj.io -n argocd -o name 2>/dev/null); do
    "${K[@]}" patch "$a" -n argocd --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null || true
  done
  "${K[@]}" delete applications.argoproj.io --all -n argocd --wait=false >/dev/null 2>&1 || true
  scripts/argocd.sh up
  eval "$(scripts/argocd.sh env)"
  echo "e2e: argocd ready in $(since "$t2") (Argo CD $ARGOCD_VERSION)"
  export ARGO_DOCTOR_E2E_ARGOCD_SUMMARY="${ARGO_DOCTOR_E2E_ARGOCD_SUMMARY:-/tmp/argo-doctor-e2e-argocd-summary-$$.md}"
  : >"$ARGO_DOCTOR_E2E_ARGOCD_SUMMARY"
  t3=$(date +%s)
  npx mocha --config .mocharc.e2e-argocd.json 2>&1 | tee "$LOGS/argocd.log" || argocd_rc=$?
  echo "e2e: argocd tier took $(since "$t3") (full outputs: $ARGO_DOCTOR_E2E_ARGOCD_SUMMARY)"
  t4=$(date +%s)
  scripts/argocd.sh down
  echo "e2e: argocd down in $(since "$t4")"
fi

t5=$(date +%s)
scripts/cluster.sh down
echo "e2e: cluster down in $(since "$t5"); total $(since "$t0")"
recap "real kube-apiserver suite" "$LOGS/basic.log" "$basic_rc"
recap "Argo CD tier" "$LOGS/argocd.log" "$argocd_rc"
echo "e2e: real kube-apiserver suite exit $basic_rc; Argo CD tier exit $argocd_rc"
(( basic_rc == 0 && argocd_rc == 0 )) || rc=1
exit "$rc"
