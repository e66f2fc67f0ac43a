#!/usr/bin/env bash
# npm run test:install — install the release artifacts the way users do, with the real tools, and run them.
#
#  1. krew, built from its Go module, installs the linux-x64 archive from release/argo-doctor.yaml into a
#     temporary KREW_ROOT; `kubectl argo-doctor --help` and `kubectl argo-doctor explain -f …` then run
#     with a PATH that has kubectl and krew's bin only: no node.
#  2. The npm tarball is installed into a temporary prefix; all three entry points run from an
#     unrelated directory (and kubectl finds kubectl-argo_doctor there).
#  3. The real argocd CLI (Argo CD's own plugin dispatch, built by scripts/argocd.sh from the Go module
#     the e2e tier uses) runs `argocd doctor …` with the single executable as argocd-doctor on PATH:
#     exit codes, and what argocd adds to stdout when a plugin exits non-zero.
#
# Needs release/ (npm run release; built first if missing), go, kubectl. ARGO_DOCTOR_INSTALL_ARGOCD=0
# skips step 3 (it builds Argo CD once: minutes; cached by scripts/argocd.sh); ARGO_DOCTOR_INSTALL_CLUSTER=0
# skips its last part, `argocd doctor unstick --dry-run` against a real kube-apiserver (scripts/cluster.sh).
# Every output is captured and checked; nothing is piped into a reader that may exit early.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export PATH="/usr/local/go/bin:$PATH"
KREW_VERSION=v0.4.3 # newest sigs.k8s.io/krew on the Go module proxy
VERSION="$(node -p 'require("./package.json").version')"
EXAMPLE="$ROOT/examples/wealist-prod.yaml"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/argo-doctor-install-XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
failures=0
ok() { echo "  ok: $*"; }
bad() { echo "  FAIL: $*"; failures=$((failures + 1)); }
# expect_rc WANT GOT WHAT
expect_rc() { if [[ "$2" == "$1" ]]; then ok "$3 (exit $2)"; else bad "$3: exit $2, expected $1"; fi; }
# expect_in NEEDLE HAYSTACK WHAT
expect_in() { if [[ "$2" == *"$1"* ]]; then ok "$3"; else bad "$3: output lacks '$1'"; echo "$2" | sed -n '1,15p'; fi; }
first_line() { printf '%s\n' "${1%%$'\n'*}"; }

[[ -f release/argo-doctor.yaml ]] || npm run release
ARCHIVE="release/argo-doctor_${VERSION}_linux_amd64.tar.gz"
TARBALL="release/argo-doctor-${VERSION}.tgz"
for f in "$ARCHIVE" "$TARBALL" release/argo-doctor.yaml; do [[ -f "$f" ]] || { echo "install-check: $f missing" >&2; exit 1; }; done

# A bin directory with kubectl and nothing else (kubectl may be a symlink into an SDK: resolve it).
NONODE="$TMP/no-node-bin"
mkdir -p "$NONODE"
ln -s "$(readlink -f "$(command -v kubectl)")" "$NONODE/kubectl"
if PATH="$NONODE" command -v node >/dev/null 2>&1; then echo "install-check: node is still on the test PATH" >&2; exit 1; fi

echo "== krew $KREW_VERSION from its Go module"
t0=$(date +%s)
GOBIN="$TMP/gobin" GOFLAGS=-mod=mod go install "sigs.k8s.io/krew/cmd/krew@$KREW_VERSION"
cp "$TMP/gobin/krew" "$NONODE/kubectl-krew"
echo "  built in $(( $(date +%s) - t0 ))s"

echo "== kubectl krew install --manifest=release/argo-doctor.yaml --archive=$ARCHIVE"
export KREW_ROOT="$TMP/krew"
KPATH="$KREW_ROOT/bin:$NONODE"
rc=0
out="$(env PATH="$KPATH" kubectl krew install --manifest="$ROOT/release/argo-doctor.yaml" --archive="$ROOT/$ARCHIVE" 2>&1)" || rc=$?
echo "$out"
expect_rc 0 "$rc" "krew install"
[[ -L "$KREW_ROOT/bin/kubectl-argo_doctor" ]] && ok "krew linked $(readlink "$KREW_ROOT/bin/kubectl-argo_doctor")" || bad "no kubectl-argo_doctor in $KREW_ROOT/bin"
[[ -f "$KREW_ROOT/receipts/argo-doctor.yaml" ]] && ok "krew wrote its receipt (receipts/argo-doctor.yaml)" || bad "no krew receipt"


