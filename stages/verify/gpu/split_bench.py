#!/usr/bin/env python3
"""GPU-busy seconds per candidate with and without builds split off the GPU (GPU host, < 5 minutes).

    python3 stages/verify/gpu/split_bench.py --dev stages/verify/gpu/data/leaderboard-dev.jsonl --out "$OUT"

A handful of real CUDA candidates (fidelity.py's select() / job_for(), default 2 per level of 1 2 3), each
run three ways with fresh build folders (nothing cached):
  single: `verify.py` as today; a GPU worker running one job at a time is held for its import (which
          builds) and its measurements: load_s + gpu_busy_s;
  build:  `verify.py --phase build --build-store S --cuda-arch <this GPU>` (GPUs hidden), all cores;
  gpu:    `verify.py --phase gpu --build-store S --workers 1`: the GPU worker's time is the job's wall_s.
Writes split_bench.jsonl (one row per candidate) and split_bench.md (table, sums, verdict agreement) to --out.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fidelity import job_for, select  # noqa: E402
from fidelity_report import load_jsonl  # noqa: E402

VERIFY = HERE.parent / "harness" / "verify.py"
SAME = ("correct", "fail_stage", "compiled", "trials_passed", "suspect")


def harness(name: str, jobs: Path, work: Path, args: list[str], limit_s: float) -> dict[str, dict[str, Any]]:
    out = work / f"{name}.jsonl"
    started = time.monotonic()
    cmd = [sys.executable, str(VERIFY), "--jobs", str(jobs), "--out", str(out), "--scratch-root", str(work / "scratch"), *args]
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    try:
        subprocess.run(cmd, timeout=limit_s, check=False)
    except subprocess.TimeoutExpired:
        print(f"split_bench: {name} ran past {limit_s:.0f} s; using the results it wrote", file=sys.stderr)
    print(f"split_bench: {name} took {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return {r["candidate_id"]: r for r in load_jsonl(out)} if out.exists() else {}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dev", type=Path, required=True, help="JSONL of real candidates (leaderboard-dev.jsonl format)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--levels", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--limit-per-level", type=int, default=2)
    p.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1), help="single and build phases")
    args = p.parse_args()
    if not args.dev.is_file():
        p.error(f"--dev {args.dev}: no such file (the dev set is not shipped: copy it into stages/verify/gpu/data/, which is ignored)")
    import torch

    major, minor = torch.cuda.get_device_capability()
    lines = select(load_jsonl(args.dev), args.levels, args.limit_per_level)
    work = Path(tempfile.mkdtemp(prefix="kforge-split-"))
    jobs = work / "jobs.jsonl"
    jobs.write_text("".join(json.dumps(job_for(x)) + "\n" for x in lines), encoding="utf-8")
    store = ["--build-store", str(work / "store")]
    w = ["--workers", str(args.workers)]
    single = harness("single", jobs, work, w + ["--build-root", str(work / "b-single")], 120)
    build = harness("build", jobs, work, w + store + ["--phase", "build", "--cuda-arch", f"{major}.{minor}",
                                                     "--build-root", str(work / "b-build")], 100)
    gpu = harness("gpu", jobs, work, ["--workers", "1", "--phase", "gpu", "--build-root", str(work / "b-gpu"), *store], 60)

    rows = []
    for cid in (str(x["id"]) for x in lines):
        s, b, g = single.get(cid, {}), build.get(cid, {}), gpu.get(cid, {})
        # A build failure is final in the build phase: no gpu phase for it.
        final = b if b.get("fail_stage") else g
        rows.append({
            "candidate_id": cid, "single_gpu_s": (s.get("load_s") or 0) + (s.get("gpu_busy_s") or 0) if s else None,
            "single_build_s": s.get("build_wall_s"), "build_cpu_s": b.get("build_cpu_s"), "build_source": g.get("build_source"),
            "split_gpu_wall_s": g.get("wall_s"), "split_load_s": g.get("load_s"), "split_gpu_busy_s": g.get("gpu_busy_s"),
            "same_verdict": bool(s and final) and all(s.get(k) == final.get(k) for k in SAME),
            "verdict": "PASS" if final.get("correct") else (final.get("fail_stage") or "?"),
        })
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "split_bench.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    head = "| candidate | verdict | same | single: load+gpu s | build cpu s | split: gpu wall s | load s | busy s | source |"
    md = [f"# Builds split off the GPU ({torch.cuda.get_device_name()}, {len(rows)} candidates)", "", head,
          "|---|---|---|---|---|---|---|---|---|"]
    fmt = lambda v: "-" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))  # noqa: E731
    for r in rows:
        md.append(f"| {r['candidate_id'][:40]} | {r['verdict']} | {r['same_verdict']} | {fmt(r['single_gpu_s'])} | "
                  f"{fmt(r['build_cpu_s'])} | {fmt(r['split_gpu_wall_s'])} | {fmt(r['split_load_s'])} | "
                  f"{fmt(r['split_gpu_busy_s'])} | {r['build_source']} |")
    total = lambda k: sum(r[k] or 0 for r in rows)  # noqa: E731
    md += ["", f"GPU seconds, sum: single {total('single_gpu_s'):.1f}, split {total('split_gpu_wall_s'):.1f} "
           f"(of which load {total('split_load_s'):.1f}); build CPU seconds {total('build_cpu_s'):.1f}; "
           f"verdicts agree on {sum(r['same_verdict'] for r in rows)}/{len(rows)}", ""]
    (args.out / "split_bench.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
