"""GPU run of the builtin provider's Triton kernels and fp16/bf16 CUDA kernels on KernelBench level 1
problems 1, 19, 23, 40, 47, each against PyTorch eager at the same precision (docs/triton-gpu.md,
docs/precision-gpu.md). No Node: the candidates were rendered in TypeScript into
test/fixtures/gpu/precision-jobs.jsonl (stages/providers/builtin/render-precision-jobs.ts); this script
hands the jobs to the harness's verify.py and tabulates its results: correctness, speedup, the
speed-of-light floor with its bytes term (min_bytes at the dtype's size), and every skipped
combination with its reason.

    OUT=/tmp/kf-precision python3 stages/verify/gpu/precision_triton.py [--jobs FILE] [--workers 8] [--only SUBSTRING]

Writes $OUT/jobs.jsonl, $OUT/results.jsonl (the harness's results), $OUT/harness.log, $OUT/summary.json
and $OUT/summary.md (the tables for the docs), $OUT/env.txt. About 3-4 minutes on one H200.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
VERIFY = REPO / "stages/verify/harness/verify.py"


def _fmt(x: object, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec) if isinstance(x, (int, float)) else str(x)


def summarise(lines: list[dict], results: dict[str, dict]) -> list[dict]:
    rows = []
    for line in lines:
        row = {"problem": line["problem"], "backend": line["backend"], "precision": line["precision"]}
        if line.get("skipped"):
            rows.append({**row, "status": "skipped", "reason": line["skipped"]})
            continue
        r = results.get(line["job"]["candidate_id"])
        if r is None:
            rows.append({**row, "status": "no result", "candidate": line["job"]["candidate_id"]})
            continue
        facts = r.get("problem_facts") or {}
        rows.append({**row, "candidate": r["candidate_id"], "idea": line.get("idea"),
                     "status": "correct" if r["correct"] else f"FAIL {r['fail_stage']}",
                     "fail_message": (r.get("fail_message") or "")[:300] or None,
                     "speedup": r["speedup"], "kernel_ms": r["kernel_time_ms"], "ref_ms": r["ref_time_ms"],
                     "sol_floor_ms": r["sol_floor_ms"], "sol_fraction": r["sol_fraction"],
                     "min_bytes": facts.get("min_bytes"), "flops": facts.get("flops"),
                     "input_dtypes": facts.get("input_dtypes"), "atol": r["atol"], "max_abs_error": r["max_abs_error"],
                     "flags": r["flags"]})
    return rows


def markdown(rows: list[dict]) -> str:
    head = "| problem | backend | precision | verdict | speedup vs eager | kernel ms | eager ms | floor ms | floor / kernel | min bytes (GB) | max abs err |"
    out = [head, "|" + "---|" * 11]
    for r in rows:
        if r["status"] == "skipped":
            out.append(f"| {r['problem']} | {r['backend']} | {r['precision']} | skipped: {r['reason']} |||||||||")
            continue
        gb = r.get("min_bytes") / 1e9 if r.get("min_bytes") else None
        out.append(f"| {r['problem']} | {r['backend']} | {r['precision']} | {r['status']} | {_fmt(r.get('speedup'))} | "
                   f"{_fmt(r.get('kernel_ms'))} | {_fmt(r.get('ref_ms'))} | {_fmt(r.get('sol_floor_ms'))} | "
                   f"{_fmt(r.get('sol_fraction'), '.2f')} | {_fmt(gb, '.2f')} | {_fmt(r.get('max_abs_error'), '.2g')} |")
    fails = [r for r in rows if r["status"].startswith("FAIL") or r["status"] == "no result"]
    for r in fails:
        out.append(f"\n- {r['problem']} {r['backend']} {r['precision']}: {r['status']}: {r.get('fail_message')}")
    return "\n".join(out) + "\n"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=Path, default=REPO / "test/fixtures/gpu/precision-jobs.jsonl")
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--only", default="", help="keep lines whose problem/backend/precision contain this")
    a = p.parse_args()
    out = Path(os.environ.get("OUT") or "/tmp/kf-precision")
    out.mkdir(parents=True, exist_ok=True)
    lines = [json.loads(x) for x in a.jobs.read_text(encoding="utf-8").splitlines() if x.strip()]
    lines = [x for x in lines if a.only in f"{x['problem']} {x['backend']} {x['precision']}"]
    jobs = [x["job"] for x in lines if not x.get("skipped")]
    (out / "jobs.jsonl").write_text("".join(json.dumps(j) + "\n" for j in jobs), encoding="utf-8")
    env = subprocess.run([sys.executable, "-c", "import torch, sys\ntry:\n import triton; t = triton.__version__\nexcept Exception as e:\n t = repr(e)\n"
                          "print('torch', torch.__version__, 'cuda', torch.version.cuda, 'triton', t, 'python', sys.version.split()[0],"
                          " torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU')"], capture_output=True, text=True)
    (out / "env.txt").write_text(env.stdout + env.stderr, encoding="utf-8")
    t0 = time.monotonic()
    with open(out / "harness.log", "w", encoding="utf-8") as log:
        subprocess.run([sys.executable, str(VERIFY), "--jobs", str(out / "jobs.jsonl"), "--out", str(out / "results.jsonl"),
                        "--workers", str(a.workers), "--build-root", "/tmp/kf-precision-builds"],
                       stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1",
                                                                   "KFORGE_PEAKS_CACHE": str(out / "peaks.json")})
    wall = time.monotonic() - t0
    results = {}
    if (out / "results.jsonl").exists():
        for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
            if x.strip():
                r = json.loads(x)
                results[r["candidate_id"]] = r
    rows = summarise(lines, results)
    (out / "summary.json").write_text(json.dumps({"wall_s": round(wall, 1), "rows": rows}, indent=1), encoding="utf-8")
    text = markdown(rows) + f"\nharness wall time {wall:.0f} s, {len(jobs)} jobs; {env.stdout.strip()}\n"
    (out / "summary.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
