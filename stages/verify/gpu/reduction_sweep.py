"""Where the builtin Triton reduction loses to eager on KernelBench 47 (sum over dim 1 of 128x4096x4095):
a sweep of launch orders and tile shapes, each against torch.sum in the same dtype (GPU host only).

Not the verifier: a design measurement for the template (stages/providers/builtin/triton/kernels.ts).
Each variant is checked against torch.sum (fp32 accumulation, 1e-2 relative at fp16/bf16, 1e-4 at fp32)
before it is timed; times are triton.testing.do_bench medians (L2 flushed between calls), ms.

    OUT=/tmp/sweep python3 stages/verify/gpu/reduction_sweep.py [--shape 128 4096 4095] [--dtypes fp32 fp16 bf16]
        [--jobs JOBS.jsonl]
writes $OUT/reduction-sweep.jsonl (one line per variant and dtype) and prints a table. --jobs adds the
Triton candidates of a jobs file (render-precision-jobs.ts) for problem 47 at their own precision, timed the
same way (ModelNew's forward under do_bench), so a template can be compared with the sweep's kernels
outside the harness.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch
import triton
import triton.language as tl
from triton.testing import do_bench


@triton.jit
def outer_first(x_ptr, y_ptr, R, inner, BLOCK_R: tl.constexpr, BLOCK_N: tl.constexpr):
    """Session 8's template: outer on grid axis 0, int64 offsets recomputed for every tile."""
    o = tl.program_id(0).to(tl.int64)
    cols = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    cmask = cols < inner
    acc = tl.zeros([BLOCK_R, BLOCK_N], tl.float32)
    for r0 in range(0, R, BLOCK_R):
        rows = r0 + tl.arange(0, BLOCK_R)
        mask = (rows[:, None] < R) & cmask[None, :]
        ptrs = x_ptr + o * R * inner + rows[:, None].to(tl.int64) * inner + cols[None, :]
        acc += tl.load(ptrs, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + o * inner + cols, tl.sum(acc, 0), mask=cmask)


@triton.jit
def cols_first(x_ptr, y_ptr, R: tl.constexpr, INNER: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_N: tl.constexpr):
    """This session's template: column tiles fastest across programs, pointers advanced by one add."""
    ncol = (INNER + BLOCK_N - 1) // BLOCK_N
    pid = tl.program_id(0).to(tl.int64)
    o = pid // ncol
    cols = (pid % ncol) * BLOCK_N + tl.arange(0, BLOCK_N)
    cmask = cols < INNER
    rows = tl.arange(0, BLOCK_R)
    ptrs = x_ptr + o * (R * INNER) + rows[:, None] * INNER + cols[None, :]
    acc = tl.zeros([BLOCK_R, BLOCK_N], tl.float32)
    for r0 in range(0, R, BLOCK_R):
        acc += tl.load(ptrs, mask=cmask[None, :], other=0.0).to(tl.float32)
        ptrs += BLOCK_R * INNER
    tl.store(y_ptr + o * INNER + cols, tl.sum(acc, 0), mask=cmask)


