#!/usr/bin/env bash
# A real Argo CD application-controller + repo-server + argocd-server (built
# from the Argo CD Go module, see test/e2e/argocd/) running against the e2e
# kube-apiserver of scripts/cluster.sh, with redis and a local git repo: the
# seed incidents reproduced for real.
#
#   scripts/argocd.sh build            build the binary into the cache (phase timings)
#   scripts/argocd.sh up               (build if missing) create argocd-cm/-secret/
#                                      -cmd-params-cm, a local git repo, start redis,
#                                      repo-server, application-controller and (when
#                                      the binary has it) argocd-server; wait ready
#   scripts/argocd.sh down             stop what `up` started (by PID), remove its state
#   scripts/argocd.sh env              print the env file: eval "$(scripts/argocd.sh env)"
#   scripts/argocd.sh status           say whether it is up (exit 0 up, 1 down)
#   scripts/argocd.sh put PATH [SRC]   write SRC (file or directory; stdin if SRC is
#                                      omitted or -) to PATH in the git repo, commit,
#                                      push; prints the new full commit SHA
#   scripts/argocd.sh rm PATH          delete PATH from the git repo, commit, push; prints SHA
#   scripts/argocd.sh head             print the repo's current full commit SHA
#   scripts/argocd.sh bin              print the path of the built binary (also the argocd CLI)
#   (put/rm take -m MESSAGE before PATH)
#
# `up` requires `scripts/cluster.sh up` first (reads $ARGO_DOCTOR_E2E_DIR/env).
# Run `scripts/argocd.sh down` before `scripts/cluster.sh down`; if the cluster
# goes first, a watchdog stops the Argo CD processes within ~2s anyway.
#
# Environment:
#   ARGO_DOCTOR_E2E_CACHE   binary cache root (default ~/.cache/argo-doctor-e2e)
#   ARGO_DOCTOR_E2E_ARGOCD_MODULE  wrapper Go module (default test/e2e/argocd = v3.6.2;
#                           test/e2e/argocd-3.2 = v3.2.11): its go.mod is the version
#                           and, by its `toolchain` line, the GOTOOLCHAIN
#   ARGO_DOCTOR_E2E_DIR     state dir shared with cluster.sh (default /tmp/argo-doctor-e2e);
#                           Argo CD's files go to $DIR/argocd, the git repo to $DIR/git
#   ARGO_DOCTOR_E2E_ARGOCD_RESYNC   controller --app-resync seconds (default 10)
#   ARGO_DOCTOR_E2E_ARGOCD_LOGLEVEL controller/repo-server log level (default info)
#   ARGO_DOCTOR_E2E_ARGOCD_REVISION_CACHE  repo-server --revision-cache-expiration
#                           (default 3m, upstream's): how long a branch/HEAD stays
#                           resolved to the old SHA after a commit on normal
#                           refreshes. Pin full SHAs or hard-refresh after commits.
#   GO                      go command (default: go on PATH, else /usr/local/go/bin/go)
#
# Toolchain: argo-cd v3.6.x needs Go >= 1.27; the wrapper go.mod's `toolchain
# go1.27.3` line becomes GOTOOLCHAIN (scripts/lib/argocd-module.sh), which the
# go command fetches from the module proxy on first use. v3.2.x builds with
# the machine's Go 1.26 (its go.mod has no toolchain line).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/argocd-module.sh
. "$ROOT/scripts/lib/argocd-module.sh"   # MOD_DIR, ARGOCD_VERSION, ARGOCD_TOOLCHAIN
if [[ -n "$ARGOCD_TOOLCHAIN" ]]; then export GOTOOLCHAIN="$ARGOCD_TOOLCHAIN"; fi

if [[ -z "${GO:-}" ]]; then
  if command -v go >/dev/null 2>&1; then GO=go; else GO=/usr/local/go/bin/go; fi
fi

CACHE_ROOT="${ARGO_DOCTOR_E2E_CACHE:-$HOME/.cache/argo-doctor-e2e}"
BIN_DIR="$CACHE_ROOT/argocd-$ARGOCD_VERSION"
BIN="$BIN_DIR/argocd"
STATE="${ARGO_DOCTOR_E2E_DIR:-/tmp/argo-doctor-e2e}"
ASTATE="$STATE/argocd"
GIT_DIR_BARE="$STATE/git/repo.git"
GIT_WORK="$STATE/git/work"
READY_TIMEOUT="${ARGO_DOCTOR_E2E_READY_TIMEOUT:-90}"
RESYNC="${ARGO_DOCTOR_E2E_ARGOCD_RESYNC:-10}"
LOGLEVEL="${ARGO_DOCTOR_E2E_ARGOCD_LOGLEVEL:-info}"
REVISION_CACHE="${ARGO_DOCTOR_E2E_ARGOCD_REVISION_CACHE:-3m}"
NS=argocd

