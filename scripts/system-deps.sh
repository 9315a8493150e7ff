#!/usr/bin/env bash
# The programs `make test` runs that pip cannot install. As root, installs the missing ones with
# apt; otherwise prints the one `sudo apt-get install` line that would, and fails.
set -euo pipefail

# program:Debian package, one line per program the suite runs. writers/tests/test_system_deps.py
# fails when a test runs a program missing here, or when a line here is no longer used.
TOOLS=(
  initdb:postgresql
  postgres:postgresql
  createdb:postgresql
  pg_ctl:postgresql
  ffmpeg:ffmpeg
  chromium:chromium
  nginx:nginx-light
  promtool:prometheus
  amtool:prometheus-alertmanager
  prometheus-alertmanager:prometheus-alertmanager
  openssl:openssl
  espeak-ng:espeak-ng
  curl:curl
)

# Where programs live that are not on a user's PATH: Debian keeps nginx in /usr/sbin and the
# PostgreSQL server under /usr/lib/postgresql/<version>/bin (scripts/services.py looks there too).
# Space-separated, globs allowed; the tests set it empty to see only PATH.
SEARCH_DIRS=${SYSTEM_DEPS_DIRS-/usr/sbin /usr/lib/postgresql/*/bin}

found() {
  command -v "$1" >/dev/null && return 0
  local dir
  # Unquoted on purpose: split on spaces and expand the globs.
  for dir in $SEARCH_DIRS; do
    [ -x "$dir/$1" ] && return 0
  done
  return 1
}

# With arguments, only those programs: `make test-gpu` needs PostgreSQL and ffmpeg, not a browser.
wanted=" $* "
missing=()
for entry in "${TOOLS[@]}"; do
  tool=${entry%%:*}
  package=${entry#*:}
  [ $# -eq 0 ] || [[ "$wanted" == *" $tool "* ]] || continue
  found "$tool" && continue
  [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$EUID" -ne 0 ]; then
  echo "sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing what the tests need: ${missing[*]}" >&2
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
# Packages that start their daemon on install: the tests start their own.
service nginx stop >/dev/null 2>&1 || true
service prometheus stop >/dev/null 2>&1 || true
service prometheus-alertmanager stop >/dev/null 2>&1 || true
