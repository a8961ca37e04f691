"""timing: reference and candidate trials alternate, so a step in the machine's speed part-way through
a run lands on both (the H100 showed such steps; timed back to back, identical code came out 8% apart)."""
from __future__ import annotations

import statistics
import unittest
from unittest import mock

import torch

import helpers  # noqa: F401
from kforge_harness import timing

CPU = torch.device("cpu")


class DriftingMachine:
    """Every call takes `slow_ms` until the machine has served `step_after` calls, then `fast_ms`.

    Time is simulated: the harness's clock is replaced by this machine's, which advances only by the
    work done. Real sleeps made the test a timing claim that a loaded CI host broke (scheduler jitter
    of 2-4 ms on 2 ms calls moved the median across the step)."""

    def __init__(self, step_after: int, slow_ms: float = 6.0, fast_ms: float = 2.0):
        self.calls, self.step_after, self.slow, self.fast = 0, step_after, slow_ms, fast_ms
        self.log: list[str] = []
        self.now_s = 0.0

    def clock(self) -> float:
        return self.now_s

    def work(self, who: str):
        def fn() -> torch.Tensor:
            self.calls += 1
            self.log.append(who)
            self.now_s += (self.slow if self.calls <= self.step_after else self.fast) / 1000.0
            return torch.zeros(1)
        return fn


class TimingTest(unittest.TestCase):
    def test_trials_alternate_abba_after_warmup(self):
        m = DriftingMachine(step_after=0)
        seen: list[str] = []
        runs = timing.time_interleaved({"ref": m.work("ref"), "kernel": m.work("kernel")}, CPU, 2, 4,
                                       {"kernel": lambda out: seen.append("checked")})
        self.assertEqual(m.log[:4], ["ref", "kernel", "ref", "kernel"])  # warm-up
        self.assertEqual(m.log[4:], ["ref", "kernel", "kernel", "ref", "ref", "kernel", "kernel", "ref"])
        self.assertEqual([len(runs[n].trials_ms) for n in ("ref", "kernel")], [4, 4])
        self.assertEqual(seen, ["checked"] * 4)  # every timed candidate output is re-checked

    def test_identical_code_times_alike_across_a_speed_step(self):
        # 20 trials each; the machine speeds up after 16 of the 40 timed calls. Back to back, the
        # reference would take 16 slow trials (median slow) and the candidate none (median fast): 3x.
        m = DriftingMachine(step_after=16)
        with mock.patch.object(timing, "_perf_counter", m.clock):
            runs = timing.time_interleaved({"ref": m.work("ref"), "kernel": m.work("kernel")}, CPU, 0, 20)
        self.assertEqual(*(sorted(round(t, 6) for t in runs[n].trials_ms) for n in ("ref", "kernel")))
        self.assertEqual(sorted(round(t, 6) for t in runs["ref"].trials_ms), [2.0] * 12 + [6.0] * 8)
        ratio = statistics.median(runs["ref"].trials_ms) / statistics.median(runs["kernel"].trials_ms)
        self.assertAlmostEqual(ratio, 1.0)
        back_to_back = DriftingMachine(step_after=16)
        with mock.patch.object(timing, "_perf_counter", back_to_back.clock):
            ref = timing.time_calls(back_to_back.work("ref"), CPU, 0, 20)
            kern = timing.time_calls(back_to_back.work("kernel"), CPU, 0, 20)
        self.assertAlmostEqual(ref.median / kern.median, 3.0)  # what the interleaving protects against

    def test_a_budget_times_slow_forwards_fewer_times_never_under_five(self):
        m = DriftingMachine(step_after=0, fast_ms=100.0)  # 100 ms a call: a round of two is 0.2 s
        with mock.patch.object(timing, "_perf_counter", m.clock):
            runs = timing.time_interleaved({"ref": m.work("ref"), "kernel": m.work("kernel")}, CPU, 3, 20, budget_s=1.4)
        self.assertEqual([len(runs[n].trials_ms) for n in ("ref", "kernel")], [7, 7])  # 1.4 s / 0.2 s
        m = DriftingMachine(step_after=0, fast_ms=1000.0)
        with mock.patch.object(timing, "_perf_counter", m.clock):
            runs = timing.time_interleaved({"ref": m.work("ref"), "kernel": m.work("kernel")}, CPU, 3, 20, budget_s=1.0)
        self.assertEqual(len(runs["kernel"].trials_ms), timing.MIN_TIMED_ROUNDS)

    def test_a_budget_leaves_fast_forwards_and_a_slow_first_call_alone(self):
        # The first warm-up round loads and picks algorithms (seconds); the pace is the later rounds'.
        m = DriftingMachine(step_after=2, slow_ms=3000.0, fast_ms=1.0)
        with mock.patch.object(timing, "_perf_counter", m.clock):
            runs = timing.time_interleaved({"ref": m.work("ref"), "kernel": m.work("kernel")}, CPU, 3, 20, budget_s=1.0)
        self.assertEqual(len(runs["kernel"].trials_ms), 20)
        self.assertEqual(timing.capped_repeats(20, None, 1.0), 20)  # no warm-up: nothing to go by
        self.assertEqual(timing.capped_repeats(3, 10.0, 1.0), 3)  # never more than asked

    def test_single_function_keeps_its_interface(self):
        run = timing.time_calls(lambda: torch.ones(3).sum(), CPU, 1, 5)
        self.assertEqual(len(run.trials_ms), 5)
        self.assertEqual(run.method, "perf_counter")
        self.assertFalse(run.events_miss_work())