# The executable runs from memory: a first run writes nothing, not even a cache (HOME, XDG dirs and
# TMPDIR point at empty directories that must stay empty).
SEAHOME="$TMP/sea-home"
mkdir -p "$SEAHOME/tmp"
SEAENV=(HOME="$SEAHOME" XDG_CACHE_HOME="$SEAHOME/cache" XDG_CONFIG_HOME="$SEAHOME/config" XDG_DATA_HOME="$SEAHOME/data" TMPDIR="$SEAHOME/tmp")
cd "$TMP"
rc=0; out="$(env "${SEAENV[@]}" PATH="$KPATH" kubectl argo-doctor --help 2>&1)" || rc=$?
expect_rc 0 "$rc" "kubectl argo-doctor --help"
expect_in '$ kubectl argo-doctor [COMMAND]' "$out" "help reads as a kubectl plugin"
rc=0; out="$(env "${SEAENV[@]}" PATH="$KPATH" kubectl argo-doctor explain -f "$EXAMPLE" 2>&1)" || rc=$?
expect_rc 20 "$rc" "kubectl argo-doctor explain -f examples/wealist-prod.yaml (20: findings)"
expect_in 'argocd/wealist-apps-prod' "$out" "explain printed the fleet table"
first_line "$out"
rc=0; out="$(env "${SEAENV[@]}" PATH="$KPATH" kubectl argo-doctor explain -f "$EXAMPLE" -o json 2>/dev/null)" || rc=$?
expect_rc 20 "$rc" "kubectl argo-doctor explain -f … -o json"
if node -e 'JSON.parse(require("fs").readFileSync(0, "utf8"))' <<<"$out"; then ok "stdout is one JSON document"; else bad "stdout is not JSON"; fi
# Completion reads the command manifest, which the executable holds inside (no file on disk).
rc=0; out="$(env "${SEAENV[@]}" PATH="$KPATH" kubectl-argo_doctor __complete explain --out 2>&1)" || rc=$?
expect_in '--output' "$out" "completion from inside the executable (kubectl-argo_doctor __complete explain --out)"
# oclif's full path under NODE_ENV=development: oclif would look for the TypeScript sources of the commands and
# load the compiler for it; the executable holds neither (scripts/release.mjs) and must not ask for them.
rc=0; out="$(env "${SEAENV[@]}" NODE_ENV=development PATH="$KPATH" kubectl argo-doctor help explain --nope 2>&1)" || rc=$?
expect_rc 2 "$rc" "NODE_ENV=development kubectl argo-doctor help explain --nope (2: bad flag)"
expect_in 'Nonexistent flag: --nope' "$out" "oclif's own answer, from inside the executable"
[[ "$out" != *[Tt]ype[Ss]cript* ]] && ok "no word of TypeScript under NODE_ENV=development" || bad "the executable looked for TypeScript: $(first_line "$out")"
written="$(find "$SEAHOME" -mindepth 1 ! -path "$SEAHOME/tmp")$(find "$SEAHOME/tmp" -mindepth 1)"
[[ -z "$written" ]] && ok "nothing unpacked or cached: HOME, XDG dirs and TMPDIR still empty" || { bad "the executable wrote files:"; echo "$written" | sed -n '1,10p'; }
cd "$ROOT"

# linux-arm64 too, when this machine can emulate it (Debian: qemu-user-static, libc6-arm64-cross,
# libstdc++6-arm64-cross); CI does not install them, so there it is built and checksummed only.
ARM="release/argo-doctor_${VERSION}_linux_arm64.tar.gz"
if command -v qemu-aarch64-static >/dev/null 2>&1 && [[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 && -f "$ARM" ]]; then
  echo "== linux-arm64 executable under qemu-aarch64-static"
  mkdir -p "$TMP/arm64"
  tar xzf "$ARM" -C "$TMP/arm64" argo-doctor
  ln -s argo-doctor "$TMP/arm64/kubectl-argo_doctor"
  rc=0; out="$(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$TMP/arm64/kubectl-argo_doctor" --version 2>&1)" || rc=$?
  expect_in "argo-doctor/$VERSION linux-arm64" "$out" "arm64 --version"
  rc=0; out="$(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$TMP/arm64/kubectl-argo_doctor" explain -f "$EXAMPLE" 2>&1)" || rc=$?
  expect_rc 20 "$rc" "arm64 kubectl-argo_doctor explain -f …"
