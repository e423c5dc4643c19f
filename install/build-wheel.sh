#!/usr/bin/env bash
# Builds the `mesos-kernel` wheel into target/wheels/: maturin (from PyPI, in .venv) packages the
# kernel binary (binary bindings); this script first stages what goes beside it in the wheel's
# data directory (kernel/pyproject.toml names it):
#   scripts/mesos-local                      the embedded Mesos, onto the environment's PATH
#   data/share/jupyter/kernels/mesos/        the kernelspec, started as `python -m mesos_kernel`
#   data/share/mesos-kernel/mesos-lib/       mesos-lib's sources for Rust cells, self-contained
# Release builds into the workspace's target/, so a built tree makes this incremental.
#   install/build-wheel.sh            (MATURIN=… picks another maturin)
set -euo pipefail
cd "$(dirname "$0")/.."
MATURIN=${MATURIN:-.venv/bin/maturin}
# The cargo selection that builds mesos-local: the one place to change if it moves.
MESOS_LOCAL_BUILD=(-p mesos-local)
STAGE=target/wheel/mesos_kernel.data
KERNELSPEC=$STAGE/data/share/jupyter/kernels/mesos
rm -rf "$STAGE"
mkdir -p "$STAGE/scripts" "$KERNELSPEC" "$STAGE/data/share/mesos-kernel"

cargo build --release --locked "${MESOS_LOCAL_BUILD[@]}"
cp target/release/mesos-local "$STAGE/scripts/"

# The kernelspec: the template's binary path becomes `python -m mesos_kernel` (jupyter_client
# puts the Python running Jupyter in place of a bare `python`).
sed 's|"@MESOS_KERNEL_EXE@"|"python", "-m", "mesos_kernel"|' install/kernel.json.in >"$KERNELSPEC/kernel.json"
cp install/logo-32x32.png install/logo-64x64.png install/logo-svg.svg "$KERNELSPEC/"

# mesos-lib's manifest inherits from the workspace (`version.workspace = true`…), which is not
# installed: `cargo package` writes the normalised, standalone manifest cargo publishes.
rm -f target/package/mesos-lib-*.crate
cargo package --locked -p mesos-lib --no-verify --allow-dirty --quiet
crate=$(ls target/package/mesos-lib-*.crate)
tar -xzf "$crate" -C "$STAGE/data/share/mesos-kernel"
mv "$STAGE/data/share/mesos-kernel/$(basename "$crate" .crate)" "$STAGE/data/share/mesos-kernel/mesos-lib"

rm -f target/wheels/mesos_kernel-*.whl
"$MATURIN" build --release --locked -m kernel/Cargo.toml -o target/wheels
ls target/wheels/mesos_kernel-*.whl
