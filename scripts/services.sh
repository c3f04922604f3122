#!/usr/bin/env bash
# Start the local PostgreSQL and MariaDB servers the tests use, if they are stopped.
# On a machine without them, install them from Debian's packages first (needs root).
set -uo pipefail

wait_for() {  # wait_for NAME COMMAND...: up to 60 s
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "services: $name ne répond pas après 60 s" >&2
  return 1
}

need_install=0
command -v pg_ctlcluster >/dev/null 2>&1 || need_install=1
[ -x /usr/sbin/mariadbd ] || need_install=1
if [ "$need_install" = 1 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "services: installation de PostgreSQL et MariaDB (paquets Debian)…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql mariadb-server >/dev/null
  fi
fi

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "services: démarrage de PostgreSQL"
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
fi

if [ -x /usr/sbin/mariadbd ] && ! mariadb-admin -uroot -h127.0.0.1 ping >/dev/null 2>&1; then
  echo "services: démarrage de MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for MariaDB mariadb-admin -uroot -h127.0.0.1 ping
fi
exit 0
