#!/usr/bin/env python3
"""Real-world fidelity: kernels KernelBench's own harness accepted, run through ours (GPU host).

    python3 stages/verify/gpu/fidelity.py --dev stages/verify/gpu/data/leaderboard-dev.jsonl --out "$OUT" \\
        --levels 2 3 1 --limit-per-level 60 --deadline 570 [--skip-ids FILE] [--first ID ...]

Each line of the dev set (a JSONL of real candidates, kept outside the repository: id, level, problem_id, problem_name,
problem_code, kernel_source, model, kernelbench_v0) becomes one VerifyJob against the reference as the
kernel was written against, at KernelBench v0's tolerance (`loose`: 1e-2). The harness runs them
(`verify.py --resume`), stopped at the deadline: run the same command again to continue. Results and
builds live in `--work` (an ignored folder of the checkout, so they outlive one command's fresh $OUT);
`fidelity.jsonl` (results) and `fidelity.md` (tables, fidelity_report.py) are copied to `--out` at the
end of every run. `--report-only` rewrites the tables from the results there.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HARNESS = HERE.parent / "harness"
sys.path.insert(0, str(HARNESS))
sys.path.insert(0, str(HERE))

from kforge_harness.protocol import VerifyJob  # noqa: E402
from fidelity_report import load_jsonl, write_report  # noqa: E402

# Time-bounded settings: 3 correctness draws (KernelBench v0 used 5), 3 warm-up and 20 timed calls each.
JOB_SETTINGS: dict[str, Any] = {"tolerance_policy": "loose", "trials": 3, "warmup": 3, "repeats": 20,
                                "timeout_s": 180.0, "seed": 42, "compile_reference": False}
GRACE_S = 30  # after SIGTERM at the deadline, how long verify.py gets to kill its workers
WORK = HERE / "data" / "fidelity-work"  # ignored (stages/verify/gpu/data/): kept between commands on a host


def select(lines: list[dict[str, Any]], levels: list[int], limit_per_level: int | None) -> list[dict[str, Any]]:
    """The lines of `levels`, in that level order; within a level round-robin over problems (a limit
    then covers as many problems as it can), each problem's kernels in id order."""
    chosen: list[dict[str, Any]] = []
    for level in levels:
        by_problem: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line in sorted((x for x in lines if int(x["level"]) == level), key=lambda x: str(x["id"])):
            by_problem[int(line["problem_id"])].append(line)
        queues = [by_problem[p] for p in sorted(by_problem)]
        picked: list[dict[str, Any]] = []
        while any(queues) and (limit_per_level is None or len(picked) < limit_per_level):
            for q in queues:
                if q and (limit_per_level is None or len(picked) < limit_per_level):
                    picked.append(q.pop(0))
        chosen.extend(picked)
    return chosen


def job_for(line: dict[str, Any], backend: str = "cuda") -> dict[str, Any]:
    level, pid = int(line["level"]), int(line["problem_id"])
    job = VerifyJob(candidate_id=str(line["id"]), problem_name=f"level{level}/{line['problem_name']}",
                    problem_code=str(line["problem_code"]), problem_key=f"{level}_{pid}",
                    kernel_source=str(line["kernel_source"]), backend=backend, **JOB_SETTINGS)
    return job.to_dict()


def run_harness(jobs_path: Path, results_path: Path, workers: int, build_root: Path, build_timeout: float,
                deadline_s: float, extra: list[str]) -> int:
    """verify.py --resume over the jobs; SIGTERM at the deadline (it kills its workers and keeps every
    finished result), SIGKILL after GRACE_S more."""
    cmd = [sys.executable, str(HARNESS / "verify.py"), "--jobs", str(jobs_path), "--out", str(results_path),
           "--resume", "--workers", str(workers), "--build-root", str(build_root),
           "--build-timeout", str(build_timeout), *extra]
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.Popen(cmd, start_new_session=True)
    try:
        return proc.wait(timeout=max(1.0, deadline_s))
    except subprocess.TimeoutExpired:
        print("fidelity: deadline reached, stopping the harness (run again to continue)", file=sys.stderr)
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return proc.wait()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dev", type=Path, required=True, help="leaderboard-dev.jsonl")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "/tmp/kforge-fidelity")))
    p.add_argument("--levels", type=int, nargs="+", default=[2, 3, 1], help="in priority order")
    p.add_argument("--limit-per-level", type=int, default=None)
    p.add_argument("--deadline", type=float, default=540.0, help="seconds for the whole script")
    p.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 2),
                   help="candidate processes at once: builds use the cores, timing queues on the device lock")
    p.add_argument("--work", type=Path, default=WORK, help="jobs, results and builds, kept for --resume")
    p.add_argument("--build-timeout", type=float, default=300.0)
    p.add_argument("--backend", choices=("cuda", "cpu"), default="cuda", help="cpu: a dry run of the plumbing")
    p.add_argument("--skip-ids", type=Path, default=None,
                   help="file of candidate ids to leave out, one a line (e.g. those an earlier session ran)")
    p.add_argument("--first", nargs="*", default=[], help="candidate ids to run before the others")
    p.add_argument("--report-only", action="store_true")
    p.add_argument("harness_args", nargs="*", help="after --: passed to verify.py (e.g. --no-network-isolation)")
    args = p.parse_args(argv)
    if not args.dev.is_file():
        p.error(f"--dev {args.dev}: no such file (the dev set is not shipped: copy it into stages/verify/gpu/data/, which is ignored)")
    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    skip = set(args.skip_ids.read_text(encoding="utf-8").split()) if args.skip_ids else set()
    lines = [x for x in select(load_jsonl(args.dev), args.levels, args.limit_per_level) if str(x["id"]) not in skip]
    first = set(args.first)
    lines = [x for x in lines if str(x["id"]) in first] + [x for x in lines if str(x["id"]) not in first]
    results_path = args.work / "fidelity.jsonl"
    if not args.report_only:
        jobs_path = args.work / "fidelity-jobs.jsonl"
        jobs_path.write_text("".join(json.dumps(job_for(x, args.backend)) + "\n" for x in lines), encoding="utf-8")
        left = args.deadline - (time.monotonic() - started) - GRACE_S - 10  # the report needs a moment
        run_harness(jobs_path, results_path, args.workers, args.work / "builds", args.build_timeout, left,
                    args.harness_args)
    table = write_report(lines, load_jsonl(results_path), args.work / "fidelity.md")
    for name in ("fidelity.jsonl", "fidelity.md"):
        if (args.work / name).exists() and args.work.resolve() != args.out.resolve():
            shutil.copy(args.work / name, args.out / name)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
