"""Timing: warm-up, then `repeats` trials, every trial kept; reference and candidate interleaved.

Interleaved (ref, cand, cand, ref, ref, cand, ...): on the H100 the same code's per-call time was
seen to step by 10-17% part-way through a run of calls (a clock or power state changing under us).
Timed back to back, all reference calls could land before the step and all candidate calls after it,
and identical code came out 8% apart; alternating puts both on either side of any such step.

CUDA: flush L2 before each call (write a buffer larger than L2), CUDA events, synchronise the whole
device before reading the end event (work on side streams is counted), and a host wall clock around
the same region to cross-check the events. CPU: time.perf_counter.

The flush runs ahead on the stream: no host synchronise between it and the start event (as
triton.testing.do_bench does). With one there, the GPU sat idle from the start event until the host
had issued the forward's launches, so tens of microseconds of host launch latency landed in every
timed call (sub-ms problems came out up to 4.5x over KernelBench's cuda_event times). Now the host
issues the forward while the GPU is still flushing. The host clock therefore covers flush + call, and
is compared with events over that same window (`window_ms`), not with the call's events alone.
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
_Event = torch.cuda.Event
_sleep = getattr(torch.cuda, "_sleep", None)

# Events under the host time by more than this (and by more than half) mean work escaped the events.
EVENT_HOST_SLACK_MS = 1.0
# With a budget, slow forwards get fewer timed rounds, never fewer than this (or than asked).
MIN_TIMED_ROUNDS = 5


def capped_repeats(repeats: int, round_s: float | None, budget_s: float | None) -> int:
    """Timed rounds (one call of each function) for a budget of device time: `repeats`, unless the rounds
    would take longer than `budget_s` at the warm-up's pace; then as many as fit, at least
    MIN_TIMED_ROUNDS. A forward of 100 ms measures to well under a percent in five calls, and twenty of
    them (plus the reference's) held the device for seconds (H200: 11-18 s exclusive for two level-1
    candidates of 125 and 726 ms a call, the median candidate 0.2 s)."""
    if budget_s is None or not round_s or round_s * repeats <= budget_s:
        return repeats
    return max(min(repeats, MIN_TIMED_ROUNDS), int(budget_s // round_s))


@dataclass
class TimingRun:
    trials_ms: list[float]
    host_ms: list[float] = field(default_factory=list)
    method: str = "perf_counter"
    # CUDA: events from before the flush to the end event, the window the host clock measures.
    window_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return float(statistics.median(self.trials_ms))

    def events_miss_work(self) -> bool:
        """Every trial's host time exceeds its event window by more than the slack (and the window).

        The smallest excess decides, not the median: work on a side stream lengthens every trial, while
        a host preempted by builds on every core lengthens some (seen on the H200 under a suite and a
        fidelity run at once: an honest level-2 kernel's median host time passed the slack)."""
        if not self.host_ms:
            return False
        windows = self.window_ms or self.trials_ms
        excess = min(h - w for h, w in zip(self.host_ms, windows))
        return excess > max(EVENT_HOST_SLACK_MS, statistics.median(windows))


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


class HeadStart:
    """Keeps the GPU busy (torch.cuda._sleep, outside the timed region) while the host issues a forward.

    The flush alone gives the host tens of microseconds to issue the forward's launches; a forward whose
    Python issues launches more slowly than that (a few small kernels behind nn.Module calls) still left
    the GPU idle inside the timed region, and sub-0.1 ms problems read 2-3x over do_bench (seen on the
    H200), which queues calls without synchronising. `fit` measures how long the host takes to issue one
    call (no synchronise: launches only) and holds the GPU for 1.5 times that before the start event,
    capped at MAX_MS, so the timed region holds the forward's GPU work, not the host's."""

    MAX_MS = 20.0

    def __init__(self, device: torch.device):
        self.device = device
        self.cycles = 0

    def _cycles_per_ms(self) -> float:
        """GPU sleep cycles per millisecond, measured (clocks vary); 0 where torch has no _sleep."""
        try:
            start, end = _Event(enable_timing=True), _Event(enable_timing=True)
            start.record()
            _sleep(1_000_000)
            end.record()
            _synchronize(self.device)
            ms = float(start.elapsed_time(end))
        except Exception:  # a torch build without torch.cuda._sleep: the flush alone
            return 0.0
        return 1_000_000 / ms if ms > 0 else 0.0

    def fit(self, issue_ms: list[float]) -> None:
        if not issue_ms:
            return
        hold = min(self.MAX_MS, 1.5 * statistics.median(issue_ms))
        self.cycles = int(hold * self._cycles_per_ms())

    def hold(self) -> None:
        if self.cycles > 0:
            _sleep(self.cycles)


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
    budget_s: float | None = None,
) -> dict[str, TimingRun]:
    """One TimingRun per named function, their trials alternated ABBA so that neither always goes first.
    `budget_s`: fewer rounds when the warm-up says `repeats` of them would take longer (capped_repeats)."""
    names = list(fns)
    cuda = device.type == "cuda"
    if cuda:
        flusher = flusher or L2Flusher(device)
    runs = {n: TimingRun([], [], "cuda_events+sync" if cuda else "perf_counter") for n in names}
    heads = {n: HeadStart(device) for n in names} if cuda else {}
    with torch.no_grad():
        issue_ms: dict[str, list[float]] = {n: [] for n in names}
        rounds_s: list[float] = []
        for _ in range(warmup):
            started = _perf_counter()
            for n in names:
                if cuda:
                    _synchronize(device)
                t0 = _perf_counter()
                fns[n]()
                issue_ms[n].append((_perf_counter() - t0) * 1000.0)
            if cuda:
                _synchronize(device)
            rounds_s.append(_perf_counter() - started)
        if cuda:
            _synchronize(device)
            for n in names:
                heads[n].fit(issue_ms[n][1:] or issue_ms[n])  # the first call may still be loading
        # The fastest warm-up round after the first (which may load libraries, pick algorithms, JIT).
        round_s = min(rounds_s[1:] or rounds_s) if rounds_s else None
        for i in range(capped_repeats(repeats, round_s, budget_s)):
            for n in (names if i % 2 == 0 else names[::-1]):
                out = (_trial_cuda(fns[n], device, runs[n], flusher, heads[n]) if cuda
                       else _trial_cpu(fns[n], runs[n]))
                if on_output and n in on_output:
                    on_output[n](out)
                del out
    return runs


