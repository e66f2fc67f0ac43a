#!/usr/bin/env bash
# A real Kubernetes API server (kube-apiserver + etcd, built from Go modules)
# for argo-doctor's e2e tier, built the way controller-runtime's envtest runs them.
#
#   scripts/cluster.sh build    build missing binaries into the cache
#   scripts/cluster.sh up       (build if missing) start etcd + kube-apiserver,
#                               install the Argo CD CRDs, RBAC, kubeconfig
#   scripts/cluster.sh down     stop what `up` started (by PID), remove state
#   scripts/cluster.sh env      print the env file: eval "$(scripts/cluster.sh env)"
#   scripts/cluster.sh status   say whether it is up (exit 0 up, 1 down)
#
# Environment:
#   ARGO_DOCTOR_E2E_CACHE   binary cache root (default ~/.cache/argo-doctor-e2e)
#   ARGO_DOCTOR_E2E_DIR     state dir (default /tmp/argo-doctor-e2e)
#   ARGO_DOCTOR_E2E_ARGOCD_MODULE   the Argo CD wrapper module (see scripts/argocd.sh):
#                           the CRDs come from its Argo CD version
#   GO                      go command (default: go on PATH, else /usr/local/go/bin/go)
#
# Versions: Kubernetes v1.34 is the oldest minor Argo CD 3.6 is tested with
# (v1.34-v1.37) and the closest to the kubectl v1.32 client of the machine;
# etcd as k8s.io/kubernetes v1.34's go.mod wants (v3.6.4).
# Toolchain: the binaries build with the machine's Go 1.26 as is (no
# -checklinkname=0, no GOTOOLCHAIN). Only the Argo CD CRD download uses the
# Argo CD module's toolchain (v3.6 refuses a Go older than 1.27).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Not MOD_DIR: scripts/lib/argocd-module.sh (sourced below) sets that to the Argo CD wrapper module.
CLUSTER_MOD_DIR="$ROOT/test/e2e/cluster"

if [[ -z "${GO:-}" ]]; then
  if command -v go >/dev/null 2>&1; then GO=go; else GO=/usr/local/go/bin/go; fi
fi

# Versions come from the wrapper module's go.mod (single source of truth).
modver() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$CLUSTER_MOD_DIR/go.mod"; }
K8S_VERSION="$(modver k8s.io/kubernetes)"
ETCD_VERSION="$(modver go.etcd.io/etcd/server/v3)"
[[ -n "$K8S_VERSION" && -n "$ETCD_VERSION" ]] || { echo "cluster.sh: cannot read versions from $CLUSTER_MOD_DIR/go.mod" >&2; exit 1; }
K8S_MINOR="${K8S_VERSION#v1.}"; K8S_MINOR="${K8S_MINOR%%.*}"
# shellcheck source=lib/argocd-module.sh
. "$ROOT/scripts/lib/argocd-module.sh"   # ARGOCD_VERSION, ARGOCD_TOOLCHAIN (for the CRDs)

CACHE_ROOT="${ARGO_DOCTOR_E2E_CACHE:-$HOME/.cache/argo-doctor-e2e}"
BIN_DIR="$CACHE_ROOT/$K8S_VERSION-$ETCD_VERSION"
APISERVER_BIN="$BIN_DIR/kube-apiserver"
ETCD_BIN="$BIN_DIR/etcd"
STATE="${ARGO_DOCTOR_E2E_DIR:-/tmp/argo-doctor-e2e}"
READY_TIMEOUT="${ARGO_DOCTOR_E2E_READY_TIMEOUT:-60}"

log() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
PID_DIR="$STATE"
# shellcheck source=lib/procs.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/procs.sh"

# ---------------------------------------------------------------- build
build_one() { # name pkg
  local name="$1" pkg="$2" out="$BIN_DIR/$1" t0
  if [[ -x "$out" ]]; then
    log "build $name: cached ($out)"
    return 0
  fi
  mkdir -p "$BIN_DIR"
  t0=$(now_ms)
  log "build $name: building $pkg (cold builds take several minutes)"
  local ldflags="-s -w"
  ldflags+=" -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=$K8S_MINOR"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  (cd "$CLUSTER_MOD_DIR" && CGO_ENABLED=0 "$GO" build -mod=readonly -trimpath -ldflags "$ldflags" \
      -o "$out.tmp.$$" "$pkg") || { rm -f "$out.tmp.$$"; die "build $name failed"; }
  mv -f "$out.tmp.$$" "$out"
  log "build $name: $(since "$t0")"
}

cmd_build() {
  command -v "$GO" >/dev/null 2>&1 || die "go not found (set GO=)"
  build_one etcd ./cmd/etcd
  build_one kube-apiserver ./cmd/kube-apiserver
}

# ---------------------------------------------------------------- helpers
tail_logs() {
  local f
  for f in "$STATE"/etcd.log "$STATE"/kube-apiserver.log; do
    [[ -f "$f" ]] || continue
    echo "----- last 40 lines of $f" >&2
    tail -n 40 "$f" >&2
  done
}

fail_up() { log "error: $*"; tail_logs; cmd_down_quiet; exit 1; }

