# Shell helpers shared by hack/stack and hack/cluster: logging, Debian packages, and
# processes started detached with a pid file. Sourced, not run; the sourcing script sets
# LOG_TAG (the prefix of its log lines) first.

log() { printf '[%s] %s\n' "${LOG_TAG:-hack}" "$*" >&2; }
die() { printf '[%s] error: %s\n' "${LOG_TAG:-hack}" "$*" >&2; exit 1; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root to run: $*"; fi
}

apt_install() { # package... : install the Debian packages that are missing
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  log "installing Debian packages: ${missing[*]}"
  # apt-get cannot start services here (no init system); policy-rc.d keeps it from trying.
  export DEBIAN_FRONTEND=noninteractive
  # Another apt-get (a second checkout's run) holds the lock: wait for it, not fail.
  local lock=(-o DPkg::Lock::Timeout=300)
  as_root apt-get install "${lock[@]}" -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { as_root apt-get "${lock[@]}" update -q >/dev/null 2>&1 && as_root apt-get install "${lock[@]}" -y -q --no-install-recommends "${missing[@]}" >/dev/null; } ||
    die "apt-get install ${missing[*]} failed"
}

# Runs a command holding an exclusive lock ($CACHE/<name>.lock): two stacks starting at
# once on a cold machine (a test's private stack beside the shared one) must not build
# or fetch one cache entry together, each deleting what the other writes. The command
# checks again, under the lock, whether the entry is there by now.
with_cache_lock() { # name command...
  local name=$1; shift
  mkdir -p "$CACHE"
  (flock 9 && "$@") 9>"$CACHE/$name.lock"
}

hash_of() { cat "$@" | sha256sum | cut -c1-12; }

# A zombie (killed, not reaped yet: there may be no init to reap it) counts as dead.
pid_alive() {
  [[ -f $1 ]] || return 1
  local pid stat; pid=$(cat "$1")
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ ${stat##*) } != Z* ]]
}

port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

wait_for() { # description timeout-seconds command...
  local what=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

spawn() { # pidfile logfile command... : start detached, in its own session
  local pidfile=$1 logfile=$2; shift 2
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

stop_pid() { # name pidfile [grace-seconds]
  local name=$1 pidfile=$2 grace=${3:-10}
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid; pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop within ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
  log "$name stopped"
}