else
  echo "== linux-arm64: no qemu-aarch64-static + arm64 libc here: built, not run"
fi

echo "== npm tarball into a temporary prefix: $TARBALL"
PREFIX="$TMP/npm-prefix"
rc=0; out="$(npm install --global --prefix "$PREFIX" --prefer-offline --no-audit --no-fund "$ROOT/$TARBALL" 2>&1)" || rc=$?
echo "$out"
expect_rc 0 "$rc" "npm install --global --prefix … $TARBALL"
[[ ! -e "$PREFIX/lib/node_modules/argo-doctor/node_modules/@kubernetes" ]] && ok "no node_modules/@kubernetes (client-node is bundled)" || bad "client-node was installed as a dependency"
mkdir -p "$TMP/elsewhere"
cd "$TMP/elsewhere"
rc=0; out="$("$PREFIX/bin/argo-doctor" --version 2>&1)" || rc=$?
expect_rc 0 "$rc" "argo-doctor --version"
expect_in "argo-doctor/$VERSION" "$out" "version $VERSION"
rc=0; out="$("$PREFIX/bin/argo-doctor" explain -f "$EXAMPLE" 2>&1)" || rc=$?
expect_rc 20 "$rc" "argo-doctor explain -f …"
rc=0; out="$("$PREFIX/bin/kubectl-argo_doctor" explain --help 2>&1)" || rc=$?
expect_in '$ kubectl argo-doctor explain' "$out" "kubectl-argo_doctor explain --help"
rc=0; out="$("$PREFIX/bin/argocd-doctor" unstick --help 2>&1)" || rc=$?
expect_in '$ argocd doctor unstick' "$out" "argocd-doctor unstick --help"
rc=0; out="$("$PREFIX/bin/argocd-doctor" explain -f "$EXAMPLE" -o yaml 2>&1)" || rc=$?
expect_rc 20 "$rc" "argocd-doctor explain -f … -o yaml"
rc=0; out="$(env PATH="$PREFIX/bin:$PATH" kubectl argo-doctor explain -f "$EXAMPLE" --no-details 2>&1)" || rc=$?
expect_rc 20 "$rc" "kubectl argo-doctor (npm-installed) explain -f …"
cd "$ROOT"

