"""Timing: warm-up, then `repeats` trials, every trial kept; reference and candidate interleaved.

Interleaved (ref, cand, cand, ref, ref, cand, ...): on the H100 the same code's per-call time was
seen to step by 10-17% part-way through a run of calls (a clock or power state changing under us).
Timed back to back, all reference calls could land before the step and all candidate calls after it,
and identical code came out 8% apart; alternating puts both on either side of any such step.

CUDA: flush L2 before each call (write a buffer larger than L2), CUDA events, synchronise the whole
device before reading the end event (work on side streams is counted), and a host wall clock around
the same region to cross-check the events. CPU: time.perf_counter.
`on_output` sees every timed output right after its call (outside the timed region), which is how
correctness is re-checked on the outputs produced while timing.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

_perf_counter = time.perf_counter
_synchronize = torch.cuda.synchronize

# Events under the host time by more than this (and by more than half) mean work escaped the events.
EVENT_HOST_SLACK_MS = 1.0


@dataclass
class TimingRun:
    trials_ms: list[float]
    host_ms: list[float] = field(default_factory=list)
    method: str = "perf_counter"

    @property
    def median(self) -> float:
        return float(statistics.median(self.trials_ms))

    def events_miss_work(self) -> bool:
        if not self.host_ms:
            return False
        ev, host = statistics.median(self.trials_ms), statistics.median(self.host_ms)
        return host - ev > max(EVENT_HOST_SLACK_MS, ev)


class L2Flusher:
    """Writes a buffer larger than the L2 cache so no timed call starts with warm inputs."""

    def __init__(self, device: torch.device):
        size = 256 * 1024 * 1024
        try:
            l2 = int(getattr(torch.cuda.get_device_properties(device), "L2_cache_size", 0))
            size = max(size, 2 * l2)
        except Exception:
            pass
        self.buf = torch.empty(size // 4, dtype=torch.float32, device=device)

    def flush(self) -> None:
        self.buf.fill_(1.0)


def time_calls(
    fn: Callable[[], Any],
    device: torch.device,
    warmup: int,
    repeats: int,
    on_output: Callable[[Any], None] | None = None,
    flusher: L2Flusher | None = None,
) -> TimingRun:
    return time_interleaved({"fn": fn}, device, warmup, repeats, {"fn": on_output} if on_output else None, flusher)["fn"]


def time_interleaved(
    fns: dict[str, Callable[[], Any]],
    device: torch.device,
    warmup: int,
    repeats: int,
    on_output: dict[str, Callable[[Any], None]] | None = None,
    flusher: L2Flusher | None = None,
) -> dict[str, TimingRun]:
    """One TimingRun per named function, their trials alternated ABBA so that neither always goes first."""
    names = list(fns)
    cuda = device.type == "cuda"
    if cuda:
        flusher = flusher or L2Flusher(device)
    runs = {n: TimingRun([], [], "cuda_events+sync" if cuda else "perf_counter") for n in names}
    with torch.no_grad():
        for _ in range(warmup):
            for n in names:
                fns[n]()
        if cuda:
            _synchronize(device)
        for i in range(repeats):
            for n in (names if i % 2 == 0 else names[::-1]):
                out = _trial_cuda(fns[n], device, runs[n], flusher) if cuda else _trial_cpu(fns[n], runs[n])
                if on_output and n in on_output:
                    on_output[n](out)
                del out
    return runs


def _trial_cpu(fn: Callable[[], Any], run: TimingRun) -> Any:
    t0 = _perf_counter()
    out = fn()
    run.trials_ms.append((_perf_counter() - t0) * 1000.0)
    return out


def _trial_cuda(fn: Callable[[], Any], device: torch.device, run: TimingRun, flusher: Any) -> Any:
    flusher.flush()
    _synchronize(device)
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    t0 = _perf_counter()
    start.record()
    out = fn()
    end.record()
    _synchronize(device)  # the whole device, not just the current stream
    run.host_ms.append((_perf_counter() - t0) * 1000.0)
    run.trials_ms.append(float(start.elapsed_time(end)))
    return out


def summary(run: TimingRun | None) -> dict[str, Any]:
    if run is None or not run.trials_ms:
        return {"median": None, "min": None, "max": None, "trials": []}
    return {"median": run.median, "min": min(run.trials_ms), "max": max(run.trials_ms), "trials": list(run.trials_ms)}
