#!/usr/bin/env bash
# The main job: executes every notebook in notebooks/ headless on the Mesos (Rust) kernel and
# says, notebook by notebook, that it ran and where the executed copy is.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=notebooks/executed
mkdir -p "$OUT"
status=0
for nb in notebooks/*.ipynb; do
  name=$(basename "$nb")
  start=$(date +%s)
  if .venv/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=mesos \
       --ExecutePreprocessor.timeout=600 --output-dir "$OUT" "$nb" >"$OUT/${name%.ipynb}.log" 2>&1; then
    echo "ran      $name in $(( $(date +%s) - start )) s -> $OUT/$name"
  else
    echo "FAILED   $name (log: $OUT/${name%.ipynb}.log)"
    status=1
  fi
done
exit $status
