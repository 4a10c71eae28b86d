#!/bin/bash
# The official image's first-run contract, for Debian's MariaDB: with an empty data
# directory, create it, set MARIADB_ROOT_PASSWORD, create MARIADB_DATABASE and
# MARIADB_USER (password MARIADB_PASSWORD, all privileges on that database), then run the
# server. Arguments that start with "-" are the server's options, as with the official
# image.
set -euo pipefail
if [[ ${1:-} == -* ]]; then set -- mariadbd "$@"; fi
if [[ ${1:-} != mariadbd ]]; then exec "$@"; fi

datadir=/var/lib/mysql
if [[ ! -d $datadir/mysql ]]; then
  : "${MARIADB_ROOT_PASSWORD:?MARIADB_ROOT_PASSWORD must be set for a new database}"
  echo "[entrypoint] initialising $datadir" >&2
  mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  socket=/run/mysqld/init.sock
  mariadbd --datadir="$datadir" --skip-networking --socket="$socket" &
  pid=$!
  for _ in $(seq 1 60); do mariadb --protocol=socket -S "$socket" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
  sql() { mariadb --protocol=socket -S "$socket" -uroot "$@"; }
  esc() { printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g"; }
  {
    # Only the accounts created here: install-db's others (root@127.0.0.1, root@::1,
    # mysql@localhost) go, so that a login from anywhere meets the password.
    echo "DELETE FROM mysql.global_priv WHERE User NOT IN ('root', 'mariadb.sys') OR (User = 'root' AND Host <> 'localhost');"
    echo "FLUSH PRIVILEGES;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(esc "$MARIADB_ROOT_PASSWORD")';"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY '$(esc "$MARIADB_ROOT_PASSWORD")';"
    echo "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [[ -n ${MARIADB_DATABASE:-} ]]; then
      echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
    fi
    if [[ -n ${MARIADB_USER:-} ]]; then
      echo "CREATE USER '$(esc "$MARIADB_USER")'@'%' IDENTIFIED BY '$(esc "${MARIADB_PASSWORD:-}")';"
      [[ -n ${MARIADB_DATABASE:-} ]] && echo "GRANT ALL PRIVILEGES ON \`$MARIADB_DATABASE\`.* TO '$(esc "$MARIADB_USER")'@'%';"
    fi
  } | sql
  kill "$pid"
  wait "$pid" || true
  echo "[entrypoint] initialised" >&2
fi
exec "$@"
