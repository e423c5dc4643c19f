#!/usr/bin/env bash
# Installs everything the kernel, the tutorial and the tests need, from this repository's own
# files and the package registries, then (unless --no-run) runs the main job.
#
#   install/setup.sh            set up, then execute the tutorial notebooks headless
#   install/setup.sh --lab      set up, then open JupyterLab on notebooks/
#   install/setup.sh --no-run   set up only (the test command uses this)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=run
case "${1:-}" in
  --lab) MODE=lab ;;
  --no-run) MODE=none ;;
  "") ;;
  *) echo "usage: install/setup.sh [--lab|--no-run]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }

step "Rust toolchain: rust-src (for completions of std items in Rust cells)"
rustup component add rust-src >/dev/null 2>&1 || rustup component add rust-src

step "Building the kernel and mesos-local (release: evcxr is 10-40x slower unoptimised)"
cargo build --release --locked -p mesos-kernel --bins
# The kernel starts the embedded Mesos as a separate process, found next to its own binary.
cargo build --release --locked -p mesos-local

step "Rust cells: mesos-lib built once for every kernel (the first cell of a notebook would pay it)"
# Kept in the kernel's cache directory (~/.cache/mesos-kernel); a second run finds it fresh.
target/release/mesos-kernel prepare

step "Python virtualenv .venv with Jupyter (install/requirements.txt)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! cmp -s install/requirements.txt .venv/.requirements.installed 2>/dev/null; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r install/requirements.txt
  cp install/requirements.txt .venv/.requirements.installed
fi

step "Kernelspec 'mesos' (Mesos (Rust)) into .venv"
VIRTUAL_ENV=$ROOT/.venv target/release/mesos-kernel install --sys-prefix
.venv/bin/jupyter kernelspec list | grep -E '^\s*mesos\s' || { echo "kernelspec not visible" >&2; exit 1; }

step "ZooKeeper tests: Debian's zookeeper package (the jar and a JRE)"
# mesos-lib/tests/zk_ha.rs runs a real ZooKeeper in the foreground from this jar; the package
# itself starts no service.
if [ ! -f /usr/share/java/zookeeper.jar ]; then
  if [ "$(id -u)" -eq 0 ]; then
    AS_ROOT=env
  elif command -v sudo >/dev/null 2>&1; then
    AS_ROOT="sudo env"
  else
    AS_ROOT=
  fi
  if [ -n "$AS_ROOT" ]; then
    $AS_ROOT apt-get update -q
    $AS_ROOT DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends zookeeper
  else
    echo "setup: /usr/share/java/zookeeper.jar is missing, and this user is not root and has no sudo:" >&2
    echo "setup: as root, run 'apt-get install -y zookeeper' (the ZooKeeper tests fail without it)" >&2
  fi
fi

step "Browser test: Debian's Chromium and playwright-core (tests/package-lock.json)"
# The browser test drives JupyterLab with playwright-core and the system Chromium; Playwright's
# own browser downloads are never used (and could not be fetched here).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    AS_ROOT=env
  elif command -v sudo >/dev/null 2>&1; then
    AS_ROOT="sudo env"
  else
    AS_ROOT=
  fi
  if [ -n "$AS_ROOT" ]; then
    $AS_ROOT apt-get update -q
    $AS_ROOT DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
  else
    echo "setup: /usr/bin/chromium is missing, and this user is not root and has no sudo:" >&2
    echo "setup: as root, run 'apt-get install -y chromium' (the browser test fails without it)" >&2
  fi
fi
if command -v npm >/dev/null 2>&1; then
  if ! cmp -s tests/package-lock.json tests/node_modules/.lock.installed 2>/dev/null; then
    (cd tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    cp tests/package-lock.json tests/node_modules/.lock.installed
  fi
else
  echo "setup: npm (Node.js 20 or newer) is missing: install it; the browser test fails without it" >&2
fi

case "$MODE" in
  run) exec install/run-notebooks.sh ;;
  lab) exec .venv/bin/jupyter lab --ip=127.0.0.1 --notebook-dir="$ROOT/notebooks" ;;
  none) ;;
esac