cmd_down_quiet() {
  stop_pid kube-apiserver "$STATE/kube-apiserver.pid" kube-apiserver
  stop_pid etcd "$STATE/etcd.pid" etcd
}

# ---------------------------------------------------------------- up
cmd_up() {
  local t_all t0
  t_all=$(now_ms)
  for c in kubectl openssl curl; do command -v "$c" >/dev/null 2>&1 || die "$c not found"; done

  t0=$(now_ms)
  if [[ ! -x "$APISERVER_BIN" || ! -x "$ETCD_BIN" ]]; then cmd_build; fi
  log "phase build: $(since "$t0")"

  # A previous cluster in the same state dir is stopped first; the dir is recreated.
  cmd_down_quiet
  rm -rf "$STATE"
  mkdir -p "$STATE"/certs
  mkdir -m 700 "$STATE"/etcd-data
  chmod 700 "$STATE"

  # Credentials.
  local admin_token restricted_token
  admin_token="$(openssl rand -hex 24)"
  restricted_token="$(openssl rand -hex 24)"
  printf '%s,admin,admin,"system:masters"\n%s,restricted,restricted\n' \
    "$admin_token" "$restricted_token" >"$STATE/tokens.csv"
  openssl genrsa -out "$STATE/sa.key" 2048 2>/dev/null
  openssl rsa -in "$STATE/sa.key" -pubout -out "$STATE/sa.pub" 2>/dev/null

  # etcd.
  t0=$(now_ms)
  local etcd_port peer_port api_port
  etcd_port="$(free_port)"; peer_port="$(free_port)"; api_port="$(free_port)"
  start_detached etcd "$STATE/etcd.log" "$ETCD_BIN" \
    --name=e2e \
    --data-dir="$STATE/etcd-data" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" \
    --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="e2e=http://127.0.0.1:$peer_port" \
    --initial-cluster-state=new \
    --unsafe-no-fsync=true \
    --log-level=warn
  local deadline=$(( $(now) + READY_TIMEOUT )) ok="" body=""
  while (( $(now) < deadline )); do
    pid_alive "$(read_pid "$STATE/etcd.pid")" || fail_up "etcd exited"
    # Captured, not piped into grep -q: under pipefail an early-exiting reader can SIGPIPE curl.
    body="$(curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health" 2>/dev/null || true)"
    if [[ "$body" == *'"health":"true"'* ]]; then ok=1; break; fi
    sleep 0.2
  done
  [[ -n "$ok" ]] || fail_up "etcd not healthy within ${READY_TIMEOUT}s"
  log "phase etcd: $(since "$t0") (pid $(read_pid "$STATE/etcd.pid"), port $etcd_port)"

  # kube-apiserver (flags after envtest's defaults).
  t0=$(now_ms)
  start_detached kube-apiserver "$STATE/kube-apiserver.log" "$APISERVER_BIN" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$api_port" \
    --cert-dir="$STATE/certs" \
    --authorization-mode=RBAC \
    --token-auth-file="$STATE/tokens.csv" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$STATE/sa.pub" \
    --service-account-signing-key-file="$STATE/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --disable-admission-plugins=ServiceAccount \
    --allow-privileged=true \
    --endpoint-reconciler-type=none \
    --enable-garbage-collector=false

  local server="https://127.0.0.1:$api_port" ca="$STATE/certs/apiserver.crt" kc="$STATE/kubeconfig"
  deadline=$(( $(now) + READY_TIMEOUT )); ok=""
  while (( $(now) < deadline )); do
    pid_alive "$(read_pid "$STATE/kube-apiserver.pid")" || fail_up "kube-apiserver exited"
    body="$(curl -kfsS --max-time 2 -H "Authorization: Bearer $admin_token" "$server/readyz" 2>/dev/null || true)"
    if [[ "$body" == ok ]]; then ok=1; break; fi
    sleep 0.25
  done
  [[ -n "$ok" ]] || fail_up "kube-apiserver not ready within ${READY_TIMEOUT}s ($server/readyz)"
  log "phase kube-apiserver: $(since "$t0") (pid $(read_pid "$STATE/kube-apiserver.pid"), $server)"

  # kubeconfig: apiserver.crt (the self-signed serving cert for 127.0.0.1 plus
  # the CA that signed it) is the trust root; skip verification only if not.
  local K=(kubectl --kubeconfig="$kc")
  if [[ -s "$ca" ]] && curl -fsS --max-time 5 --cacert "$ca" -o /dev/null "$server/livez" 2>/dev/null; then
    "${K[@]}" config set-cluster e2e --server="$server" --certificate-authority="$ca" --embed-certs=true >/dev/null
  else
    log "warning: $ca does not verify $server; kubeconfig uses insecure-skip-tls-verify"
    "${K[@]}" config set-cluster e2e --server="$server" --insecure-skip-tls-verify=true >/dev/null
  fi
  "${K[@]}" config set-credentials admin --token="$admin_token" >/dev/null
  "${K[@]}" config set-credentials restricted --token="$restricted_token" >/dev/null
  "${K[@]}" config set-context admin --cluster=e2e --user=admin --namespace=argocd >/dev/null
  "${K[@]}" config set-context restricted --cluster=e2e --user=restricted --namespace=argocd >/dev/null
  "${K[@]}" config use-context admin >/dev/null
  chmod 600 "$kc"
  "${K[@]}" get --raw=/readyz >/dev/null || fail_up "kubeconfig does not reach $server"

  # Argo CD CRDs from the Argo CD Go module (nothing third-party committed).
  t0=$(now_ms)
  local argo_dir
  argo_dir="$(cd "$STATE" && GOWORK=off GO111MODULE=on GOTOOLCHAIN="${ARGOCD_TOOLCHAIN:-${GOTOOLCHAIN:-local}}" "$GO" mod download -json \
    "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION" | awk -F'"' '$2 == "Dir" { print $4 }')" || true
  [[ -n "$argo_dir" && -f "$argo_dir/manifests/crds/application-crd.yaml" ]] \
    || fail_up "could not get Argo CD CRDs from github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION"
  "${K[@]}" apply --server-side --field-manager=argo-doctor-e2e \
    -f "$argo_dir/manifests/crds/application-crd.yaml" \
    -f "$argo_dir/manifests/crds/appproject-crd.yaml" \
    -f "$argo_dir/manifests/crds/applicationset-crd.yaml" >/dev/null || fail_up "CRD apply failed"
  # kubectl v1.32 `wait` errors out (instead of waiting) while a fresh CRD has
  # no status.conditions yet, so retry it until the deadline.
  deadline=$(( $(now) + READY_TIMEOUT )); ok=""
  while (( $(now) < deadline )); do
    if "${K[@]}" wait --for=condition=Established --timeout=10s \
         crd/applications.argoproj.io crd/appprojects.argoproj.io crd/applicationsets.argoproj.io >/dev/null 2>"$STATE/wait.err"; then ok=1; break; fi
    sleep 0.2
  done
  [[ -n "$ok" ]] || { cat "$STATE/wait.err" >&2; fail_up "CRDs not Established"; }
  rm -f "$STATE/wait.err"
  log "phase crds: $(since "$t0") (argo-cd $ARGOCD_VERSION)"

  # Namespace, RBAC for the restricted user, default AppProject.
  t0=$(now_ms)
  "${K[@]}" apply -f - >/dev/null <<'EOF' || fail_up "namespace/RBAC apply failed"
