#!/usr/bin/env bash
# The main job: executes every notebook in notebooks/ headless on the Mesos (Rust) kernel and
# says, notebook by notebook, that it ran and where the executed copy is.
#   --refresh   write the outputs back into notebooks/ (the stored outputs readers see on
#               GitHub), instead of into notebooks/executed/
#   NOTEBOOK…   only these notebooks (default: every notebooks/[0-9]*.ipynb)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=notebooks/executed
mkdir -p "$OUT"
refresh=false
if [ "${1:-}" = "--refresh" ]; then
  refresh=true
  shift
fi
status=0
# Nothing to set up: the high-availability notebook's masters elect their leader in a ZooKeeper
# the embedded Mesos starts for itself ($MESOS_ZK, when set, names another one).
if [ $# -gt 0 ]; then
  notebooks=("$@")
else
  notebooks=(notebooks/[0-9]*.ipynb)
fi
for nb in "${notebooks[@]}"; do
  name=$(basename "$nb")
  start=$(date +%s)
  if $refresh; then
    target=(--inplace)
    where=$nb
  else
    target=(--output-dir "$OUT")
    where=$OUT/$name
  fi
  if .venv/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=mesos \
       --ExecutePreprocessor.timeout=600 "${target[@]}" "$nb" >"$OUT/${name%.ipynb}.log" 2>&1; then
    echo "ran      $name in $(( $(date +%s) - start )) s -> $where"
  else
    echo "FAILED   $name (log: $OUT/${name%.ipynb}.log)"
    status=1
  fi
done
exit $status
