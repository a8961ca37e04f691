#!/usr/bin/env bash
# The batched GPU session for the evidence of issues 2 and 3 (device time is short: everything runs at
# once; builds overlap across cores, timing goes one candidate at a time through the device lock).
#
#   OUT=/some/dir bash stages/verify/gpu/run_evidence.sh all  [seconds]   # builtin + wrong, suites, wrap sweep, peaks
#   OUT=/some/dir WRAP_FROM=earlier/wrap.jsonl bash stages/verify/gpu/run_evidence.sh wrap [seconds]
#                                                     # continue the wrap sweep from an earlier session's results
#   OUT=/some/dir bash stages/verify/gpu/run_evidence.sh recheck [seconds]  # suites + the ten twice-wrapped pairs
#   OUT=/some/dir WRAP_IDS="72 75 78" bash stages/verify/gpu/run_evidence.sh builtin [seconds]
#                                                     # builtin + wrong, and the wrap of those problem ids only
# Needs stages/verify/gpu/data/problems.jsonl: KernelBench's problems as JSONL (`kforge problems` reads the
# same format; a KernelBench checkout's problems exported to it). The folder is ignored: no data is shipped.
set -u
PHASE=${1:-all}
LIMIT=${2:-540}
OUT=${OUT:-/tmp/kforge-evidence}
mkdir -p "$OUT"
H=stages/verify/harness
P=stages/verify/gpu/data/problems.jsonl
if [ ! -f "$P" ]; then
  echo "run_evidence.sh: $P is missing: copy KernelBench's problems JSONL there first (see the comment at the top)" >&2
  exit 2
fi
export PYTHONUNBUFFERED=1 KFORGE_PEAKS_CACHE=/tmp/kforge-peaks.json
T0=$(date +%s)
left() { echo $(( LIMIT - ($(date +%s) - T0) )); }
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c 'import torch,sys; print("torch", torch.__version__, "cuda", torch.version.cuda, "python", sys.version.split()[0], torch.cuda.get_device_name(0), torch.cuda.get_device_capability(0))'
  nproc
} > "$OUT/env.txt" 2>&1  # first: the rest of the script appends

# Issue 3 (b): the level 1-2 references wrapped as trivially correct candidates, ten of them twice
# (the speedup spread of identical code). The shared copy extension is built once, first.
TWICE="1:19 1:23 1:40 1:47 1:1 2:1 2:10 2:20 2:30 2:40"
ONLY=""; WRAP_OUT=wrap.jsonl
if [ "$PHASE" = recheck ]; then ONLY=--only-twice; WRAP_OUT=pairs.jsonl; fi
IDS=""; if [ -n "${WRAP_IDS:-}" ]; then IDS="--ids $WRAP_IDS"; fi
python3 stages/verify/gpu/wrap_references.py --problems "$P" --levels 1 2 --out /tmp/wrap --twice $TWICE $ONLY $IDS >> "$OUT/env.txt" 2>&1
python3 stages/verify/gpu/wrap_references.py --prebuild >> "$OUT/env.txt" 2>&1 &
PRE=$!
if [ -n "${WRAP_FROM:-}" ]; then cp "$WRAP_FROM" "$OUT/wrap.jsonl"; fi

PIDS=()
if [ "$PHASE" = all ] || [ "$PHASE" = builtin ]; then
  # Issue 2: builtin CUDA candidates for L1 19/23/40/47/1 and a wrong ReLU.
  timeout "$(( $(left) - 25 ))" python3 $H/verify.py --jobs docs/gpu/jobs-builtin-and-wrong.jsonl --out "$OUT/builtin.jsonl" \
    --workers 3 > "$OUT/builtin.log" 2>&1 &
  PIDS+=($!)
fi
if [ "$PHASE" = all ] || [ "$PHASE" = recheck ]; then
  # Issue 3 (a): the adversarial and honest suites (cuda fixtures).
  timeout "$(( $(left) - 25 ))" python3 $H/gpu_suite.py --backends cuda --workers 3 --json "$OUT/suite.json" > "$OUT/suite.log" 2>&1 &
  PIDS+=($!)
fi
# The CUDA-only unit tests of profiling and the chunked comparisons: mostly a build, done before the
# wrap sweep starts timing (their few GPU milliseconds would otherwise land inside its timings).
(cd $H/tests && timeout 200 python3 -m unittest -v test_profiling_cuda test_chunked test_timing) > "$OUT/unit.log" 2>&1 &
UNIT=$!
wait $PRE $UNIT
# Issue 3 (b), bounded in time: whatever finishes is reported, the rest is continued with WRAP_FROM.
timeout "$(( $(left) - 25 ))" python3 $H/verify.py --problems "$P" --candidates /tmp/wrap --out "$OUT/$WRAP_OUT" --resume \
  --workers 3 --trials 2 --warmup 2 --repeats 10 --timeout 150 > "$OUT/${WRAP_OUT%.jsonl}.log" 2>&1 &
PIDS+=($!)
for p in "${PIDS[@]}"; do wait "$p"; done
echo "all stopped at +$(( $(date +%s) - T0 ))s" >> "$OUT/env.txt"
# Issue 3 (c): the peak rates the speed-of-light floor used (cached from the first measurement).
# The tool brings back 8 files at most: env.txt also takes the log lines and the peaks.
echo "peaks:" >> "$OUT/env.txt"
python3 -c "
import sys, json, torch; sys.path.insert(0, '$H')
from kforge_harness import speed_of_light
print(json.dumps(speed_of_light.peak_rates(torch.device('cuda')), indent=1))" >> "$OUT/env.txt" 2>&1
tail -n 40 "$OUT"/builtin.log "$OUT"/suite.log "$OUT"/unit.log 2>/dev/null; wc -l "$OUT"/*.jsonl
