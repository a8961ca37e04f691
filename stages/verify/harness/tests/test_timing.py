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

    def test_single_function_keeps_its_interface(self):
        run = timing.time_calls(lambda: torch.ones(3).sum(), CPU, 1, 5)
        self.assertEqual(len(run.trials_ms), 5)
        self.assertEqual(run.method, "perf_counter")
        self.assertFalse(run.events_miss_work())


if __name__ == "__main__":
    unittest.main()