class SimulatedGpu:
    """A stream the host enqueues onto, with a clock: records the order of host-side calls, and plays
    the queue when the host synchronises. The flush takes `flush_ms` of GPU time, the forward `call_ms`
    of GPU time after `launch_ms` of host time to issue it."""

    def __init__(self, flush_ms: float = 0.1, launch_ms: float = 0.03, call_ms: float = 0.02):
        self.flush_ms, self.launch_ms, self.call_ms = flush_ms, launch_ms, call_ms
        self.log: list[str] = []
        self.host_s = 0.0  # host clock
        self.gpu_s = 0.0  # when the GPU finishes what is queued so far
        self.events: dict[str, float] = {}

    def clock(self) -> float:
        return self.host_s

    def _enqueue(self, gpu_ms: float) -> float:
        self.gpu_s = max(self.gpu_s, self.host_s) + gpu_ms / 1000.0  # idle GPU waits for the host
        return self.gpu_s

    def synchronize(self, _device=None) -> None:
        self.log.append("sync")
        self.host_s = max(self.host_s, self.gpu_s)

    def event_class(self):
        gpu = self

        class Event:
            def __init__(self, enable_timing: bool = False):
                self.at: float | None = None

            def record(self) -> None:
                gpu.log.append(f"record{len([e for e in gpu.log if e.startswith('record')]) % 3}")
                self.at = gpu._enqueue(0.0)

            def elapsed_time(self, other: "Event") -> float:
                return (other.at - self.at) * 1000.0

        return Event

    def flush(self) -> None:
        self.log.append("flush")
        self._enqueue(self.flush_ms)

    def sleep(self, cycles: int) -> None:  # torch.cuda._sleep at a million cycles per ms
        self.log.append("sleep")
        self._enqueue(cycles / 1_000_000)

    def forward(self) -> torch.Tensor:
        self.log.append("fn")
        self.host_s += self.launch_ms / 1000.0  # host launch latency, then the kernel is queued
        self._enqueue(self.call_ms)
        return torch.zeros(1)