log() { printf 'argocd.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
PID_DIR="$ASTATE"
# shellcheck source=lib/procs.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/procs.sh"

# ---------------------------------------------------------------- build
src_stamp() { cat "$MOD_DIR/go.mod" "$MOD_DIR/go.sum" "$MOD_DIR"/*.go | sha256sum | cut -c1-16; }

cmd_build() {
  command -v "$GO" >/dev/null 2>&1 || die "go not found (set GO=)"
  local stamp
  stamp="$(src_stamp)"
  if [[ -x "$BIN" && "$(cat "$BIN.stamp" 2>/dev/null)" == "$stamp" ]]; then
    log "build argocd: cached ($BIN)"
    return 0
  fi
  mkdir -p "$BIN_DIR"
  local t_all t0 modcache gocache m0 m1
  t_all=$(now_ms)
  modcache="$(cd "$MOD_DIR" && "$GO" env GOMODCACHE)"
  gocache="$(cd "$MOD_DIR" && "$GO" env GOCACHE)"
  m0="$(du -sm "$modcache" 2>/dev/null | cut -f1 || echo 0)"
  log "build argocd $ARGOCD_VERSION: $("$GO" version | cut -d' ' -f3), GOMODCACHE=$modcache (${m0:-0} MB), GOCACHE=$gocache"

  # Phase 1: fetch the modules the two commands need (not the whole go.mod graph).
  t0=$(now_ms)
  (cd "$MOD_DIR" && GOFLAGS=-mod=readonly "$GO" list -deps . >/dev/null) || die "go list (module download) failed"
  m1="$(du -sm "$modcache" 2>/dev/null | cut -f1 || echo 0)"
  log "phase modules: $(since "$t0") (module cache +$(( ${m1:-0} - ${m0:-0} )) MB)"

  # Phase 2: compile + link.
  t0=$(now_ms)
  local pkg=github.com/argoproj/argo-cd/v3/common ldflags="-s -w"
  ldflags+=" -X $pkg.version=${ARGOCD_VERSION#v}"
  ldflags+=" -X $pkg.gitTag=$ARGOCD_VERSION"
  ldflags+=" -X $pkg.gitTreeState=clean"
  ldflags+=" -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  (cd "$MOD_DIR" && CGO_ENABLED=0 GOFLAGS=-mod=readonly "$GO" build -trimpath -ldflags "$ldflags" \
      -o "$BIN.tmp.$$" .) || { rm -f "$BIN.tmp.$$"; die "build argocd failed"; }
  mv -f "$BIN.tmp.$$" "$BIN"
  echo "$stamp" >"$BIN.stamp"
  log "phase compile: $(since "$t0") (binary $(du -m "$BIN" | cut -f1) MB)"
  log "build argocd: $(since "$t_all") total -> $BIN"
}

# ---------------------------------------------------------------- helpers
COMPONENTS=(application-controller repo-server redis server)
# argocd-server is in the binary from v3.6 on (test/e2e/argocd-3.2's has none).
has_server() { ARGOCD_BINARY_NAME=argocd-server "$BIN" --help >/dev/null 2>&1; }

tail_logs() {
  local c
  for c in "${COMPONENTS[@]}"; do
    [[ -f "$ASTATE/$c.log" ]] || continue
    echo "----- last 30 lines of $ASTATE/$c.log" >&2
    tail -n 30 "$ASTATE/$c.log" >&2
  done
}

cmd_down_quiet() {
  stop_pid watchdog "$ASTATE/watchdog.pid"
  local c w=()
  for c in "${COMPONENTS[@]}"; do stop_pid "$c" "$ASTATE/$c.pid" & w+=($!); done
  wait "${w[@]}"
}

fail_up() { log "error: $*"; tail_logs; cmd_down_quiet; exit 1; }

redis_ping() { # port
  local reply=""
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 2 reply <&3 || true
  exec 3<&- 3>&-
  [[ "$reply" == "+PONG"* ]]
}

wait_until() { # what pidfile cmd... : poll cmd until it succeeds while the process lives
  local what="$1" pidf="$2" deadline; shift 2
  deadline=$(( $(now) + READY_TIMEOUT ))
  while (( $(now) < deadline )); do
    pid_alive "$(read_pid "$pidf")" || fail_up "$what exited"
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail_up "$what not ready within ${READY_TIMEOUT}s"
}

git_q() { git -C "$GIT_WORK" -c user.name=argo-doctor-e2e -c user.email=e2e@argo-doctor.invalid \
            -c commit.gpgsign=false "$@"; }

# ---------------------------------------------------------------- up
cmd_up() {
  local t_all t0
  t_all=$(now_ms)
  for c in kubectl curl git redis-server setsid flock; do
    command -v "$c" >/dev/null 2>&1 || die "$c not found (apt-get install -y redis-server git)"
  done
  [[ -f "$STATE/env" ]] || die "the e2e cluster is not up (no $STATE/env); run scripts/cluster.sh up"
  # shellcheck disable=SC1091
  source "$STATE/env"
  local kc="$KUBECONFIG"
  local K=(kubectl --kubeconfig="$kc" --context=admin)
  "${K[@]}" get --raw=/readyz --request-timeout=5s >/dev/null 2>&1 || die "the e2e cluster does not answer ($E2E_SERVER)"

  t0=$(now_ms)
  cmd_build
  log "phase build: $(since "$t0")"

  # A previous instance in this state dir is stopped first; its dirs are recreated.
  cmd_down_quiet
  rm -rf "$ASTATE" "$STATE/git"
  mkdir -p "$ASTATE/tmp" "$ASTATE/redis" "$ASTATE/config/ssh" "$ASTATE/config/tls" "$STATE/git"
  chmod 700 "$ASTATE"

  # What argocd-server / the install manifests would create.
  t0=$(now_ms)
  local secretkey
  secretkey="$(openssl rand -base64 32 2>/dev/null || head -c 32 /dev/urandom | base64)"
  "${K[@]}" get namespace "$NS" >/dev/null 2>&1 || "${K[@]}" create namespace "$NS" >/dev/null
  "${K[@]}" apply --server-side --force-conflicts --field-manager=argo-doctor-e2e -f - >/dev/null <<EOF || fail_up "argocd-cm/argocd-secret apply failed"
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: $NS
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
  # Informational here (the controller takes --app-resync); argocd-server reads it.
  timeout.reconciliation: ${RESYNC}s
  # App-of-Apps: a child Application's health is its status.health (removed
  # from the built-ins in Argo CD 1.8; seeds 000/001 depend on it).
  resource.customizations.health.argoproj.io_Application: |
    hs = {}
    hs.status = "Progressing"
    hs.message = ""
    if obj.status ~= nil then
      if obj.status.health ~= nil then
        hs.status = obj.status.health.status
        if obj.status.health.message ~= nil then
          hs.message = obj.status.health.message
        end
      end
    end
    return hs
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cmd-params-cm
  namespace: $NS
  labels:
    app.kubernetes.io/name: argocd-cmd-params-cm
    app.kubernetes.io/part-of: argocd
data:
  # Mirrors the flags scripts/argocd.sh passes (in a real install these become env vars).
  timeout.reconciliation: ${RESYNC}s
  timeout.reconciliation.jitter: 0s
  controller.repo.server.plaintext: "true"
  reposerver.disable.tls: "true"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-rbac-cm
  namespace: $NS
  labels:
    app.kubernetes.io/name: argocd-rbac-cm
    app.kubernetes.io/part-of: argocd
---
apiVersion: v1
kind: Secret
metadata:
  name: argocd-secret
  namespace: $NS
  labels:
    app.kubernetes.io/name: argocd-secret
    app.kubernetes.io/part-of: argocd
type: Opaque
stringData:
  server.secretkey: "$secretkey"
EOF
  if ! "${K[@]}" -n "$NS" get appproject default >/dev/null 2>&1; then
    "${K[@]}" apply -f - >/dev/null <<EOF || fail_up "default AppProject apply failed"
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: default
  namespace: $NS
spec:
  sourceRepos: ["*"]
  destinations:
    - server: "*"
      namespace: "*"
  clusterResourceWhitelist:
    - group: "*"
      kind: "*"
EOF
  fi
  # Upstream's install manifests carry the Argo CD version only in images: the
  # application-controller StatefulSet's is what `explain` reads when no controller
  # pod shows it. This one stands in for it: replicas 0 and no kube-controller-manager,
  # so it runs nothing (the controller is the process started below); only its
  # image tag says which Argo CD runs here.
  "${K[@]}" apply --server-side --force-conflicts --field-manager=argo-doctor-e2e -f - >/dev/null <<EOF || fail_up "argocd-application-controller StatefulSet apply failed"
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: argocd-application-controller
  namespace: $NS
  labels:
    app.kubernetes.io/name: argocd-application-controller
    app.kubernetes.io/component: application-controller
    app.kubernetes.io/part-of: argocd
  annotations:
    e2e.argo-doctor.invalid/stand-in: "carries the version like upstream's install.yaml; replicas 0, the controller runs as a process (scripts/argocd.sh)"
spec:
  replicas: 0
  serviceName: argocd-application-controller
  selector:
    matchLabels:
      app.kubernetes.io/name: argocd-application-controller
  template:
    metadata:
      labels:
        app.kubernetes.io/name: argocd-application-controller
    spec:
      containers:
        - name: argocd-application-controller
          image: quay.io/argoproj/argocd:$ARGOCD_VERSION
          args: [/usr/local/bin/argocd-application-controller]
EOF
  log "phase objects: $(since "$t0")"

  # Local git repository (bare) + a work tree the helpers commit from.
  t0=$(now_ms)
  git init -q --bare -b main "$GIT_DIR_BARE"
  git init -q -b main "$GIT_WORK"
  git_q remote add origin "file://$GIT_DIR_BARE"
  printf '# argo-doctor e2e repository (scripts/argocd.sh put/rm)\n' >"$GIT_WORK/README.md"
  git_q add -A
  git_q commit -q -m "initial commit"
  git_q push -q origin HEAD:main
  log "phase git: $(since "$t0") (file://$GIT_DIR_BARE)"

  local redis_port repo_port repo_metrics_port ctrl_metrics_port
  redis_port="$(free_port)"; repo_port="$(free_port)"
  repo_metrics_port="$(free_port)"; ctrl_metrics_port="$(free_port)"

  # redis: cache only, no persistence.
  t0=$(now_ms)
  start_detached redis "$ASTATE/redis.log" redis-server \
    --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$ASTATE/redis" --daemonize no --protected-mode yes
  wait_until redis "$ASTATE/redis.pid" redis_ping "$redis_port"
  log "phase redis: $(since "$t0") (pid $(read_pid "$ASTATE/redis.pid"), port $redis_port)"

  # Env shared by both components: no GnuPG, private TMPDIR (the repo-server
  # keeps checkouts in $TMPDIR/_argocd-repo) and a private askpass socket
  # (default /tmp/reposerver-ask-pass.sock would collide between instances).
  local common_env=(
    env
    TMPDIR="$ASTATE/tmp"
    ARGOCD_GPG_ENABLED=false
    ARGOCD_ASK_PASS_SOCK="$ASTATE/askpass.sock"
    ARGOCD_APP_CONF_PATH="$ASTATE/config"
    ARGOCD_SSH_DATA_PATH="$ASTATE/config/ssh"
    ARGOCD_TLS_DATA_PATH="$ASTATE/config/tls"
  )

  # repo-server: plaintext gRPC on loopback. From v3.6 --client-ca-path defaults to a
  # mounted-Secret path, which --disable-tls refuses: empty it where the flag exists.
  t0=$(now_ms)
  local repo_help repo_extra=() argo_dir
  # v3.6's repo-server runs git-verify-wrapper.sh (shipped in the image, from the
  # module's hack/) on every manifest generation, GnuPG enabled or not.
  argo_dir="$(cd "$MOD_DIR" && "$GO" list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3 2>/dev/null || true)"
  mkdir -p "$ASTATE/bin"
  if [[ -f "$argo_dir/hack/git-verify-wrapper.sh" ]]; then
    install -m 755 "$argo_dir/hack/git-verify-wrapper.sh" "$ASTATE/bin/git-verify-wrapper.sh"
  fi
  repo_help="$(ARGOCD_BINARY_NAME=argocd-repo-server "$BIN" --help 2>&1 || true)"
  if [[ "$repo_help" == *--client-ca-path* ]]; then repo_extra+=(--client-ca-path=); fi
  start_detached repo-server "$ASTATE/repo-server.log" "${common_env[@]}" \
    ARGOCD_BINARY_NAME=argocd-repo-server \
    PATH="$ASTATE/bin:$PATH" \
    "$BIN" \
    --address 127.0.0.1 --port "$repo_port" \
    --metrics-address 127.0.0.1 --metrics-port "$repo_metrics_port" \
    --redis "127.0.0.1:$redis_port" \
    --revision-cache-expiration "$REVISION_CACHE" \
    --disable-tls "${repo_extra[@]}" \
    --logformat text --loglevel "$LOGLEVEL"
  wait_until repo-server "$ASTATE/repo-server.pid" \
    curl -fsS --max-time 2 "http://127.0.0.1:$repo_metrics_port/healthz?full=true"
  log "phase repo-server: $(since "$t0") (pid $(read_pid "$ASTATE/repo-server.pid"), 127.0.0.1:$repo_port)"

  # application-controller: the in-cluster destination https://kubernetes.default.svc
  # is faked from $KUBECONFIG (ARGOCD_FAKE_IN_CLUSTER). Its metrics/healthz
  # server starts only after the Application/AppProject informers synced, so
  # /healthz answering means ready. (It binds 0.0.0.0: not configurable.)
  t0=$(now_ms)
  start_detached application-controller "$ASTATE/application-controller.log" "${common_env[@]}" \
    ARGOCD_BINARY_NAME=argocd-application-controller \
    KUBECONFIG="$kc" \
    ARGOCD_FAKE_IN_CLUSTER=true \
    ARGOCD_SYNC_WAVE_DELAY=0 \
    "$BIN" \
    --kubeconfig "$kc" --context admin --namespace "$NS" \
    --redis "127.0.0.1:$redis_port" \
    --repo-server "127.0.0.1:$repo_port" --repo-server-plaintext \
    --metrics-port "$ctrl_metrics_port" \
    --app-resync "$RESYNC" --app-resync-jitter 0 \
    --status-processors 4 --operation-processors 4 \
    --logformat text --loglevel "$LOGLEVEL"
  wait_until application-controller "$ASTATE/application-controller.pid" \
    curl -fsS --max-time 2 "http://127.0.0.1:$ctrl_metrics_port/healthz"
  log "phase application-controller: $(since "$t0") (pid $(read_pid "$ASTATE/application-controller.pid"), metrics :$ctrl_metrics_port)"

  # argocd-server: plain HTTP (--insecure) on loopback, no UI assets, no dex.
  # On first start it creates argocd-initial-admin-secret (the admin password).
  local server_port="" server_metrics_port server_env=""
  if has_server; then
    t0=$(now_ms)
    server_port="$(free_port)"; server_metrics_port="$(free_port)"
    # ARGOCD_FAKE_IN_CLUSTER: as for the controller, the in-cluster destination is $KUBECONFIG — without it
    # argocd-server cannot validate an app on a write (PATCH/Update: "unable to load in-cluster configuration").
    start_detached server "$ASTATE/server.log" "${common_env[@]}" \
      ARGOCD_BINARY_NAME=argocd-server \
      KUBECONFIG="$kc" \
      ARGOCD_FAKE_IN_CLUSTER=true \
      "$BIN" \
      --kubeconfig "$kc" --context admin --namespace "$NS" \
      --insecure --address 127.0.0.1 --port "$server_port" \
      --metrics-port "$server_metrics_port" \
      --staticassets "$ASTATE/tmp/no-ui" \
      --redis "127.0.0.1:$redis_port" \
      --repo-server "127.0.0.1:$repo_port" --repo-server-plaintext \
      --dex-server "http://127.0.0.1:1" --disable-swagger-ui \
      --logformat text --loglevel "$LOGLEVEL"
    wait_until argocd-server "$ASTATE/server.pid" \
      curl -fsS --max-time 2 "http://127.0.0.1:$server_port/healthz?full=true"
    log "phase argocd-server: $(since "$t0") (pid $(read_pid "$ASTATE/server.pid"), http://127.0.0.1:$server_port)"
    server_env="export ARGOCD_SERVER_ADDR=127.0.0.1:$server_port
export ARGOCD_SERVER_PID=$(read_pid "$ASTATE/server.pid")"
  else
    log "argocd-server: not in this binary (Argo CD $ARGOCD_VERSION wrapper), not started"
  fi

  # Watchdog: when the cluster goes away (kube-apiserver dies or cluster.sh
  # removes the state dir) stop the Argo CD processes, so none is orphaned.
  local pids
  pids="$(read_pid "$ASTATE/application-controller.pid") $(read_pid "$ASTATE/repo-server.pid") $(read_pid "$ASTATE/redis.pid")"
  if [[ -n "$server_port" ]]; then pids+=" $(read_pid "$ASTATE/server.pid")"; fi
  start_detached watchdog /dev/null bash -c '
    api="$1" dir="$2"; shift 2
    while kill -0 "$api" 2>/dev/null && [[ -d "$dir" ]]; do sleep 1; done
    kill -TERM "$@" 2>/dev/null; sleep 3; kill -KILL "$@" 2>/dev/null; exit 0
  ' watchdog "$E2E_APISERVER_PID" "$ASTATE" $pids

  cat >"$ASTATE/env" <<EOF
export ARGOCD_VERSION=$ARGOCD_VERSION
export ARGOCD_NAMESPACE=$NS
export ARGOCD_DEST_SERVER=https://kubernetes.default.svc
export ARGOCD_GIT_REPO=file://$GIT_DIR_BARE
export ARGOCD_GIT_WORKTREE=$GIT_WORK
export ARGOCD_REPO_SERVER=127.0.0.1:$repo_port
export ARGOCD_REDIS=127.0.0.1:$redis_port
export ARGOCD_CONTROLLER_METRICS=http://127.0.0.1:$ctrl_metrics_port
export ARGOCD_CONTROLLER_PID=$(read_pid "$ASTATE/application-controller.pid")
export ARGOCD_REPO_SERVER_PID=$(read_pid "$ASTATE/repo-server.pid")
export ARGOCD_REDIS_PID=$(read_pid "$ASTATE/redis.pid")
export ARGOCD_LOG_DIR=$ASTATE
export ARGOCD_BIN=$BIN
${server_env}
EOF
  log "up: $(since "$t_all") total (logs in $ASTATE)"
  echo "$ASTATE/env"
}

# ---------------------------------------------------------------- down/env/status
cmd_down() {
  cmd_down_quiet
  rm -rf "$ASTATE" "$STATE/git"
}

cmd_env() {
  [[ -f "$ASTATE/env" ]] || die "not up (no $ASTATE/env); run scripts/argocd.sh up"
  cat "$ASTATE/env"
}

cmd_status() {
  local c pid ok=1 out=""
  for c in "${COMPONENTS[@]}"; do
    [[ "$c" != server || -f "$ASTATE/server.pid" ]] || continue
    pid="$(read_pid "$ASTATE/$c.pid" 2>/dev/null)"
    if pid_alive "$pid"; then out+="$c pid $pid, "; else out+="$c down, "; ok=""; fi
  done
  if [[ -n "$ok" ]]; then echo "up: ${out%, }"; return 0; fi
  echo "down: ${out%, }"
  return 1
}

# ---------------------------------------------------------------- git helpers
git_commit_push() { # message
  git_q add -A
  git_q commit -q --allow-empty -m "$1"
  git_q push -q origin HEAD:main
  git_q rev-parse HEAD
}

cmd_put_rm() { # put|rm [-m MSG] PATH [SRC]
  local op="$1" msg="" path src
  shift
  if [[ "${1:-}" == "-m" ]]; then msg="$2"; shift 2; fi
  path="${1:-}"; src="${2:--}"
  [[ -n "$path" && "$path" != /* && "$path" != *..* ]] || die "usage: $0 put [-m MESSAGE] PATH [SRC|-] | rm [-m MESSAGE] PATH"
  [[ -d "$GIT_WORK/.git" ]] || die "no git work tree ($GIT_WORK); run scripts/argocd.sh up"
  if [[ "$op" == put && "$src" != - && ! -e "$src" ]]; then die "no such file or directory: $src"; fi
  exec 9>"$STATE/git/.lock"
  flock 9
  rm -rf "${GIT_WORK:?}/$path"
  if [[ "$op" == put ]]; then
    mkdir -p "$(dirname "$GIT_WORK/$path")"
    if [[ "$src" == - ]]; then
      cat >"$GIT_WORK/$path"
    elif [[ -d "$src" ]]; then
      mkdir -p "$GIT_WORK/$path"
      cp -a "$src/." "$GIT_WORK/$path/"
    elif [[ -f "$src" ]]; then
      cp "$src" "$GIT_WORK/$path"
    else
      die "no such file or directory: $src"
    fi
  fi
  git_commit_push "${msg:-$op $path}"
}

cmd_head() {
  git --git-dir="$GIT_DIR_BARE" rev-parse main
}

case "${1:-}" in
  build) cmd_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  put | rm) cmd_put_rm "$@" ;;
  head) cmd_head ;;
  bin) echo "$BIN" ;;
  *) echo "usage: $0 {build|up|down|env|status|put|rm|head|bin}" >&2; exit 2 ;;
esac
