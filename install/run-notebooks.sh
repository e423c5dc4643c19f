#!/usr/bin/env bash
# The main job: executes every notebook in notebooks/ headless on the Mesos (Rust) kernel and
# says, notebook by notebook, that it ran and where the executed copy is.
#   --refresh   write the outputs back into notebooks/ (the stored outputs readers see on
#               GitHub), instead of into notebooks/executed/
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=notebooks/executed
mkdir -p "$OUT"
refresh=false
[ "${1:-}" = "--refresh" ] && refresh=true
status=0
# The high-availability notebook needs a ZooKeeper: start one on loopback for this run (stopped
# at exit), unless $MESOS_ZK already names one.
if [ -z "${MESOS_ZK:-}" ]; then
  zkdir=$(mktemp -d)
  .venv/bin/python tests/zookeeper.py "$zkdir/zk" >"$zkdir/url" 2>"$zkdir/err" &
  zkpid=$!
  trap 'kill "$zkpid" 2>/dev/null; wait "$zkpid" 2>/dev/null; rm -rf "$zkdir"' EXIT
  # Its first line is the URL; no event to wait on from a shell, so a bounded check.
  for _ in $(seq 1 650); do
    { [ -s "$zkdir/url" ] || [ -s "$zkdir/err" ]; } && break
    sleep 0.1
  done
  if [ -s "$zkdir/url" ]; then
    export MESOS_ZK
    MESOS_ZK=$(head -1 "$zkdir/url")
  fi
fi
for nb in notebooks/[0-9]*.ipynb; do
  name=$(basename "$nb")
  if [ "$name" = 05-high-availability.ipynb ] && [ -z "${MESOS_ZK:-}" ]; then
    echo "skipped  $name: it needs ZooKeeper (as root: apt-get install -y zookeeper; or set MESOS_ZK)"
    continue
  fi
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
