#!/usr/bin/env bash
# Makes sure the services the tests need exist on this machine:
#   scripts/ensure-services.sh            # NATS, PostgreSQL and Chromium
#   scripts/ensure-services.sh nats       # only NATS (for `make up`)
#   scripts/ensure-services.sh postgres   # only PostgreSQL
#   scripts/ensure-services.sh chromium   # only Chromium (the web app's browser tests)
# Idempotent. Installs with apt-get (Debian/Ubuntu) and needs root for that.
# NATS_URL / DATABASE_URL, when set, mean "use that server" and skip the checks.
set -euo pipefail

say() { echo "ensure-services: $*"; }
die() { echo "ensure-services: ERROR: $*" >&2; exit 1; }

# Run as root: directly, or via password-less sudo, or fail with a clear message.
as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else die "need root to run '$*' (re-run as root, or install it yourself, or set NATS_URL/DATABASE_URL)"
  fi
}

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not available; install $* yourself"
  if [[ $APT_UPDATED -eq 0 ]]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  say "apt-get install -y $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Debian installs nats-server and pg_ctlcluster into sbin dirs that a non-root PATH lacks.
export PATH="$PATH:/usr/sbin:/usr/local/sbin:/usr/local/bin"

# Path of an executable nats-server on PATH, or nothing (same lookup as the test harness).
find_nats() {
  local dir
  local IFS=:
  for dir in $PATH; do
    if [[ -n "$dir" && -f "$dir/nats-server" && -x "$dir/nats-server" ]]; then
      echo "$dir/nats-server"
      return 0
    fi
  done
  return 1
}

ensure_nats() {
  if [[ -n "${NATS_URL:-}" ]]; then
    say "NATS_URL is set ($NATS_URL); not checking for nats-server"
    return
  fi
  local bin
  if ! bin=$(find_nats); then
    say "nats-server not found; installing it"
    apt_install nats-server
    bin=$(find_nats) || die "nats-server still not found after installing it"
  fi
  say "nats-server: $bin ($("$bin" --version 2>&1))"
}

pg_answers() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h 127.0.0.1 -p 5432 -t 3
  else
    timeout 3 bash -c '</dev/tcp/127.0.0.1/5432' 2>/dev/null
  fi
}

# Succeeds if psql can run a query at $1 without prompting.
pg_login_ok() {
  PGCONNECT_TIMEOUT=5 psql -w -X -q -At "$1" -c 'SELECT 1' </dev/null >/dev/null 2>&1
}

start_local_postgres() {
  if ! command -v pg_ctlcluster >/dev/null; then
    say "PostgreSQL not installed; installing it"
    apt_install postgresql
  fi
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z "$version" ]]; then
    # Binaries present but no cluster (e.g. create_main_cluster=false).
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    say "creating PostgreSQL $version cluster 'main'"
    as_root pg_createcluster "$version" main >/dev/null
  fi
  say "starting PostgreSQL $version cluster 'main'"
  # Idempotent: exit code 2 means "already running".
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || [[ $? -eq 2 ]]
  local i
  for i in $(seq 1 60); do
    pg_answers && return 0
    sleep 0.5 # polling a condition, bounded to 30s
  done
  die "PostgreSQL $version did not start answering on 127.0.0.1:5432 within 30s"
}

ensure_postgres() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    say "DATABASE_URL is set; not checking local PostgreSQL"
    return
  fi
  if pg_answers; then
    say "PostgreSQL answers on 127.0.0.1:5432"
  else
    start_local_postgres
  fi

  # The test harness tries these two URLs, in this order.
  local trust_url='postgres://postgres@127.0.0.1:5432/postgres'
  local password_url='postgres://postgres:postgres@127.0.0.1:5432/postgres'
  if ! command -v psql >/dev/null; then
    say "psql not installed; cannot verify the postgres login (harness tries $trust_url and postgres:postgres@)"
    return
  fi
  if pg_login_ok "$trust_url"; then
    say "login ok: $trust_url"
  elif pg_login_ok "$password_url"; then
    say "login ok: postgres://postgres:***@127.0.0.1:5432/postgres"
  else
    # Debian's pg_hba.conf uses scram for 127.0.0.1 but peer auth on the local
    # socket, so the postgres OS user can set a password for TCP logins.
    say "cannot log in as role postgres over TCP; setting its password to 'postgres' (local test machine only)"
    (cd / && as_root runuser -u postgres -- psql -X -q -c "ALTER USER postgres PASSWORD 'postgres'" </dev/null) \
      || die "could not set the postgres password; set DATABASE_URL to a server where you may CREATE DATABASE"
    pg_login_ok "$password_url" \
      || die "still cannot log in at postgres://postgres:***@127.0.0.1:5432/postgres; check pg_hba.conf or set DATABASE_URL"
    say "login ok: postgres://postgres:***@127.0.0.1:5432/postgres"
  fi
}

# The browser tests drive Debian's Chromium with playwright-core (its own browser download
# cannot reach the network here). PARLEY_CHROMIUM, when set, names another binary.
ensure_chromium() {
  local bin="${PARLEY_CHROMIUM:-/usr/bin/chromium}"
  if [[ ! -x "$bin" ]]; then
    [[ -n "${PARLEY_CHROMIUM:-}" ]] && die "PARLEY_CHROMIUM=$bin is not an executable"
    say "chromium not found; installing it"
    apt_install chromium
  fi
  say "chromium: $bin ($("$bin" --version 2>/dev/null | head -n 1))"
}

case "${1:-all}" in
  nats) ensure_nats ;;
  postgres) ensure_postgres ;;
  chromium) ensure_chromium ;;
  all) ensure_nats; ensure_postgres; ensure_chromium ;;
  *) die "usage: $0 [nats|postgres|chromium]" ;;
esac
