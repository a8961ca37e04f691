#!/usr/bin/env python3
"""Independent timing of the candidates fidelity.py accepted: triton.testing.do_bench (median) on the
same GPU, in a fresh process per candidate, so the harness's speedups can be checked against a
measurement it had no part in.

    python3 stages/verify/gpu/independent_timing.py --dev stages/verify/gpu/data/leaderboard-dev.jsonl \\
        --out "$OUT" --deadline 240

Reads fidelity.py's `--work` folder (fidelity.jsonl, builds/); appends one line per candidate to
`independent.jsonl` there (ids already there are skipped: rerun to continue) and copies it with
`independent.md` to `--out`. The candidate's extension is loaded from the harness's build folder
(`<work>/builds`, keyed by source, with the same arch retargeting, so it is not rebuilt). Inputs are a fresh draw of the problem's
get_inputs() (same sizes, another seed); parameters are seeded alike for both models, as the harness
does. Processes load in parallel; the timing itself holds the harness's device lock, one at a time.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "harness"))
sys.path.insert(0, str(HERE))

from fidelity import WORK  # noqa: E402
from fidelity_report import bound_table, load_jsonl, speedup_table, timing_rows, verdict_class  # noqa: E402

LAUNCH_BOUND_SHARE = 0.7  # kforge_harness.profiling's (not imported: that module needs torch, this parent does not)

INPUT_SEED = 20260101  # not the harness's seeds: a fresh draw of the same sizes
DEFAULT_LOCK_DIR = Path(os.environ.get("KFORGE_LOCK_DIR") or Path(tempfile.gettempdir()) / "kforge-locks")


def bench(fn: Callable[[], Any], cuda: bool) -> float:
    if cuda:
        import triton.testing
        return float(triton.testing.do_bench(fn, return_mode="median"))
    times = []  # the cpu backend (a dry run of the plumbing): median of 20 calls
    for _ in range(20):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return float(statistics.median(times))


def kernel_sum_ms(fn: Callable[[], Any], device: Any, calls: int = 10) -> float | None:
    """Mean per call of the GPU kernels' own durations (CUPTI, through torch.profiler), each call after an
    L2 flush outside the profiled region: no host time and no gap between kernels counts, a method that
    shares nothing with the harness's event timing or with do_bench's."""
    import torch
    from kforge_harness import profiling
    flush = torch.empty(256 << 20, dtype=torch.int8, device=device)
    totals = []
    for _ in range(calls):
        flush.zero_()
        torch.cuda.synchronize(device)
        events = profiling._gpu_events(fn, device)
        if not events:
            return None
        totals.append(sum(us for _, us in events) / 1000.0)
    return float(statistics.median(totals))


def measure_one(task: dict[str, Any]) -> dict[str, Any]:
    """In the child process: load both models, time them ref, cand, cand, ref (a drift lands on both)."""
    from kforge_harness import arch_flags, building, inputs, device_lock, loading
    import torch

    source = task["kernel_source"]
    ext_dir = building.build_dir_for(source, Path(task["build_root"]) / "ext")
    os.environ["TORCH_EXTENSIONS_DIR"] = str(ext_dir)
    scratch = Path(tempfile.mkdtemp(prefix="kforge-indep-"))
    os.chdir(scratch)
    cuda = task["backend"] == "cuda"
    device = torch.device("cuda" if cuda else "cpu")
    ref_module = loading.load_reference(task["problem_code"], scratch)
    arch = arch_flags.device_arch(*torch.cuda.get_device_capability(device)) if cuda else None
    with building.owned_build_dir(ext_dir, lambda: None):
        module, _ = building.import_candidate(source, scratch, building.FlagRecorder(arch=arch))
    model_new = loading.check_candidate(module)
    init = inputs.init_inputs(ref_module, device)
    inputs.seed_everything(task["seed"])
    ref = ref_module.Model(*init).to(device)
    inputs.seed_everything(task["seed"])
    cand = model_new(*init).to(device)
    x = inputs.make_inputs(ref_module, INPUT_SEED, device)
    lock = device_lock.lock_path(Path(task["lock_dir"]), task["backend"], os.environ.get("CUDA_VISIBLE_DEVICES"))
    device_lock.hold_device_lock(lock, lambda: None, lambda: None)  # released when this process exits
    with torch.no_grad():
        r1, c1 = bench(lambda: ref(*x), cuda), bench(lambda: cand(*x), cuda)
        c2, r2 = bench(lambda: cand(*x), cuda), bench(lambda: ref(*x), cuda)
    ref_ms, kernel_ms = (r1 + r2) / 2, (c1 + c2) / 2
    sums: dict[str, Any] = {}
    if cuda:
        try:
            with torch.no_grad():
                rk, ck = kernel_sum_ms(lambda: ref(*x), device), kernel_sum_ms(lambda: cand(*x), device)
            sums = {"ref_kernel_sum_ms": rk, "kernel_kernel_sum_ms": ck,
                    "kernel_sum_speedup": rk / ck if rk and ck else None}
        except Exception as e:  # a second method's failure must not lose the first
            sums = {"kernel_sum_error": f"{type(e).__name__}: {e}"[:300]}
    return {**sums, "id": task["id"], "ref_ms": ref_ms, "kernel_ms": kernel_ms, "speedup": ref_ms / kernel_ms,
            "ref_runs_ms": [r1, r2], "kernel_runs_ms": [c1, c2], "method": "do_bench median" if cuda else "perf_counter"}


def run_child(task: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(json.dumps(task), timeout=max(1.0, timeout_s))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"id": task["id"], "error": f"timed out after {timeout_s:.0f} s"}
    marked = [ln for ln in out.splitlines() if ln.startswith("KFORGE_RESULT ")]
    if not marked:
        tail = " ".join((err or out).strip().splitlines()[-3:])
        return {"id": task["id"], "error": f"exit {proc.returncode}: {tail[-300:]}"}
    return json.loads(marked[-1][len("KFORGE_RESULT "):])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--one", action="store_true", help="(internal) measure the task on stdin")
    p.add_argument("--dev", type=Path, help="leaderboard-dev.jsonl (the sources); required unless --one")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "/tmp/kforge-fidelity")))
    p.add_argument("--work", type=Path, default=WORK, help="fidelity.py's --work")
    p.add_argument("--lock-dir", type=Path, default=DEFAULT_LOCK_DIR)
    p.add_argument("--deadline", type=float, default=240.0, help="seconds for the whole script")
    p.add_argument("--parallel", type=int, default=6, help="processes loading at once (timing is serialised)")
    p.add_argument("--timeout-one", type=float, default=180.0)
    p.add_argument("--results", type=Path, default=None,
                   help="harness results to time against (default: fidelity.jsonl in --work); e.g. only the "
                        "results of one harness build, when the work folder holds older ones too")
    p.add_argument("--shortest-first", action="store_true",
                   help="time the candidates with the shortest reference first (the sub-millisecond ones "
                        "are where timing methods disagree)")
    args = p.parse_args(argv)
    if not args.one and (args.dev is None or not args.dev.is_file()):
        p.error(f"--dev {args.dev}: no such file (the dev set is not shipped: copy it into stages/verify/gpu/data/, which is ignored)")
    if args.one:
        print("KFORGE_RESULT " + json.dumps(measure_one(json.loads(sys.stdin.read()))), flush=True)
        os._exit(0)  # skip candidate destructors
    if args.dev is None:
        p.error("--dev is required")
    started = time.monotonic()
    results = {str(r["candidate_id"]): r for r in load_jsonl(args.results or args.work / "fidelity.jsonl")}
    lines = {str(x["id"]): x for x in load_jsonl(args.dev)} if args.dev else {}
    out_path = args.work / "independent.jsonl"
    done = {str(t["id"]) for t in load_jsonl(out_path)}
    todo = [cid for cid, r in results.items() if verdict_class(r) == "accepted" and r.get("speedup")
            and cid in lines and cid not in done]
    if args.shortest_first:
        todo.sort(key=lambda cid: float(results[cid].get("ref_time_ms") or float("inf")))
    print(f"independent timing: {len(todo)} accepted candidates to time, {len(done)} done before", file=sys.stderr)
    write_lock = threading.Lock()

    def one(cid: str) -> None:
        left = args.deadline - (time.monotonic() - started) - 5
        if left < 20:
            return
        x, r = lines[cid], results[cid]
        task = {"id": cid, "problem_code": x["problem_code"], "kernel_source": x["kernel_source"],
                "build_root": str(args.work / "builds"), "lock_dir": str(args.lock_dir), "backend": r.get("backend", "cuda"),
                "seed": 42}
        t = run_child(task, min(args.timeout_one, left))
        with write_lock, out_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(t) + "\n")

    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        list(pool.map(one, todo))
    timings = load_jsonl(out_path)
    text = "\n".join(["# Harness speedup against triton.testing.do_bench (median), same GPU", "",
                      *speedup_table(timings, results), "",
                      "## Harness speedup against the sum of CUPTI kernel durations (median of 10 calls, L2 flushed)", "",
                      *speedup_table(timings, results, "kernel_sum_speedup", "ref_kernel_sum_ms"), "",
                      "## By kernel share (profiling.LAUNCH_BOUND_SHARE: the flag launch_bound)", "",
                      *bound_table(timings, results, LAUNCH_BOUND_SHARE), "",
                      *timing_rows(timings, results), ""])
    (args.work / "independent.md").write_text(text, encoding="utf-8")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("independent.jsonl", "independent.md"):
        if (args.work / name).exists() and args.work.resolve() != args.out.resolve():
            shutil.copy(args.work / name, args.out / name)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
