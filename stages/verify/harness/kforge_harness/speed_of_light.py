"""The speed-of-light floor (VERIFICATION.md exploit 14): no correct kernel beats
max(FLOPs / peak FLOP rate, bytes / peak bandwidth).

Peak rates are measured on the device itself, once, and cached in a JSON file keyed by device
(env KFORGE_PEAKS_CACHE, else ~/.cache/kforge/peaks.json): a device-to-device copy (bytes read +
written) and large matmuls in fp32, TF32 (CUDA), bf16 and fp16. At fp32 the FLOP term uses the fastest
of them, because a candidate that lowers precision and still passes is flagged 'precision_lowered', not
'faster_than_light'; at fp16/bf16 it uses the tensor-core rate of the half types (the run's own dtype;
fp8/int8 would be 'precision_lowered'). The byte term counts the bytes of the run's dtype: the problem's
facts are measured on the cast inputs and model. On the CPU, timing does not flush caches, so the bandwidth term also uses a
cache-resident copy rate, and the FLOP term the CPU's theoretical vector peak (torch's CPU matmul
may run on a generic BLAS far below what a hand-written kernel reaches).
"""
from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import torch

from .peak_measure import measure_cpu, measure_cuda

# Measured peaks run below datasheet peaks, writes can retire into L2 before the end event, and
# tiny kernels sit near timer resolution: only a time under half the floor is called impossible.
FLOOR_SLACK = 0.5
SPEEDUP_REVIEW = 10.0

_perf_counter = time.perf_counter
_MEMO: dict[str, dict[str, Any]] = {}


def cache_path() -> Path:
    env = os.environ.get("KFORGE_PEAKS_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "kforge" / "peaks.json"


def device_key(device: Any) -> str:
    device = torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{torch.cuda.get_device_name(index)}"
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"cpu:{model}:threads={torch.get_num_threads()}"


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_cache(path: Path, key: str, rates: dict[str, Any]) -> None:
    """Merge one entry and replace the file atomically (several workers may write at once)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _read_cache(path)
        data[key] = rates
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".peaks-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs a re-measurement


def peak_rates(device: Any, measure: Callable[[torch.device], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Measured peaks for `device` (bytes/s and FLOP/s), from the cache when present."""
    key = device_key(device)
    if key in _MEMO:
        return dict(_MEMO[key])
    path = cache_path()
    cached = _read_cache(path).get(key)
    if isinstance(cached, dict) and cached.get("bandwidth_bytes_per_s"):
        _MEMO[key] = cached
        return dict(cached)
    dev = torch.device(device)
    if measure is None:
        measure = measure_cuda if dev.type == "cuda" else measure_cpu
    rates = dict(measure(dev))
    rates.update({"device": key, "torch_version": str(torch.__version__), "measured_unix": int(time.time())})
    _MEMO[key] = rates
    _write_cache(path, key, rates)
    return dict(rates)


def _best(rates: dict[str, Any], names: tuple[str, ...]) -> float | None:
    values = [float(rates[n]) for n in names if isinstance(rates.get(n), (int, float)) and rates[n] > 0]
    return max(values) if values else None


# The matmul rates a precision's FLOP term may use (the fastest measured one of them).
PEAK_NAMES = {
    "fp32": ("fp32_flops_per_s", "tf32_flops_per_s", "bf16_flops_per_s", "fp16_flops_per_s",
             "fp32_flops_per_s_theoretical"),
    "fp16": ("fp16_flops_per_s", "bf16_flops_per_s", "fp32_flops_per_s_theoretical"),
    "bf16": ("bf16_flops_per_s", "fp16_flops_per_s", "fp32_flops_per_s_theoretical"),
}


def floor_ms(flops: float | None, min_bytes: float | None, device: Any, precision: str = "fp32") -> float | None:
    """The least time any correct kernel can take, in ms; None when neither term is known."""
    if not flops and not min_bytes:
        return None
    rates = peak_rates(device)
    terms = []
    peak_flops = _best(rates, PEAK_NAMES[precision])
    bandwidth = _best(rates, ("bandwidth_bytes_per_s", "bandwidth_cached_bytes_per_s"))
    if flops and peak_flops:
        terms.append(float(flops) / peak_flops)
    if min_bytes and bandwidth:
        terms.append(float(min_bytes) / bandwidth)
    return max(terms) * 1000.0 if terms else None


def check_speed(kernel_ms: float | None, floor: float | None, ref_ms: float | None = None) -> list[str]:
    """['faster_than_light'] when the kernel's time is impossible for this device.

    Not when the reference, timed beside it on the same inputs, is under the floor too: torch's own op
    cannot beat the device, so the floor is wrong there (peaks measured while other work shared the
    memory bandwidth: seen on a loaded 2-core CI host, where an honest CPU sum as fast as the reference
    read 2.1x over the floor)."""
    if kernel_ms is None or floor is None or floor <= 0:
        return []
    if ref_ms is not None and ref_ms < floor * FLOOR_SLACK:
        return []
    return ["faster_than_light"] if kernel_ms < floor * FLOOR_SLACK else []


def check_speedup(speedup: float | None) -> list[str]:
    """['speedup_over_10x'] (informative): a speedup worth a human look."""
    return ["speedup_over_10x"] if speedup is not None and speedup > SPEEDUP_REVIEW else []
