#!/usr/bin/env bash
# The GPU path in one go, for a host with an NVIDIA GPU and its driver, Python 3.11, pip and a
# network (apt as root for PostgreSQL and ffmpeg when missing): installs into .venv, runs
# `make test-gpu` and `make bench-gpu`, and leaves under $OUT (default var/gpu-check) what to
# commit: host.txt, install.log, test-gpu.log, bench-gpu.log, RESULTS.md and summary.txt.
# About 10 minutes; each step has its own timeout. Exits non-zero when any step failed.
#
#   scripts/gpu-check.sh            # or: make gpu-check
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-var/gpu-check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
failed=()

# step NAME SECONDS COMMAND...: runs COMMAND with a timeout, its output to $OUT/NAME.log.
step() {
  local name=$1 seconds=$2 started=$SECONDS code=0
  shift 2
  echo "== $name: $*" >&2
  timeout --kill-after=30 "$seconds" "$@" >"$OUT/$name.log" 2>&1 || code=$?
  tail -n 25 "$OUT/$name.log" >&2
  [ "$code" -eq 124 ] && echo "$name: timed out after ${seconds}s" >>"$OUT/$name.log"
  echo "$name: exit $code in $((SECONDS - started)) s" | tee -a "$OUT/summary.txt" >&2
  [ "$code" -eq 0 ] || failed+=("$name")
  return 0
}

{
  date -u +"%Y-%m-%d %H:%M UTC"
  nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv 2>&1 \
    || echo "nvidia-smi failed: no NVIDIA driver here?"
  # CTranslate2 opens libcublas.so.12: a CUDA 13 host without requirements-gpu.txt has only .so.13.
  ldconfig -p 2>&1 | grep -E "libcublas|libcuda\.so" || echo "ldconfig: no system cuBLAS or libcuda"
  python3 --version
  uname -srm
} >"$OUT/host.txt"
: >"$OUT/summary.txt"

step install 600 make install-dev
if [ ${#failed[@]} -eq 0 ]; then
  step test-gpu 480 make test-gpu PYTEST_ARGS="-p no:cacheprovider -rA"
  step bench-gpu 420 make bench-gpu
  cp bench/RESULTS.md "$OUT/RESULTS.md"
fi

if [ ${#failed[@]} -ne 0 ]; then
  echo "FAILED: ${failed[*]} (logs in $OUT)" | tee -a "$OUT/summary.txt" >&2
  exit 1
fi
echo "OK: commit bench/RESULTS.md and the figures in README (logs in $OUT)" \
  | tee -a "$OUT/summary.txt" >&2
