#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on a free loopback port and prints its URL.
# Usage: eval "$(.ci/start-postgres.sh DIR)"   # sets DATABASE_URL and PG_DATA_DIR
# Stop it with: pg_ctl -D "$PG_DATA_DIR" stop   (as the postgres user when run as root)
set -euo pipefail
dir=${1:?usage: start-postgres.sh DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found; install with: apt-get install -y postgresql" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run=()
if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
"${run[@]}" "$bin/initdb" -D "$dir/data" -U zebra --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
"${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" start >/dev/null
echo "export DATABASE_URL=postgres://zebra@127.0.0.1:$port/postgres PG_DATA_DIR=$dir/data PG_BIN=$bin"
