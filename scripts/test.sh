#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian 12 machine, then lint, type-check and test.
# As root it also installs docker.io and mmdebstrap, starts dockerd when no daemon answers
# (log: /tmp/gobinopt-dockerd.log) and imports the gobinopt/bookworm test image once.
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
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
  command -v chromium >/dev/null || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

# The Docker tests need a daemon: start one when none answers (as root), wait for its socket,
# and import the Debian test image once (kept by the daemon, so later runs reuse it). Without
# a daemon the Docker tests skip with the reason.
docker_up() { .venv/bin/python -c 'import docker; docker.from_env(timeout=5).ping()' 2>/dev/null; }
if ! docker_up && [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null; then
  echo "starting dockerd (log: /tmp/gobinopt-dockerd.log)"
  setsid nohup dockerd >/tmp/gobinopt-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 30); do docker_up && break; sleep 1; done
fi
if docker_up && command -v mmdebstrap >/dev/null; then
  if ! .venv/bin/gobinopt envs import bookworm; then
    echo "warning: gobinopt envs import bookworm failed" >&2
    [ "${CI:-}" != true ] || exit 1
  fi
fi
# On CI the Docker tests must run, not skip: no daemon there is a failure of the set-up.
if [ "${CI:-}" = true ] && ! docker_up; then
  echo "error: no Docker daemon answers; CI runs the Docker tests against a real one" >&2
  exit 1
fi

.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
