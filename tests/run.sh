#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), formatting and lints, Rust tests, then the
# end-to-end tests that drive the kernel through real Jupyter clients. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

install/setup.sh --no-run

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy -D warnings"
cargo clippy --release --locked --workspace --all-targets -- -D warnings

echo "==> cargo clippy -D warnings on mesos-lib as Rust cells build it (--features cell only)"
cargo clippy --release --locked -p mesos-lib --no-default-features --features cell --all-targets -- -D warnings

echo "==> Rust tests"
cargo test --release --locked --workspace
# The library tests that apply to the cells' feature set (light core, bind, session).
cargo test --release --locked -p mesos-lib --no-default-features --features cell --lib

echo "==> End-to-end tests through Jupyter clients"
mkdir -p tests/artifacts
.venv/bin/python -m pytest tests -p no:cacheprovider -v --timeout=900 "$@"
