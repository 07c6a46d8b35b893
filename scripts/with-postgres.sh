#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL cluster: ASBHUB_TEST_PG_URL points at it.
# Installs Debian's postgresql packages when initdb is missing (needs root, as on CI).
# The cluster lives in a temporary folder and is stopped and removed on exit.
set -euo pipefail

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  local c
  for c in /usr/lib/postgresql/*/bin/"$name"; do
    [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

if ! find_bin initdb >/dev/null; then
  echo "with-postgres: initdb not found; installing Debian's postgresql packages" >&2
  if [ "$(id -u)" != 0 ]; then
    echo "with-postgres: need root to apt-get install postgresql (or install it yourself)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)

dir=$(mktemp -d /tmp/asbhub-pg.XXXXXX)
chmod 755 "$dir"
# initdb refuses to run as root: run the server as the postgres user when we are root.
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  as_pg=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

cleanup() {
  "${as_pg[@]}" "$PG_CTL" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"${as_pg[@]}" "$INITDB" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$PG_CTL" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -k $dir -c fsync=off -c full_page_writes=off" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }

export ASBHUB_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: throwaway PostgreSQL on 127.0.0.1:$port" >&2
set +e
"$@"
status=$?
exit $status