class CudaTrialTest(unittest.TestCase):
    def _time(self, gpu: SimulatedGpu, repeats: int = 4) -> timing.TimingRun:
        with mock.patch.object(timing, "_perf_counter", gpu.clock), \
                mock.patch.object(timing, "_synchronize", gpu.synchronize), \
                mock.patch.object(timing, "_Event", gpu.event_class()):
            return timing.time_calls(gpu.forward, torch.device("cuda"), 0, repeats, flusher=gpu)

    def test_flush_runs_ahead_of_the_start_event(self):
        gpu = SimulatedGpu()
        self._time(gpu, repeats=1)
        # record0: before the flush (the host window's event twin), record1: start, record2: end
        self.assertEqual(gpu.log[-7:], ["sync", "record0", "flush", "record1", "fn", "record2", "sync"])
        between = gpu.log[gpu.log.index("flush"):gpu.log.index("record1")]
        self.assertNotIn("sync", between)

    def test_head_start_covers_a_forward_slower_to_issue_than_the_flush(self):
        # 300 us of Python to issue a 20 us kernel behind a 100 us flush: the flush alone leaves the GPU
        # idle for 200 us inside the timed region; the hold after it (1.5x the measured issue time) does not.
        gpu = SimulatedGpu(flush_ms=0.1, launch_ms=0.3, call_ms=0.02)
        with mock.patch.object(timing, "_perf_counter", gpu.clock), \
                mock.patch.object(timing, "_synchronize", gpu.synchronize), \
                mock.patch.object(timing, "_Event", gpu.event_class()), \
                mock.patch.object(timing, "_sleep", gpu.sleep):
            run = timing.time_calls(gpu.forward, torch.device("cuda"), 3, 4, flusher=gpu)
        self.assertEqual([round(t, 6) for t in run.trials_ms], [0.02] * 4)
        trial = [e.rstrip("012") for e in gpu.log[-8:]]  # the hold's calibration recorded events too
        self.assertEqual(trial, ["sync", "record", "flush", "sleep", "record", "fn", "record", "sync"])
        without = SimulatedGpu(flush_ms=0.1, launch_ms=0.3, call_ms=0.02)
        with mock.patch.object(timing.HeadStart, "MAX_MS", 0.0):
            slow = self._time(without)
        self.assertEqual([round(t, 6) for t in slow.trials_ms], [0.22] * 4)

    def test_host_launch_latency_hidden_behind_the_flush(self):
        # 30 us to issue a 20 us kernel: with a synchronise after the flush the events saw 50 us.
        gpu = SimulatedGpu(flush_ms=0.1, launch_ms=0.03, call_ms=0.02)
        run = self._time(gpu)
        self.assertEqual([round(t, 6) for t in run.trials_ms], [0.02] * 4)
        self.assertEqual(run.method, "cuda_events+sync")

    def test_host_clock_compared_over_the_same_window(self):
        # A 2 ms flush ahead of a 0.1 ms call: the host clock sees 2.1 ms, the call's events 0.1 ms.
        gpu = SimulatedGpu(flush_ms=2.0, launch_ms=0.01, call_ms=0.1)
        run = self._time(gpu)
        self.assertAlmostEqual(statistics.median(run.host_ms), 2.1)
        self.assertAlmostEqual(statistics.median(run.window_ms), 2.1)
        self.assertFalse(run.events_miss_work())  # flush time is not escaped work
        # ... whereas work the events do not cover (host time beyond the window) still is.
        escaped = timing.TimingRun(run.trials_ms, [h + 5.0 for h in run.host_ms], run.method, run.window_ms)
        self.assertTrue(escaped.events_miss_work())
        # A host preempted in some trials (builds on every core) is no escaped work: every trial must show it.
        preempted = timing.TimingRun(run.trials_ms, [h + (5.0 if k % 3 else 0.0) for k, h in enumerate(run.host_ms)],
                                     run.method, run.window_ms)
        self.assertFalse(preempted.events_miss_work())


if __name__ == "__main__":
    unittest.main()