@triton.jit
def split_rows(x_ptr, part_ptr, R: tl.constexpr, INNER: tl.constexpr, SPLIT: tl.constexpr,
               BLOCK_R: tl.constexpr, BLOCK_N: tl.constexpr):
    """Column tiles first and the reduced dim split SPLIT ways (fp32 partials, summed by a second pass)."""
    ncol = (INNER + BLOCK_N - 1) // BLOCK_N
    pid = tl.program_id(0).to(tl.int64)
    s = tl.program_id(1)
    o = pid // ncol
    cols = (pid % ncol) * BLOCK_N + tl.arange(0, BLOCK_N)
    cmask = cols < INNER
    rows = tl.arange(0, BLOCK_R) + s * (R // SPLIT)
    ptrs = x_ptr + o * (R * INNER) + rows[:, None] * INNER + cols[None, :]
    acc = tl.zeros([BLOCK_R, BLOCK_N], tl.float32)
    for r0 in range(0, R // SPLIT, BLOCK_R):
        acc += tl.load(ptrs, mask=cmask[None, :], other=0.0).to(tl.float32)
        ptrs += BLOCK_R * INNER
    tl.store(part_ptr + (s * tl.num_programs(0) // ncol + o) * INNER + cols, tl.sum(acc, 0), mask=cmask)


def run_variant(name, x, outer, r, inner, br, bn, warps, stages, split):
    y = torch.empty((outer, 1, inner), device=x.device, dtype=x.dtype)
    if name == "outer_first":
        fn = lambda: outer_first[(outer, triton.cdiv(inner, bn))](x, y, r, inner, BLOCK_R=br, BLOCK_N=bn,
                                                                   num_warps=warps, num_stages=stages)
    elif name == "cols_first":
        fn = lambda: cols_first[(outer * triton.cdiv(inner, bn),)](x, y, r, inner, BLOCK_R=br, BLOCK_N=bn,
                                                                   num_warps=warps, num_stages=stages)
    else:
        part = torch.empty((split, outer, inner), device=x.device, dtype=torch.float32)

        def fn():
            split_rows[(outer * triton.cdiv(inner, bn), split)](x, part, r, inner, split, BLOCK_R=br, BLOCK_N=bn,
                                                                 num_warps=warps, num_stages=stages)
            torch.sum(part, dim=0, out=y.view(outer, inner)) if x.dtype == torch.float32 else \
                y.view(outer, inner).copy_(part.sum(dim=0))
    fn()
    return fn, y


def job_variants(path: Path) -> dict[str, list[tuple[str, object]]]:
    """{dtype: [(candidate_id, ModelNew instance)]} for the problem-47 Triton jobs of a jobs file."""
    import importlib.util
    import tempfile
    found: dict[str, list[tuple[str, object]]] = {}
    folder = Path(tempfile.mkdtemp(prefix="kf-sweep-"))
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        job = row.get("job")
        if not job or job["backend"] != "triton" or not row["problem"].startswith("47_"):
            continue
        file = folder / f"{job['candidate_id']}.py"
        file.write_text(job["kernel_source"], encoding="utf-8")  # Triton needs its kernels in a real file
        spec = importlib.util.spec_from_file_location(file.stem, file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.setdefault(job["precision"], []).append((job["candidate_id"], module.ModelNew().cuda()))
    return found


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--shape", type=int, nargs=3, default=[128, 4096, 4095])
    p.add_argument("--dtypes", nargs="+", default=["fp32", "fp16", "bf16"])
    p.add_argument("--jobs", type=Path, default=None)
    a = p.parse_args()
    jobs = job_variants(a.jobs) if a.jobs else {}
    out = Path(os.environ.get("OUT", "/tmp/reduction-sweep"))
    out.mkdir(parents=True, exist_ok=True)
    outer, r, inner = a.shape
    variants = [("outer_first", 32, 128, 8, 3, 1), ("cols_first", 32, 128, 8, 3, 1)]
    variants += [("cols_first", br, bn, w, st, 1) for br, bn, w, st in
                 [(16, 256, 4, 3), (32, 256, 8, 3), (64, 128, 8, 3), (64, 256, 8, 3), (8, 512, 4, 3),
                  (16, 512, 8, 3), (32, 512, 8, 3), (64, 64, 4, 3), (32, 128, 4, 2), (32, 256, 8, 4)]]
    variants += [("split_rows", 32, 256, 8, 3, s) for s in (2, 4)]
    rows = []
    for dname in a.dtypes:
        dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[dname]
        torch.manual_seed(0)
        x = torch.rand(outer, r, inner, device="cuda").to(dtype)
        want = torch.sum(x.float(), dim=1, keepdim=True)
        eager = do_bench(lambda: torch.sum(x, dim=1, keepdim=True), return_mode="median")
        tol = 1e-4 if dtype == torch.float32 else 1e-2
        for name, br, bn, warps, stages, split in variants:
            t0 = time.time()
            line = {"dtype": dname, "variant": name, "block_r": br, "block_n": bn, "warps": warps, "stages": stages,
                    "split": split, "eager_ms": eager}
            try:
                fn, y = run_variant(name, x, outer, r, inner, br, bn, warps, stages, split)
                torch.cuda.synchronize()
                line["correct"] = bool(torch.allclose(y.float(), want, rtol=tol, atol=tol * 10))
                line["ms"] = do_bench(fn, return_mode="median")
                line["speedup"] = eager / line["ms"]
            except Exception as e:  # one variant the compiler refuses must not stop the sweep
                line["error"] = f"{type(e).__name__}: {str(e)[:300]}"
            line["wall_s"] = round(time.time() - t0, 2)
            rows.append(line)
            print(json.dumps(line), flush=True)
        for cid, model in jobs.get(dname, []):
            line = {"dtype": dname, "variant": cid, "block_r": "-", "block_n": "-", "warps": "-", "stages": "-",
                    "split": "-", "eager_ms": eager}
            try:
                with torch.no_grad():
                    y = model(x)
                    torch.cuda.synchronize()
                    line["correct"] = bool(torch.allclose(y.float(), want, rtol=tol, atol=tol * 10))
                    line["ms"] = do_bench(lambda: model(x), return_mode="median")
                line["speedup"] = eager / line["ms"]
            except Exception as e:
                line["error"] = f"{type(e).__name__}: {str(e)[:300]}"
            rows.append(line)
            print(json.dumps(line), flush=True)
    (out / "reduction-sweep.jsonl").write_text("".join(json.dumps(l) + "\n" for l in rows), encoding="utf-8")
    gb = outer * r * inner
    print(f"\nshape {a.shape}; {torch.cuda.get_device_name()} torch {torch.__version__} triton {triton.__version__}")
    print("| dtype | variant | BLOCK_R x BLOCK_N | warps | stages | split | ms | eager ms | speedup | GB/s | correct |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for l in rows:
        if "ms" in l:
            size = {"fp32": 4, "fp16": 2, "bf16": 2}[l["dtype"]]
            print(f"| {l['dtype']} | {l['variant']} | {l['block_r']}x{l['block_n']} | {l['warps']} | {l['stages']} | {l['split']} "
                  f"| {l['ms']:.3f} | {l['eager_ms']:.3f} | {l['speedup']:.3f} | {gb * size / l['ms'] / 1e6:.0f} | {l['correct']} |")
        else:
            print(f"| {l['dtype']} | {l['variant']} | {l['block_r']}x{l['block_n']} | {l['warps']} | {l['stages']} | {l['split']} | error: {l['error'][:80]} |")


if __name__ == "__main__":
    main()
