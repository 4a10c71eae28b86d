#!/bin/bash
# The official image's healthcheck.sh, for the checks the chart's probes use:
#   --connect               the server accepts a TCP connection and a query
#   --innodb_initialized    InnoDB has finished starting
# Several checks may be given; all must pass.
set -uo pipefail
# HEALTHCHECK_TLS=1 (the chart sets it with require_secure_transport): over TLS.
tls=(); [[ ${HEALTHCHECK_TLS:-} == 1 ]] && tls=(--ssl)
query() { mariadb --protocol=tcp -h127.0.0.1 "${tls[@]}" -uroot -p"${MARIADB_ROOT_PASSWORD:-}" -N -B -e "$1" 2>/dev/null; }
(($#)) || set -- --connect
for check in "$@"; do
  case $check in
    --connect) [[ $(query 'SELECT 1') == 1 ]] || exit 1 ;;
    --innodb_initialized)
      [[ $(query "SELECT 1 FROM information_schema.ENGINES WHERE ENGINE = 'InnoDB' AND SUPPORT IN ('YES', 'DEFAULT', 'ENABLED')") == 1 ]] || exit 1 ;;
    *) echo "healthcheck.sh: unknown check $check" >&2; exit 2 ;;
  esac
done
