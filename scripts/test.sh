#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian 12 machine, then lint, type-check and test.
# As root it installs the system tools with apt (binutils, gcc, musl-tools, upx-ucl from
# bookworm-backports, golang-1.19 for the Go 1.18/1.19 pclntab layout, hyperfine); as another
# user it uses whatever is installed and the affected tests skip with an install hint.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' \
      > /etc/apt/sources.list.d/bookworm-backports.list
  fi
  need=()
  for pair in readelf:binutils gcc:gcc musl-gcc:musl-tools hyperfine:hyperfine git:git; do
    command -v "${pair%%:*}" >/dev/null || need+=("${pair##*:}")
  done
  [ -x /usr/lib/go-1.19/bin/go ] || need+=(golang-1.19-go)
  if [ ${#need[@]} -gt 0 ] || ! command -v upx >/dev/null; then
    apt-get update -qq
    [ ${#need[@]} -eq 0 ] || apt-get install -y -qq "${need[@]}" >/dev/null
    command -v upx >/dev/null || apt-get install -y -qq -t bookworm-backports upx-ucl >/dev/null
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
