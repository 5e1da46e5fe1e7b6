#!/usr/bin/env bash
# Starts throwaway MariaDB and PostgreSQL servers for the database tests, loads fixtures/sql/*,
# (schema per engine in fixtures/sql/{mysql,postgres}/NAME.sql, rows in fixtures/sql/data/NAME.sql,
# one database NAME each), and writes their URLs to target/test-servers.env (the tests read it when the variables
# CARTNUDGE_TEST_MYSQL_URL / CARTNUDGE_TEST_PG_URL are not set). Data lives in a temp dir; the
# servers listen on loopback only; nothing touches the system's own database services.
#
#   scripts/test-servers.sh start    # install if missing (Debian packages), start, load fixtures
#   scripts/test-servers.sh stop     # stop both and delete their data
#   scripts/test-servers.sh env      # print the env file's path (source it to export the URLs)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ENV_FILE="$ROOT/target/test-servers.env"
STATE_FILE="$ROOT/target/test-servers.state"
FIX="$ROOT/fixtures/sql"
USER_PW=cartnudge   # a throwaway password for a throwaway server on loopback

log() { echo "test-servers: $*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

install_missing() {
    local need=()
    command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 || need+=(mariadb-server)
    [ -n "$(pg_bin)" ] || need+=(postgresql)
    command -v openssl >/dev/null 2>&1 || need+=(openssl)
    [ ${#need[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || { log "missing ${need[*]}; install them: sudo apt-get install -y ${need[*]}"; exit 1; }
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
}

free_port() {
    local p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}

# A throwaway CA and a server certificate for 127.0.0.1, so TLS with verification is tested too.
make_certs() {
    local d=$1/tls
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=cartnudge test CA" \
        -keyout "$d/ca.key" -out "$d/ca.pem" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
        -extfile "$d/ext" -out "$d/server.pem" >/dev/null 2>&1
    chmod 755 "$d"
    chmod 644 "$d"/*.pem
    chmod 600 "$d"/*.key
}

start_mariadb() {
    local dir=$1 port=$2 bin
    bin=$(command -v mariadbd || command -v mysqld)
    mkdir -p "$dir/mysql"
    local as=()
    [ "$(id -u)" -eq 0 ] && as=(--user=root)
    mariadb-install-db --no-defaults --datadir="$dir/mysql" "${as[@]}" --auth-root-authentication-method=normal \
        --skip-test-db >"$dir/mysql-install.log" 2>&1 || { cat "$dir/mysql-install.log" >&2; exit 1; }
    "$bin" --no-defaults --datadir="$dir/mysql" "${as[@]}" --port="$port" --bind-address=127.0.0.1 \
        --socket="$dir/mysql.sock" --pid-file="$dir/mysql.pid" --skip-name-resolve --skip-log-bin \
        --innodb-buffer-pool-size=32M --log-error="$dir/mysql.log" \
        --ssl-ca="$dir/tls/ca.pem" --ssl-cert="$dir/tls/server.pem" --ssl-key="$dir/tls/server.key" >/dev/null 2>&1 &
    for _ in $(seq 1 60); do
        mariadb-admin --no-defaults --socket="$dir/mysql.sock" -uroot ping >/dev/null 2>&1 && break
        sleep 0.5
    done
    mariadb-admin --no-defaults --socket="$dir/mysql.sock" -uroot ping >/dev/null 2>&1 || { cat "$dir/mysql.log" >&2; exit 1; }
    local sql="CREATE USER 'cartnudge'@'%' IDENTIFIED BY '$USER_PW';"
    for f in "$FIX"/mysql/*.sql; do
        local db; db=$(basename "$f" .sql)
        sql+="CREATE DATABASE \`$db\` CHARACTER SET utf8mb4; GRANT SELECT, EXECUTE ON \`$db\`.* TO 'cartnudge'@'%';"
    done
    mariadb --no-defaults --socket="$dir/mysql.sock" -uroot -e "$sql"
    for f in "$FIX"/mysql/*.sql; do
        cat "$f" "$FIX/data/$(basename "$f")" | mariadb --no-defaults --socket="$dir/mysql.sock" -uroot "$(basename "$f" .sql)"
    done
    log "MariaDB on 127.0.0.1:$port ($(ls "$FIX"/mysql/*.sql | wc -l) fixture databases)"
}

start_postgres() {
    local dir=$1 port=$2 bin as=()
    bin=$(pg_bin)
    mkdir -p "$dir/pg"
    cp "$dir/tls/server.pem" "$dir/tls/server.key" "$dir/pg/"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres: "$dir/pg"
        chmod 755 "$dir"
        as=(runuser -u postgres --)
    fi
    "${as[@]}" "$bin/initdb" -D "$dir/pg/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$dir/pg-init.log" 2>&1 || { cat "$dir/pg-init.log" >&2; exit 1; }
    "${as[@]}" "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $dir/pg -c fsync=off -c ssl=on -c ssl_cert_file=$dir/pg/server.pem -c ssl_key_file=$dir/pg/server.key" \
        start >/dev/null
    local psql=("${as[@]}" "$bin/psql" -q -v ON_ERROR_STOP=1 -h "$dir/pg" -p "$port" -U postgres)
    "${psql[@]}" -d postgres -c "CREATE ROLE cartnudge LOGIN PASSWORD '$USER_PW'" >/dev/null
    for f in "$FIX"/postgres/*.sql; do
        local db; db=$(basename "$f" .sql)
        "${psql[@]}" -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
        cat "$f" "$FIX/data/$db.sql" | "${psql[@]}" -d "$db" -f - >/dev/null
        "${psql[@]}" -d "$db" -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO cartnudge" >/dev/null
    done
    log "PostgreSQL on 127.0.0.1:$port ($(ls "$FIX"/postgres/*.sql | wc -l) fixture databases)"
}

stop() {
    [ -f "$STATE_FILE" ] || { log "nothing to stop"; return 0; }
    # shellcheck disable=SC1090
    . "$STATE_FILE"
    if [ -f "$DIR/mysql.pid" ]; then
        kill "$(cat "$DIR/mysql.pid")" 2>/dev/null || true
        for _ in $(seq 1 40); do [ -f "$DIR/mysql.pid" ] || break; sleep 0.25; done
    fi
    if [ -d "$DIR/pg/data" ]; then
        local as=()
        [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
        "${as[@]}" "$(pg_bin)/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR" "$STATE_FILE" "$ENV_FILE"
    log "stopped"
}

case "${1:-}" in
start)
    [ -f "$STATE_FILE" ] && stop
    install_missing
    mkdir -p "$ROOT/target"
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/cartnudge-db.XXXXXX")
    echo "DIR=$DIR" >"$STATE_FILE"
    trap 'log "start failed; cleaning up"; stop' ERR
    make_certs "$DIR"
    MY_PORT=$(free_port 33306)
    start_mariadb "$DIR" "$MY_PORT"
    PG_PORT=$(free_port 35432)
    start_postgres "$DIR" "$PG_PORT"
    trap - ERR
    cat >"$ENV_FILE" <<ENV
export CARTNUDGE_TEST_MYSQL_URL=mysql://cartnudge:$USER_PW@127.0.0.1:$MY_PORT
export CARTNUDGE_TEST_PG_URL=postgres://cartnudge:$USER_PW@127.0.0.1:$PG_PORT
export CARTNUDGE_TEST_TLS_CA=$DIR/tls/ca.pem
ENV
    log "URLs in $ENV_FILE (the tests read it; or: . $ENV_FILE)"
    ;;
stop) stop ;;
env) echo "$ENV_FILE" ;;
*) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