def _trial_cpu(fn: Callable[[], Any], run: TimingRun) -> Any:
    t0 = _perf_counter()
    out = fn()
    run.trials_ms.append((_perf_counter() - t0) * 1000.0)
    return out


def _trial_cuda(fn: Callable[[], Any], device: torch.device, run: TimingRun, flusher: Any,
                head: "HeadStart | None" = None) -> Any:
    before_flush = _Event(enable_timing=True)
    start = _Event(enable_timing=True)
    end = _Event(enable_timing=True)
    _synchronize(device)  # the host window starts on an idle device (on_output may have queued work)
    t0 = _perf_counter()
    before_flush.record()
    flusher.flush()  # no synchronise after it: the forward's launches are issued while it runs
    if head is not None:
        head.hold()  # and while this holds the GPU, for forwards slower to issue than the flush
    start.record()
    out = fn()
    end.record()
    _synchronize(device)  # the whole device, not just the current stream
    run.host_ms.append((_perf_counter() - t0) * 1000.0)
    run.trials_ms.append(float(start.elapsed_time(end)))
    run.window_ms.append(float(before_flush.elapsed_time(end)))
    return out


def summary(run: TimingRun | None) -> dict[str, Any]:
    if run is None or not run.trials_ms:
        return {"median": None, "min": None, "max": None, "trials": []}
    return {"median": run.median, "min": min(run.trials_ms), "max": max(run.trials_ms), "trials": list(run.trials_ms)}
