"""Measure a device's peak copy bandwidth and matmul rates (used by speed_of_light, cached there).

Each rate is the best of several repetitions: the question is what the device can do, and a slow
repetition only says something else was running.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import torch

_perf_counter = time.perf_counter


def _best_seconds_cpu(fn: Callable[[], Any], reps: int) -> float:
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = _perf_counter()
        fn()
        best = min(best, _perf_counter() - t0)
    return best


def _best_seconds_cuda(fn: Callable[[], Any], reps: int, device: torch.device) -> float:
    fn()
    torch.cuda.synchronize(device)
    best = float("inf")
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize(device)
        best = min(best, start.elapsed_time(end) / 1000.0)
    return best


def _matmul_rate(n: int, dtype: torch.dtype, device: torch.device, reps: int,
                 timer: Callable[[Callable[[], Any], int], float]) -> float | None:
    try:
        a = torch.randn(n, n, device=device).to(dtype)
        b = torch.randn(n, n, device=device).to(dtype)
        c = torch.empty(n, n, device=device, dtype=dtype)
        seconds = timer(lambda: torch.mm(a, b, out=c), reps)
        return 2.0 * n ** 3 / seconds
    except (RuntimeError, TypeError):  # dtype unsupported here, or out of memory
        return None


def _copy_rate(nbytes: int, device: torch.device, reps: int, inner: int,
               timer: Callable[[Callable[[], Any], int], float]) -> float | None:
    try:
        src = torch.ones(nbytes // 4, dtype=torch.float32, device=device)
        dst = torch.empty_like(src)
    except RuntimeError:
        return None

    def copies() -> None:
        for _ in range(inner):
            dst.copy_(src)

    seconds = timer(copies, reps)
    return 2.0 * nbytes * inner / seconds  # read + write


def measure_cuda(device: torch.device) -> dict[str, Any]:
    timer = lambda fn, reps: _best_seconds_cuda(fn, reps, device)  # noqa: E731
    bandwidth = None
    for size in (1 << 30, 256 << 20, 64 << 20):
        bandwidth = _copy_rate(size, device, 10, 1, timer)
        if bandwidth:
            break
    tf32 = torch.backends.cuda.matmul.allow_tf32
    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        fp32 = _matmul_rate(8192, torch.float32, device, 5, timer)
        torch.backends.cuda.matmul.allow_tf32 = True
        tf32_rate = _matmul_rate(8192, torch.float32, device, 5, timer)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = tf32
    bf16 = _matmul_rate(8192, torch.bfloat16, device, 10, timer)
    fp16 = _matmul_rate(8192, torch.float16, device, 10, timer)  # the fp16 run's tensor-core peak
    torch.cuda.empty_cache()
    return {"bandwidth_bytes_per_s": bandwidth, "fp32_flops_per_s": fp32, "tf32_flops_per_s": tf32_rate,
            "bf16_flops_per_s": bf16, "fp16_flops_per_s": fp16,
            "method": "cuda events, best of reps: 1 GiB copy, 8192^3 mm"}


def cpu_theoretical_flops() -> float | None:
    """Vector lanes x 2 (FMA) x 2 FMA units x clock x threads: an upper bound. torch's own CPU matmul
    may run on a generic BLAS far below the hardware, and a hand-written kernel must not beat 'peak'."""
    flags, mhz = set(), 0.0
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                if key in ("flags", "features") and not flags:
                    flags = set(value.split())
                elif key == "cpu mhz":
                    mhz = max(mhz, float(value.strip() or 0))
    except (OSError, ValueError):
        return None
    try:
        with open("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", encoding="utf-8") as f:
            mhz = max(mhz, int(f.read().strip()) / 1000.0)
    except (OSError, ValueError):
        pass
    if mhz <= 0:
        mhz = 5000.0  # unknown clock: assume a fast one (a lower floor is the safe direction)
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags or "avx" in flags else 4
    return lanes * 2 * 2 * mhz * 1e6 * max(1, torch.get_num_threads())


def measure_cpu(device: torch.device) -> dict[str, Any]:
    timer = _best_seconds_cpu
    return {
        "fp32_flops_per_s_theoretical": cpu_theoretical_flops(),
        "bandwidth_bytes_per_s": _copy_rate(256 << 20, device, 3, 1, timer),
        # Timing on the CPU does not flush caches: a small problem may run from them.
        "bandwidth_cached_bytes_per_s": _copy_rate(1 << 20, device, 5, 50, timer),
        "fp32_flops_per_s": _matmul_rate(1024, torch.float32, device, 1, timer),
        "bf16_flops_per_s": _matmul_rate(256, torch.bfloat16, device, 3, timer),
        "method": "perf_counter, best of reps: 256 MiB copy, 1 MiB copy x50, 1024^3 fp32 mm, 256^3 bf16 mm",
    }
