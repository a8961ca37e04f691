"""stages/verify/gpu/fleet_summary.py: the floor of a fleet run and where each candidate's time went."""
from __future__ import annotations

import sys
import time
import unittest

import helpers

sys.path.insert(0, str(helpers.REPO / "stages" / "verify" / "gpu"))
import fleet_summary  # noqa: E402
import fleet_timeline  # noqa: E402


def result(cid: str, **fields) -> dict:
    return {"candidate_id": cid, **fields}


class FloorTest(unittest.TestCase):
    def test_floor_is_the_builds_spread_over_the_cores_or_the_gpu_steps_in_a_row(self):
        rs = [result("a", build_cpu_s=40.0, gpu_busy_s=1.5, gpu_exclusive_s=0.5, build_source="store"),
              result("b", build_cpu_s=24.0, gpu_busy_s=2.5, gpu_exclusive_s=0.7, build_source="store"),
              result("c", build_cpu_s=None, gpu_busy_s=None, fail_stage="build", build_source=None)]
        s = fleet_summary.summarize(rs, wall_s=12.0, cores=16, planned=4)
        self.assertEqual((s["sum_build_cpu_s"], s["sum_gpu_busy_s"]), (64.0, 4.0))
        self.assertEqual(s["floor_s"], 4.0)  # 64 CPU-s over 16 cores = 4 s, the GPU steps 4 s
        self.assertEqual(s["wall_over_floor"], 3.0)
        self.assertEqual(s["max_gpu_exclusive_s"], 0.7)
        self.assertEqual(s["build_sources"], {"None": 1, "store": 2})
        self.assertEqual([c["id"] for c in s["candidates"]], ["a", "b", "c"])
        self.assertEqual(fleet_summary.summarize(rs, wall_s=12.0, cores=4, planned=4)["floor_s"], 16.0)

    def test_nothing_measured_has_no_ratio(self):
        s = fleet_summary.summarize([], wall_s=3.0, cores=2, planned=0)
        self.assertEqual((s["floor_s"], s["wall_over_floor"]), (0, None))


class TimelineTest(unittest.TestCase):
    def test_idle_cores_before_and_after_the_first_result(self):
        samples = [{"t_s": 2.0, "done": 0, "cpu_busy": 0.5, "gpu_util": 0.0},
                   {"t_s": 4.0, "done": 1, "cpu_busy": 1.0, "gpu_util": 0.5},
                   {"t_s": 6.0, "done": 3, "cpu_busy": 0.25, "gpu_util": None}]
        p = fleet_timeline.phases(samples, cores=4)
        self.assertEqual(p["first_result_s"], 4.0)
        self.assertEqual(p["idle_core_s_before_first"], 4.0)  # half of 4 cores for 2 s, then none
        self.assertEqual(p["idle_core_s_after_first"], 6.0)  # three quarters of 4 cores for 2 s
        self.assertEqual(p["mean_gpu_util"], 0.25)

    def test_samples_this_host(self):
        tl = fleet_timeline.Timeline(helpers.REPO / "no-such-results.jsonl", period_s=0.2, gpu=False).start()
        while not tl.samples:
            time.sleep(0.02)
        s = tl.stop()[0]
        self.assertEqual(s["done"], 0)
        self.assertTrue(0.0 <= s["cpu_busy"] <= 1.0)


if __name__ == "__main__":
    unittest.main()
