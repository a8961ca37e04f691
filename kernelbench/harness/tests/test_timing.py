"""timing: reference and candidate trials alternate, so a step in the machine's speed part-way through
a run lands on both (the H100 showed such steps; timed back to back, identical code came out 8% apart)."""
from __future__ import annotations

import statistics
import time
import unittest

import torch

import helpers  # noqa: F401
from kforge_harness import timing

CPU = torch.device("cpu")


class DriftingMachine:
    """Every call sleeps `slow_ms` until the machine has served `step_after` calls, then `fast_ms`."""

    def __init__(self, step_after: int, slow_ms: float = 6.0, fast_ms: float = 2.0):
        self.calls, self.step_after, self.slow, self.fast = 0, step_after, slow_ms, fast_ms
        self.log: list[str] = []

    def work(self, who: str):
        def fn() -> torch.Tensor:
            self.calls += 1
            self.log.append(who)
            time.sleep((self.slow if self.calls <= self.step_after else self.fast) / 1000.0)
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
        runs = timing.time_interleaved({"ref": m.work("ref"), "kernel": m.work("kernel")}, CPU, 0, 20)
        ratio = statistics.median(runs["ref"].trials_ms) / statistics.median(runs["kernel"].trials_ms)
        self.assertLess(abs(ratio - 1.0), 0.25, runs)
        back_to_back = DriftingMachine(step_after=16)
        ref = timing.time_calls(back_to_back.work("ref"), CPU, 0, 20)
        kern = timing.time_calls(back_to_back.work("kernel"), CPU, 0, 20)
        self.assertGreater(ref.median / kern.median, 2.0)  # what the interleaving protects against

    def test_single_function_keeps_its_interface(self):
        run = timing.time_calls(lambda: torch.ones(3).sum(), CPU, 1, 5)
        self.assertEqual(len(run.trials_ms), 5)
        self.assertEqual(run.method, "perf_counter")
        self.assertFalse(run.events_miss_work())


if __name__ == "__main__":
    unittest.main()
