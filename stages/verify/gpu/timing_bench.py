#!/usr/bin/env python3
"""GPU timing benchmark (not a unit test): the harness's event time against the profiler's summed
kernel time and triton.testing.do_bench, for a launch-bound forward and a long one.

    python3 stages/verify/gpu/timing_bench.py --out "$OUT" --deadline 150

Cases: `launch-bound` is four launches of a ~5 us kernel (~20 us of GPU work, so the host's launch
latency is as long as the work); `long` one launch of ~5 ms. Each forward is timed by
- harness: timing.time_calls (the flush runs ahead on the stream, events, device-wide sync after);
- old: the harness before issue 10 (host synchronise between flush and start event), for contrast;
- profiler: the GPU time of the kernels one forward launched, summed (torch.profiler);
- do_bench: triton.testing.do_bench, median.
Writes `$OUT/timing_bench.md` (and .json). The kernels' loop counts are calibrated on the device first.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "harness"))

import torch  # noqa: E402
from torch.utils.cpp_extension import load_inline  # noqa: E402

from kforge_harness import timing  # noqa: E402

CUDA_SRC = r"""
#include <torch/extension.h>
#include <c10/cuda/CUDAStream.h>
__global__ void spin(const float* x, float* y, int64_t n, int iters) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i >= n) return;
  float v = x[i];
  for (int k = 0; k < iters; ++k) v = v * 0.999f + 0.001f;  // dependent chain: time ~ iters
  y[i] = v;
}
torch::Tensor work(torch::Tensor x, int64_t iters, int64_t launches) {
  auto y = torch::empty_like(x);
  int64_t n = x.numel();
  auto stream = c10::cuda::getCurrentCUDAStream();
  for (int64_t l = 0; l < launches; ++l)
    spin<<<(n + 255) / 256, 256, 0, stream>>>(l == 0 ? x.data_ptr<float>() : y.data_ptr<float>(), y.data_ptr<float>(), n, (int)iters);
  return y;
}
"""
CPP_SRC = "torch::Tensor work(torch::Tensor x, int64_t iters, int64_t launches);"
N = 1 << 20
CASES = {"launch-bound": (0.005, 4), "long": (5.0, 1)}  # ms of GPU work per launch, launches per forward


def old_time_calls(fn: Callable[[], Any], device: torch.device, warmup: int, repeats: int) -> list[float]:
    """The harness's trial before issue 10: synchronise after the flush, then the start event."""
    flusher = timing.L2Flusher(device)
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        flusher.flush()
        torch.cuda.synchronize(device)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize(device)
        out.append(start.elapsed_time(end))
    return out


def profiler_kernel_ms(fn: Callable[[], Any], calls: int = 10) -> float:
    """Summed GPU time of the kernels `calls` forwards launched, per forward."""
    from torch.profiler import ProfilerActivity, profile

    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
    total_us = 0.0
    for e in prof.key_averages():
        if "spin" in e.key:  # the candidate's kernels only (not the profiler's own)
            total_us += float(getattr(e, "self_device_time_total", None) or getattr(e, "self_cuda_time_total", 0.0))
    return total_us / 1000.0 / calls


def calibrate(ext: Any, x: torch.Tensor, target_ms: float) -> int:
    """Loop count for one launch of about target_ms."""
    iters = 64
    for _ in range(12):
        ms = profiler_kernel_ms(lambda: ext.work(x, iters, 1), calls=3)  # GPU time, no host in it
        if 0.8 * target_ms <= ms <= 1.25 * target_ms:
            break
        iters = max(1, int(iters * target_ms / max(ms, 1e-4)))
    return iters


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "/tmp/kforge-timing-bench")))
    p.add_argument("--deadline", type=float, default=150.0)
    p.add_argument("--repeats", type=int, default=50)
    args = p.parse_args(argv)
    started = time.monotonic()
    import triton.testing

    args.out.mkdir(parents=True, exist_ok=True)
    ext = load_inline(name="kforge_timing_bench", cpp_sources=CPP_SRC, cuda_sources=CUDA_SRC, functions=["work"])
    device = torch.device("cuda")
    x = torch.randn(N, device=device)
    rows: list[dict[str, Any]] = []
    small = torch.randn(4096, device=device)

    def python_bound() -> torch.Tensor:
        # Twelve tiny aten kernels issued from Python: host issue time well above their GPU time, the
        # shape of KernelBench's sub-0.1 ms level-2 references.
        y = small
        for _ in range(12):
            y = y * 1.0001
        return y
    cases: list[tuple[str, int, Callable[[], Any]]] = [("python-bound", 12, python_bound)]
    for case, (per_launch_ms, launches) in CASES.items():
        iters = calibrate(ext, x, per_launch_ms)
        cases.append((case, launches, lambda iters=iters, launches=launches: ext.work(x, iters, launches)))
    for case, launches, fn in cases:
        if time.monotonic() - started > args.deadline - 20:
            print(f"deadline: {case} skipped", file=sys.stderr)
            continue
        with torch.no_grad():
            harness_ms = timing.time_calls(fn, device, 5, args.repeats).median
            max_ms, timing.HeadStart.MAX_MS = timing.HeadStart.MAX_MS, 0.0  # the flush's head start alone
            flush_only_ms = timing.time_calls(fn, device, 5, args.repeats).median
            timing.HeadStart.MAX_MS = max_ms
            row = {"case": case, "launches": launches,
                   "profiler_ms": profiler_kernel_ms(fn),
                   "harness_ms": harness_ms, "flush_only_ms": flush_only_ms,
                   "old_ms": statistics.median(old_time_calls(fn, device, 5, args.repeats)),
                   "do_bench_ms": float(triton.testing.do_bench(fn, return_mode="median"))}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    lines = ["| case | launches | profiler kernels ms | harness ms | flush head start only ms | old (sync before start) ms | "
             "do_bench ms | harness/do_bench | flush only/do_bench | old/do_bench |", "|" + " --- |" * 10]
    for r in rows:
        db = r["do_bench_ms"] or float("nan")
        lines.append(f"| {r['case']} | {r['launches']} | {r['profiler_ms']:.4f} | {r['harness_ms']:.4f} | "
                     f"{r['flush_only_ms']:.4f} | {r['old_ms']:.4f} | {r['do_bench_ms']:.4f} | "
                     f"{r['harness_ms'] / db:.2f} | {r['flush_only_ms'] / db:.2f} | {r['old_ms'] / db:.2f} |")
    env = f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}"
    text = "\n".join([f"# Timing benchmark ({env})", "", *lines, ""])
    (args.out / "timing_bench.md").write_text(text, encoding="utf-8")
    (args.out / "timing_bench.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
