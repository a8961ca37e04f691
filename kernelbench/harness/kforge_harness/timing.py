"""Timing: warm-up, then `repeats` trials, every trial kept.

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
    with torch.no_grad():
        for _ in range(warmup):
            fn()
        if device.type == "cuda":
            return _time_cuda(fn, device, repeats, on_output, flusher or L2Flusher(device))
        return _time_cpu(fn, repeats, on_output)


def _time_cpu(fn: Callable[[], Any], repeats: int, on_output: Callable[[Any], None] | None) -> TimingRun:
    trials: list[float] = []
    for _ in range(repeats):
        t0 = _perf_counter()
        out = fn()
        trials.append((_perf_counter() - t0) * 1000.0)
        if on_output is not None:
            on_output(out)
        del out
    return TimingRun(trials, [], "perf_counter")


def _time_cuda(
    fn: Callable[[], Any],
    device: torch.device,
    repeats: int,
    on_output: Callable[[Any], None] | None,
    flusher: L2Flusher,
) -> TimingRun:
    trials: list[float] = []
    host: list[float] = []
    _synchronize(device)
    for _ in range(repeats):
        flusher.flush()
        _synchronize(device)
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        t0 = _perf_counter()
        start.record()
        out = fn()
        end.record()
        _synchronize(device)  # the whole device, not just the current stream
        host.append((_perf_counter() - t0) * 1000.0)
        trials.append(float(start.elapsed_time(end)))
        if on_output is not None:
            on_output(out)
        del out
    return TimingRun(trials, host, "cuda_events+sync")


def summary(run: TimingRun | None) -> dict[str, Any]:
    if run is None or not run.trials_ms:
        return {"median": None, "min": None, "max": None, "trials": []}
    return {"median": run.median, "min": min(run.trials_ms), "max": max(run.trials_ms), "trials": list(run.trials_ms)}
