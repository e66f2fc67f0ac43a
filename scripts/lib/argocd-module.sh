# shellcheck shell=bash
# Which Argo CD the e2e tier runs: the wrapper Go module in test/e2e/argocd
# (v3.6.2, the default: see test/e2e/argocd/README.md) or the one named by
# ARGO_DOCTOR_E2E_ARGOCD_MODULE (a directory, relative to the repo root or
# absolute: test/e2e/argocd-3.2 is v3.2.11; npm run test:e2e:matrix runs both). Its go.mod
# is the single source of truth: the require of github.com/argoproj/argo-cd/v3
# is the version, its `toolchain` line the Go toolchain (ARGOCD_TOOLCHAIN; the
# callers set GOTOOLCHAIN to it, and the go command fetches it from the module
# proxy on first use).
# Sourced by scripts/argocd.sh and scripts/cluster.sh (the CRDs come from the
# same version); needs ROOT set.
MOD_DIR="${ARGO_DOCTOR_E2E_ARGOCD_MODULE:-test/e2e/argocd}"
[[ "$MOD_DIR" == /* ]] || MOD_DIR="$ROOT/$MOD_DIR"
[[ -f "$MOD_DIR/go.mod" ]] || { echo "no go.mod in $MOD_DIR (ARGO_DOCTOR_E2E_ARGOCD_MODULE)" >&2; exit 1; }
ARGOCD_VERSION="$(awk '$1 == "github.com/argoproj/argo-cd/v3" && $2 ~ /^v/ { print $2; exit }
                       $1 == "require" && $2 == "github.com/argoproj/argo-cd/v3" { print $3; exit }' "$MOD_DIR/go.mod")"
[[ -n "$ARGOCD_VERSION" ]] || { echo "cannot read the argo-cd version from $MOD_DIR/go.mod" >&2; exit 1; }
ARGOCD_TOOLCHAIN="$(awk '$1 == "toolchain" { print $2; exit }' "$MOD_DIR/go.mod")"
# A go.mod without a toolchain line (v3.2.x) builds with the machine's Go.