apiVersion: v1
kind: Namespace
metadata:
  name: argocd
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: argo-doctor-readonly
  namespace: argocd
rules:
  - apiGroups: ["argoproj.io"]
    resources: ["applications"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["argoproj.io"]
    resources: ["appprojects"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: argo-doctor-readonly
  namespace: argocd
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: argo-doctor-readonly
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: restricted
EOF
  # The CRD may take a moment to be served after Established; retry briefly.
  local i
  for ((i = 0; i < 20; i++)); do
    "${K[@]}" apply -f - >/dev/null 2>"$STATE/appproject.err" <<'EOF' && break
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: default
  namespace: argocd
spec:
  sourceRepos: ["*"]
  destinations:
    - server: "*"
      namespace: "*"
  clusterResourceWhitelist:
    - group: "*"
      kind: "*"
EOF
    sleep 0.5
  done
  ((i < 20)) || { cat "$STATE/appproject.err" >&2; fail_up "default AppProject apply failed"; }
  rm -f "$STATE/appproject.err"
  ((i == 0)) || log "default AppProject applied after $i retries"
  log "phase objects: $(since "$t0")"

  cat >"$STATE/env" <<EOF
export KUBECONFIG=$kc
export E2E_APISERVER_PID=$(read_pid "$STATE/kube-apiserver.pid")
export E2E_ETCD_PID=$(read_pid "$STATE/etcd.pid")
export E2E_SERVER=$server
EOF
  log "up: $(since "$t_all") total"
  echo "$kc"
}

# ---------------------------------------------------------------- down/env/status
cmd_down() {
  cmd_down_quiet
  rm -rf "$STATE"
}

cmd_env() {
  [[ -f "$STATE/env" ]] || die "not up (no $STATE/env); run scripts/cluster.sh up"
  cat "$STATE/env"
}

cmd_status() {
  local a e
  a="$(read_pid "$STATE/kube-apiserver.pid" 2>/dev/null)"
  e="$(read_pid "$STATE/etcd.pid" 2>/dev/null)"
  if pid_alive "$a" && pid_alive "$e" && [[ -f "$STATE/kubeconfig" ]] \
     && kubectl --kubeconfig="$STATE/kubeconfig" get --raw=/readyz --request-timeout=5s >/dev/null 2>&1; then
    echo "up: kube-apiserver pid $a, etcd pid $e, KUBECONFIG=$STATE/kubeconfig"
    return 0
  fi
  echo "down${a:+ (stale kube-apiserver pid $a)}${e:+ (stale etcd pid $e)}"
  return 1
}

case "${1:-}" in
  build) cmd_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 {build|up|down|env|status}" >&2; exit 2 ;;
esac
