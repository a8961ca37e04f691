"""stages/verify/gpu/fleet_summary.py: the floor of a fleet run and where each candidate's time went."""
from __future__ import annotations

import sys
import unittest

import helpers

sys.path.insert(0, str(helpers.REPO / "stages" / "verify" / "gpu"))
import fleet_summary  # noqa: E402


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


if __name__ == "__main__":
    unittest.main()
