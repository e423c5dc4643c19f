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
if cargo metadata --no-deps --format-version 1 2>/dev/null | grep -q '"name":"mesos-local"'; then
  cargo build --release --locked -p mesos-lib --bin mesos-local
fi

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

case "$MODE" in
  run) exec install/run-notebooks.sh ;;
  lab) exec .venv/bin/jupyter lab --ip=127.0.0.1 --notebook-dir="$ROOT/notebooks" ;;
  none) ;;
esac
