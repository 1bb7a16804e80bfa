#!/usr/bin/env bash
# `make cluster` / `make cluster-stop`: the dashboard on several servers, on this machine.
#
#   scripts/cluster.sh start|stop|status
#
# start: PostgreSQL (the lake's catalog), the demonstration warehouse built in a DuckLake
# (catalog in PostgreSQL, Parquet data in the state folder), REPLICAS Streamlit servers sharing
# one cookie secret, and HAProxy in front with sticky sessions and health checks; prints the
# address. Installs PostgreSQL and HAProxy from Debian's packages when they are missing and
# this machine can (root, apt-get). Idempotent: what already runs is kept.
# stop: stops them all and leaves the data (the next start finds it).
# status: says what runs.
#
# Settings (environment): REPLICAS (3), CLUSTER_DIR (data/cluster), CLUSTER_ADDRESS (0.0.0.0),
# CLUSTER_PORT (8600, HAProxy), CLUSTER_REPLICA_PORT (8601, the first replica's port),
# CLUSTER_PG_PORT (55432), PY (.venv/bin/python).
# The state folder holds cluster.env: `set -a; . data/cluster/cluster.env; set +a` lets
# `python -m etl …` load into the cluster's warehouse.
set -euo pipefail
cd "$(dirname "$0")/.."

REPLICAS=${REPLICAS:-3}
STATE=${CLUSTER_DIR:-data/cluster}
ADDRESS=${CLUSTER_ADDRESS:-0.0.0.0}
PORT=${CLUSTER_PORT:-8600}
FIRST_REPLICA_PORT=${CLUSTER_REPLICA_PORT:-8601}
PG_PORT=${CLUSTER_PG_PORT:-55432}
PY=${PY:-.venv/bin/python}

mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
PY=$(command -v "$PY" || echo "$PY")
PGDATA="$STATE/postgresql"
LAKE_DATA="$STATE/lake"
ENV_FILE="$STATE/cluster.env"
HAPROXY_CFG="$STATE/haproxy.cfg"
HAPROXY_PID="$STATE/haproxy.pid"
# HAProxy's admin socket: `show stat` tells which replicas its health checks see up.
HAPROXY_SOCKET="$STATE/haproxy.sock"

say() { echo "cluster: $*"; }
fail() {
    echo "cluster: $*" >&2
    exit 1
}

# --- PostgreSQL and HAProxy binaries ------------------------------------------------------

pg_bin() {
    local dir
    for dir in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) \
        /usr/local/bin /usr/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return
        fi
    done
}

