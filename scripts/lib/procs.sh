# Shared by scripts/cluster.sh and scripts/argocd.sh (sourced; they define log/die and PID_DIR first):
# timing, free loopback ports, detached processes with pid files, stopping them by PID.

now() { date +%s; }
now_ms() { date +%s%3N; }
since() { local d=$(( $(now_ms) - $1 )); printf '%d.%01ds' $((d / 1000)) $(((d % 1000) / 100)); }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
read_pid() { [[ -f "$1" ]] && tr -dc '0-9' <"$1" || true; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
USED_PORTS=" "
free_port() { # below the usual ephemeral range (32768+) to avoid client sockets
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$(( 20000 + RANDOM % 12000 ))
    [[ "$USED_PORTS" == *" $p "* ]] && continue
    port_in_use "$p" && continue
    USED_PORTS+="$p "
    echo "$p"; return 0
  done
  die "no free loopback port found"
}

# start_detached NAME LOG CMD... : own session, no inherited stdio; pid file $PID_DIR/NAME.pid written by the child itself
start_detached() {
  local name="$1" logf="$2"; shift 2
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_DIR/$name.pid" "$@" </dev/null >"$logf" 2>&1 &
  local i
  for ((i = 0; i < 50; i++)); do [[ -s "$PID_DIR/$name.pid" ]] && break; sleep 0.1; done
  [[ -s "$PID_DIR/$name.pid" ]] || die "$name did not start"
}

# Guard against PID reuse: only signal a process that runs the expected binary.
pid_is() { # pid binary
  local exe
  exe="$(readlink "/proc/$1/exe" 2>/dev/null || true)"
  [[ -z "$exe" || "${exe##*/}" == "$2" || "${exe##*/}" == "$2 (deleted)" ]]
}

stop_pid() { # name pidfile [binary]
  local name="$1" pid i
  pid="$(read_pid "$2")"
  pid_alive "$pid" || return 0
  if [[ -n "${3:-}" ]] && ! pid_is "$pid" "$3"; then log "pid $pid is not $name any more; not killing it"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do pid_alive "$pid" || { log "stopped $name ($pid)"; return 0; }; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do pid_alive "$pid" || break; sleep 0.1; done
  log "killed $name ($pid)"
}
