#!/usr/bin/env bash
# Put the Argo CD CRDs in the Go module cache (nothing third-party is committed): the test API server
# validates Applications against the same schema the e2e tier installs into a real kube-apiserver.
set -euo pipefail
export PATH="/usr/local/go/bin:$PATH"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/argocd-module.sh
. "$ROOT/scripts/lib/argocd-module.sh"   # the e2e tier's Argo CD version and its Go toolchain
version="$ARGOCD_VERSION"
if [[ -n "$ARGOCD_TOOLCHAIN" ]]; then export GOTOOLCHAIN="$ARGOCD_TOOLCHAIN"; fi
if ! command -v go >/dev/null 2>&1; then
  echo "fetch-crds: go not found; the test API server falls back to generic validation" >&2
  exit 0
fi
dir=$(go mod download -json "github.com/argoproj/argo-cd/v3@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
echo "fetch-crds: $dir/manifests/crds" >&2