if [[ "${ARGO_DOCTOR_INSTALL_ARGOCD:-1}" != 0 ]]; then
  echo "== the real argocd CLI (Argo CD plugin dispatch)"
  scripts/argocd.sh build
  ARGOCD_BIN="$(scripts/argocd.sh bin)"
  APATH="$TMP/argocd-bin"
  mkdir -p "$APATH"
  ln -s "$ARGOCD_BIN" "$APATH/argocd"
  tar xzf "$ARCHIVE" -C "$APATH" argo-doctor
  mv "$APATH/argo-doctor" "$APATH/argocd-doctor" # argocd runs argocd-<name> from PATH
  APATH="$APATH:$NONODE"
  mkdir -p "$TMP/home" # HOME for argocd only: no argocd config of the user's
  rc=0; out="$(env HOME="$TMP/home" PATH="$APATH" argocd version --client --short 2>&1)" || rc=$?
  echo "  $(first_line "$out")"
  rc=0; out="$(env HOME="$TMP/home" PATH="$APATH" argocd doctor --help 2>&1)" || rc=$?
  expect_rc 0 "$rc" "argocd doctor --help"
  expect_in '$ argocd doctor [COMMAND]' "$out" "help reads as an argocd plugin"
  rc=0; out="$(env HOME="$TMP/home" PATH="$APATH" argocd doctor explain -f "$EXAMPLE" 2>/dev/null)" || rc=$?
  expect_rc 20 "$rc" "argocd doctor explain -f … passes the plugin's exit code through"
  expect_in 'argocd/wealist-apps-prod' "$out" "explain output comes through"
  # argocd (>= 3.1) prints "Error: exit status N" on ITS stdout after a plugin exits non-zero: the
  # JSON document is then followed by that line. Scripts must call argo-doctor itself (README).
  rc=0; out="$(env HOME="$TMP/home" PATH="$APATH" argocd doctor explain -f "$EXAMPLE" --json 2>/dev/null)" || rc=$?
  expect_rc 20 "$rc" "argocd doctor explain -f … --json"
  last="${out##*$'\n'}"
  echo "  last line of stdout: $last"
  if [[ "$last" == "Error: exit status 20" ]]; then ok "argocd appended 'Error: exit status 20' to stdout (documented in README)"; else bad "argocd's stdout trailer changed: '$last' (update README)"; fi
  rc=0; out="$(env HOME="$TMP/home" PATH="$APATH" argocd doctor --version 2>&1)" || rc=$?
  expect_rc 0 "$rc" "argocd doctor --version (exit 0: nothing appended)"
  expect_in "argo-doctor/$VERSION" "$out" "version through argocd"

  if [[ "${ARGO_DOCTOR_INSTALL_CLUSTER:-1}" != 0 ]]; then
    echo "== argocd doctor unstick --dry-run against a real kube-apiserver (scripts/cluster.sh)"
    export ARGO_DOCTOR_E2E_DIR="$TMP/cluster"
    trap 'scripts/cluster.sh down >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
    scripts/cluster.sh up
    KC="$ARGO_DOCTOR_E2E_DIR/kubeconfig"
    ago() { node -p "new Date(Date.now() - $1 * 60000).toISOString().replace(/\\.\\d+Z$/, 'Z')"; }
    app='{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "stuck", "namespace": "argocd"},
      "spec": {"project": "default", "source": {"repoURL": "https://github.com/wealist/wealist-infra.git", "targetRevision": "main", "path": "k8s/apps"},
               "destination": {"server": "https://kubernetes.default.svc", "namespace": "argocd"}}}'
    kubectl --kubeconfig "$KC" create -f - <<<"$app" >/dev/null
    state="{\"operation\": {\"sync\": {\"revision\": \"abc\"}, \"initiatedBy\": {\"username\": \"alice\"}}, \"status\": {\"reconciledAt\": \"$(ago 1)\", \"operationState\": {\"phase\": \"Running\", \"message\": \"waiting for healthy state of argoproj.io/Application/stuck\", \"startedAt\": \"$(ago 180)\", \"operation\": {\"sync\": {\"revision\": \"abc\"}}}}}"
    kubectl --kubeconfig "$KC" patch applications.argoproj.io stuck -n argocd --type merge -p "$state" >/dev/null
    rv_before="$(kubectl --kubeconfig "$KC" get applications.argoproj.io stuck -n argocd -o jsonpath='{.metadata.resourceVersion}')"
    # One pinned clock for both runs, so ages in the output cannot differ by a second.
    export ARGO_DOCTOR_NOW="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    rc=0; direct="$(env HOME="$TMP/home" PATH="$APATH" argocd-doctor unstick stuck -n argocd --kubeconfig "$KC" --dry-run --json 2>"$TMP/direct.err")" || rc=$?
    rc2=0; through="$(env HOME="$TMP/home" PATH="$APATH" argocd doctor unstick stuck -n argocd --kubeconfig "$KC" --dry-run --json 2>/dev/null)" || rc2=$?
    echo "  argocd-doctor (direct): exit $rc; argocd doctor: exit $rc2"
    # Node 24 warns when bundled code calls url.parse() or loads punycode (scripts/lib/client-node-esbuild.mjs).
    err="$(cat "$TMP/direct.err")"
    [[ "$err" != *Warning* ]] && ok "no runtime warning on stderr of a live command" || { bad "stderr has a warning"; printf '%s\n' "$err" | sed -n '1,5p'; }
    expect_rc "$rc" "$rc2" "argocd doctor unstick --dry-run exits like argo-doctor itself"
    if ((rc == 0)); then
      if [[ "$through" == "$direct" ]]; then ok "same stdout through argocd (exit 0: one JSON document)"; else
        bad "stdout differs through argocd"
        d="$(diff <(printf '%s\n' "$direct") <(printf '%s\n' "$through") || true)"
        printf '%s\n' "$d" | sed -n '1,20p'
      fi
    else
      [[ "$through" == "$direct"$'\n'"Error: exit status $rc" ]] && ok "same stdout plus argocd's 'Error: exit status $rc'" || bad "stdout through argocd is not the plugin's plus the trailer"
    fi
    if node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); process.exit(JSON.stringify(d).includes("/operation") ? 0 : 1)' <<<"$direct"; then ok "the dry-run plan removes /operation"; else bad "no /operation in the plan"; fi
    rv_after="$(kubectl --kubeconfig "$KC" get applications.argoproj.io stuck -n argocd -o jsonpath='{.metadata.resourceVersion}')"
    [[ "$rv_before" == "$rv_after" ]] && ok "--dry-run changed nothing (resourceVersion $rv_after)" || bad "resourceVersion moved: $rv_before -> $rv_after"

    echo "== the single executable's parts loaded on first use (asset scripts of their own), same kube-apiserver"
    # The confirmation prompt (prompts.cjs), on a terminal made by script(1), answered "n" once it is
    # asked (not before: typed-ahead input is not an answer); nothing changes. CI is unset for this
    # one: under CI=true argo-doctor never prompts (exit 11), as documented.
    if command -v script >/dev/null 2>&1; then
      mkfifo "$TMP/prompt-in"
      env -u CI HOME="$TMP/home" PATH="$APATH" "$(command -v script)" -qec "argocd-doctor unstick stuck -n argocd --kubeconfig '$KC'" /dev/null <"$TMP/prompt-in" >"$TMP/prompt-out" 2>&1 &
      prompt_pid=$!
      exec 7>"$TMP/prompt-in"
      for _ in $(seq 1 600); do grep -q 'Apply this change to argocd/stuck?' "$TMP/prompt-out" && break; kill -0 "$prompt_pid" 2>/dev/null || break; sleep 0.1; done
      trap '' PIPE # if it is gone already, the answer fails to write instead of ending this script
      printf 'n\r' >&7 || true
      trap - PIPE
      rc=0; wait "$prompt_pid" || rc=$?
      exec 7>&-
      out="$(cat "$TMP/prompt-out")"
      expect_rc 12 "$rc" "argocd-doctor unstick on a terminal, answered no"
      expect_in "Apply this change to argocd/stuck?" "$out" "the confirmation prompt was asked"
      expect_in "Not applied: nothing was changed." "$out" "declined: not applied"
    else
      echo "  script(1) is not installed: the prompt is not run"
    fi
    # The whole client-node (client-node.cjs): every applied change records an Event.
    rc=0; out="$(env HOME="$TMP/home" PATH="$APATH" argocd-doctor unstick stuck -n argocd --kubeconfig "$KC" --yes --no-wait 2>&1)" || rc=$?
    expect_rc 0 "$rc" "argocd-doctor unstick --yes --no-wait"
    events="$(kubectl --kubeconfig "$KC" get events -n argocd --field-selector involvedObject.name=stuck -o jsonpath='{.items[*].reason}')"
    expect_in "ArgoDoctorUnstick" "$events" "the Event of the change was recorded"
    # The MCP server (mcp.cjs): initialize and tools/list on its standard input, which then ends.
    printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"install-check","version":"1"}}}' \
      '{"jsonrpc":"2.0","method":"notifications/initialized"}' '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' >"$TMP/mcp-in.jsonl"
    rc=0; out="$(env HOME="$TMP/home" PATH="$APATH" "$(command -v timeout)" 60 argocd-doctor mcp -n argocd --kubeconfig "$KC" <"$TMP/mcp-in.jsonl" 2>&1)" || rc=$?
    expect_rc 0 "$rc" "argocd-doctor mcp, its input ended after tools/list"
    expect_in '"name":"explain"' "$out" "the MCP server lists its tools"
    unset ARGO_DOCTOR_NOW
    scripts/cluster.sh down >/dev/null
  fi
fi

echo
if ((failures)); then echo "install-check: $failures check(s) failed"; exit 1; fi
echo "install-check: all installs work"
