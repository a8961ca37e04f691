#!/usr/bin/env bash
# One batched GPU session for the evidence of issues 2, 3 and 4 (device time is short: everything runs
# at once, builds in parallel, timing one at a time through the harness's device lock).
#   OUT=/some/dir bash kernelbench/gpu/run_evidence.sh [seconds-for-the-wrap-sweep]
set -u
OUT=${OUT:-/tmp/kforge-evidence}
WRAP_S=${1:-420}
mkdir -p "$OUT"
H=kernelbench/harness
export PYTHONUNBUFFERED=1 KFORGE_PEAKS_CACHE=/tmp/kforge-peaks.json
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c 'import torch,sys; print("torch", torch.__version__, "cuda", torch.version.cuda, "python", sys.version.split()[0], torch.cuda.get_device_name(0), torch.cuda.get_device_capability(0))'
  nproc
} > "$OUT/env.txt" 2>&1

# Issue 3 (b): references wrapped as trivially correct candidates, ten of them twice (speedup spread).
python3 kernelbench/gpu/wrap_references.py --problems kernelbench/gpu/data/problems.jsonl --levels 1 2 --out /tmp/wrap \
  --twice 1:19 1:23 1:40 1:47 1:1 2:1 2:10 2:20 2:30 2:40 >> "$OUT/log.txt" 2>&1

# Issues 2 and 4: builtin CUDA candidates for L1 19/23/40/47/1 and a wrong one.
timeout 520 python3 $H/verify.py --jobs docs/gpu/jobs-builtin-and-wrong.jsonl --out "$OUT/builtin.jsonl" --workers 8 > "$OUT/builtin.log" 2>&1 &
A=$!
# Issue 3 (a): the adversarial and honest suites (cuda fixtures).
timeout 520 python3 $H/gpu_suite.py --backends cuda --workers 4 --json "$OUT/suite.json" > "$OUT/suite.log" 2>&1 &
B=$!
# Issue 3 (b), bounded in time: whatever finishes is reported, the rest is listed as not run.
timeout "$WRAP_S" python3 $H/verify.py --problems kernelbench/gpu/data/problems.jsonl --candidates /tmp/wrap \
  --out "$OUT/wrap.jsonl" --workers 4 --trials 2 --warmup 2 --repeats 10 --timeout 150 > "$OUT/wrap.log" 2>&1 &
C=$!
wait $A; echo "builtin done $(date +%T)" >> "$OUT/log.txt"
wait $B; echo "suite done $(date +%T)" >> "$OUT/log.txt"
wait $C; echo "wrap done/stopped $(date +%T)" >> "$OUT/log.txt"
# Issue 3 (c): the peak rates the speed-of-light floor used.
python3 -c "
import sys, json, torch; sys.path.insert(0, '$H')
from kforge_harness import speed_of_light
print(json.dumps(speed_of_light.peak_rates(torch.device('cuda')), indent=1))" > "$OUT/peaks.json" 2>> "$OUT/log.txt"
tail -n 30 "$OUT/builtin.log" "$OUT/suite.log"; wc -l "$OUT"/*.jsonl