install_missing() {
    local packages=()
    [ -n "$(pg_bin)" ] && command -v psql >/dev/null 2>&1 || packages+=(postgresql)
    command -v haproxy >/dev/null 2>&1 || packages+=(haproxy)
    [ ${#packages[@]} -eq 0 ] && return
    if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
        fail "il manque ${packages[*]} : installez-les (apt-get install ${packages[*]}) puis relancez."
    fi
    say "installation de ${packages[*]} (apt-get)…"
    export DEBIAN_FRONTEND=noninteractive
    # Debian's postgresql would create and start its own cluster on port 5432: not needed
    # (postgresql-common's drop-in folder; its own createcluster.conf is left alone).
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/observatoire.conf
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
}

# PostgreSQL refuses to run as root: as root, run it as the postgres user.
as_pg() {
    if [ "$(id -u)" = "0" ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# --- secrets and settings, generated once, owner-only --------------------------------------

secret() {  # FILE: a random secret kept in FILE (created owner-only on first use)
    if [ ! -s "$1" ]; then
        (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$1")
    fi
    chmod 600 "$1"
    cat "$1"
}

write_env() {
    local password=$1
    (
        umask 077
        cat >"$ENV_FILE" <<EOF
# The cluster's warehouse (scripts/cluster.sh): a DuckLake, catalog in PostgreSQL, data here.
OBSERVATOIRE_LAKE_CATALOG='host=127.0.0.1 port=$PG_PORT dbname=observatoire user=observatoire password=$password'
OBSERVATOIRE_LAKE_DATA='$LAKE_DATA'
# The file warehouse, used by a version of the project without the lake setting.
OBSERVATOIRE_DB='$STATE/observatoire.duckdb'
EOF
    )
}

# --- PostgreSQL ------------------------------------------------------------------------------

pg_running() {
    [ -f "$PGDATA/postmaster.pid" ] && as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

start_postgres() {
    local bin password
    bin=$(pg_bin)
    password=$(secret "$STATE/pg_password")
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        say "création du catalogue PostgreSQL ($PGDATA)…"
        mkdir -p "$PGDATA"
        chmod 700 "$PGDATA"
        local pwfile="$STATE/.initdb-password"
        (umask 077 && echo "$password" >"$pwfile")
        if [ "$(id -u)" = "0" ]; then
            chown postgres: "$PGDATA" "$pwfile"
            as_pg test -x "$STATE" ||
                fail "l'utilisateur postgres ne peut pas traverser $STATE : choisissez un CLUSTER_DIR accessible."
        fi
        as_pg "$bin/initdb" -D "$PGDATA" -U observatoire --pwfile="$pwfile" --auth-local=peer \
            --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 ||
            fail "initdb a échoué (voir $STATE/initdb.log)."
        rm -f "$pwfile"
    fi
    if ! pg_running; then
        # TCP on loopback only, no Unix socket (the state folder may be anywhere).
        as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=''" \
            start >/dev/null || fail "PostgreSQL n'a pas démarré (voir $PGDATA/server.log)."
    fi
    if ! PGPASSWORD=$password psql -h 127.0.0.1 -p "$PG_PORT" -U observatoire -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'observatoire'" | grep -q 1; then
        PGPASSWORD=$password psql -h 127.0.0.1 -p "$PG_PORT" -U observatoire -d postgres -qc \
            "CREATE DATABASE observatoire" >/dev/null
    fi
    write_env "$password"
}

# --- the warehouse --------------------------------------------------------------------------

build_warehouse() {
    mkdir -p "$LAKE_DATA"
    chmod 700 "$LAKE_DATA"
    say "entrepôt de démonstration (python -m etl init)…"
    (set -a && . "$ENV_FILE" && "$PY" -m etl init)
}

# --- replicas ---------------------------------------------------------------------------------

replica_port() { echo $((FIRST_REPLICA_PORT + $1 - 1)); }
replica_pid() { cat "$STATE/replica-$1.pid" 2>/dev/null || true; }
# PID runs (and, with a second argument, its command line holds it: a pid file left by a
# reboot may name another program now).
alive() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
    [ -z "${2:-}" ] || tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}
healthy() { "$PY" - "$1" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except OSError:
    sys.exit(1)
EOF
}

start_replica() {
    local i=$1 port
    port=$(replica_port "$i")
    if alive "$(replica_pid "$i")" webapp.serve; then
        return
    fi
    # Its own session (setsid): it outlives the shell that started it, and stop ends it whole.
    (
        set -a
        . "$ENV_FILE"
        STREAMLIT_SERVER_COOKIE_SECRET=$(cat "$STATE/cookie_secret")
        exec setsid "$PY" -m webapp.serve --server.port "$port" --server.address 127.0.0.1 \
            --server.headless true --browser.gatherUsageStats false \
            >"$STATE/replica-$i.log" 2>&1 </dev/null
    ) &
    echo $! >"$STATE/replica-$i.pid"
}

wait_healthy() {  # URL WHAT LOG
    local tries=0
    until healthy "$1"; do
        tries=$((tries + 1))
        [ $tries -lt 240 ] || fail "$2 ne répond pas (voir $3)."
        sleep 0.5
    done
}

stop_pid_file() {  # FILE PROGRAM: stop that program (and its session), whose id FILE holds
    local pid
    pid=$(cat "$1" 2>/dev/null || true)
    if alive "$pid" "$2"; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 60); do
            alive "$pid" || break
            sleep 0.25
        done
        alive "$pid" && kill -KILL -- "-$pid" 2>/dev/null
    fi
    rm -f "$1"
}

# --- HAProxy ---------------------------------------------------------------------------------

write_haproxy_cfg() {
    {
        cat <<EOF
# Written by scripts/cluster.sh: HAProxy in front of the Streamlit replicas.
global
    maxconn 4096
    stats socket $HAPROXY_SOCKET mode 600 level admin

defaults
    mode http
    option forwardfor
    # Retry a request refused by a stopped replica on another one.
    option redispatch
    retries 3
    timeout connect 5s
    timeout http-request 30s
    # Streamlit keeps a websocket open for the whole visit.
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h

frontend dashboard
    bind $ADDRESS:$PORT
    default_backend replicas

backend replicas
    balance roundrobin
    # Sticky sessions: the websocket, uploads and media of a session go to its replica.
    cookie SRV insert indirect nocache httponly
    option httpchk GET /_stcore/health
    http-check expect status 200
    # A busy replica answers its health check late (pages run in its Python threads): give it
    # 5 s, and 3 misses in a row, before taking it out; a stopped one is out in about 6 s.
    timeout check 5s
    default-server inter 2s fall 3 rise 2
EOF
        for i in $(seq "$REPLICAS"); do
            echo "    server r$i 127.0.0.1:$(replica_port "$i") check cookie r$i"
        done
    } >"$HAPROXY_CFG"
}

start_haproxy() {
    write_haproxy_cfg
    haproxy -c -q -f "$HAPROXY_CFG" || fail "configuration HAProxy invalide ($HAPROXY_CFG)."
    local pid
    pid=$(cat "$HAPROXY_PID" 2>/dev/null || true)
    if alive "$pid" haproxy; then
        # Reload with the configuration written for this number of replicas.
        haproxy -D -f "$HAPROXY_CFG" -p "$HAPROXY_PID" -sf "$pid"
    else
        haproxy -D -f "$HAPROXY_CFG" -p "$HAPROXY_PID"
    fi
}

# --- commands ---------------------------------------------------------------------------------

start() {
    [ "$REPLICAS" -ge 1 ] 2>/dev/null || fail "REPLICAS doit être un entier ≥ 1."
    [ -x "$PY" ] || fail "Python introuvable ($PY) : lancez « make cluster »."
    install_missing
    secret "$STATE/cookie_secret" >/dev/null
    start_postgres
    build_warehouse
    for i in $(seq "$REPLICAS"); do
        start_replica "$i"
    done
    # Replicas beyond REPLICAS (a previous start with more) are stopped.
    for file in "$STATE"/replica-*.pid; do
        [ -e "$file" ] || continue
        i=${file##*/replica-}
        i=${i%.pid}
        [ "$i" -le "$REPLICAS" ] || stop_pid_file "$file" webapp.serve
    done
    for i in $(seq "$REPLICAS"); do
        wait_healthy "http://127.0.0.1:$(replica_port "$i")/_stcore/health" "la réplique $i" \
            "$STATE/replica-$i.log"
    done
    start_haproxy
    wait_healthy "http://127.0.0.1:$PORT/_stcore/health" "HAProxy" "$HAPROXY_CFG"
    say "$REPLICAS réplique(s) derrière HAProxy : http://localhost:$PORT"
    say "arrêt : make cluster-stop ; chargements : set -a; . $ENV_FILE; set +a; python -m etl load …"
}

stop() {
    stop_pid_file "$HAPROXY_PID" haproxy
    for file in "$STATE"/replica-*.pid; do
        [ -e "$file" ] && stop_pid_file "$file" webapp.serve
    done
    rm -f "$HAPROXY_SOCKET"
    if [ -n "$(pg_bin)" ] && pg_running; then
        as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    fi
    say "arrêté (données conservées dans $STATE)."
}

status() {
    local up=0
    if [ -n "$(pg_bin)" ] && pg_running; then
        echo "PostgreSQL : en marche (127.0.0.1:$PG_PORT)"
    else
        echo "PostgreSQL : arrêté"
    fi
    for file in "$STATE"/replica-*.pid; do
        [ -e "$file" ] || continue
        i=${file##*/replica-}
        i=${i%.pid}
        if alive "$(cat "$file")" webapp.serve; then
            echo "réplique $i : en marche (127.0.0.1:$(replica_port "$i"))"
        else
            echo "réplique $i : arrêtée"
        fi
    done
    if alive "$(cat "$HAPROXY_PID" 2>/dev/null || true)" haproxy; then
        echo "HAProxy : en marche (http://localhost:$PORT)"
        up=1
    else
        echo "HAProxy : arrêté"
    fi
    [ $up = 1 ]
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
    echo "usage : $0 start|stop|status" >&2
    exit 2
    ;;
esac
