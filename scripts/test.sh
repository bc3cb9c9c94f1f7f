#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian 12 machine, then lint, type-check and test.
# As root the tools gobinopt drives come from gobinopt's own installer (`gobinopt doctor
# --install`: binutils, gcc, musl-tools, hyperfine, and upx-ucl from bookworm-backports, whose
# source it adds from the system's own mirror), plus golang-1.19 (the Go 1.18/1.19 pclntab
# layout) and git; as another user it uses whatever is installed and the affected tests skip
# with an install hint.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  .venv/bin/gobinopt doctor --install strip gcc upx musl-gcc hyperfine
  need=()
  command -v git >/dev/null || need+=(git)
  [ -x /usr/lib/go-1.19/bin/go ] || need+=(golang-1.19-go)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
