"""speed_of_light: the floor from given peaks, the peaks cache file, the two speed checks."""
from __future__ import annotations

import json
import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import torch

import helpers  # noqa: F401
from kforge_harness import speed_of_light as sol

FAKE = {"bandwidth_bytes_per_s": 1e10, "fp32_flops_per_s": 1e11, "bf16_flops_per_s": 4e11}


class SpeedOfLightTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="kforge-peaks-"))
        self.env = mock.patch.dict(os.environ, {"KFORGE_PEAKS_CACHE": str(self.dir / "peaks.json")})
        self.env.start()
        sol._MEMO.clear()
        self.calls = 0

    def tearDown(self):
        self.env.stop()
        sol._MEMO.clear()

    def fake_measure(self, device):
        self.calls += 1
        return dict(FAKE)

    def test_floor_is_the_larger_term_at_the_fastest_rate(self):
        sol.peak_rates("cpu", self.fake_measure)
        # 1e9 bytes at 1e10 B/s = 100 ms; 4e10 FLOP at the best rate (bf16, 4e11) = 100 ms.
        self.assertAlmostEqual(sol.floor_ms(None, 1e9, "cpu"), 100.0)
        self.assertAlmostEqual(sol.floor_ms(8e10, 1e9, "cpu"), 200.0)
        self.assertAlmostEqual(sol.floor_ms(4e10, 1e8, "cpu"), 100.0)
        self.assertIsNone(sol.floor_ms(None, None, "cpu"))
        self.assertEqual(self.calls, 1)

    def test_peaks_are_cached_on_disk_by_device(self):
        first = sol.peak_rates("cpu", self.fake_measure)
        data = json.loads((self.dir / "peaks.json").read_text())
        self.assertEqual(list(data), [sol.device_key("cpu")])
        self.assertEqual(data[sol.device_key("cpu")]["bandwidth_bytes_per_s"], 1e10)
        sol._MEMO.clear()  # a new process: read from the file, no measurement
        self.assertEqual(sol.peak_rates("cpu", self.fake_measure)["fp32_flops_per_s"], first["fp32_flops_per_s"])
        self.assertEqual(self.calls, 1)

    def test_real_cpu_measurement_is_plausible(self):
        torch.set_num_threads(1)
        rates = sol.peak_rates("cpu")
        self.assertGreater(rates["bandwidth_bytes_per_s"], 1e8)
        self.assertGreater(rates["bandwidth_cached_bytes_per_s"], 1e8)
        self.assertGreater(rates["fp32_flops_per_s"], 1e7)
        self.assertIn("bf16_flops_per_s", rates)
        # A 256^3 matmul cannot take under a microsecond on one core; a cached copy of it easily would.
        floor = sol.floor_ms(2.0 * 256 ** 3, 3 * 256 * 256 * 4, "cpu")
        self.assertGreater(floor, 1e-3)
        self.assertEqual(sol.check_speed(0.001, floor), ["faster_than_light"])

    def test_checks(self):
        self.assertEqual(sol.check_speed(0.4, 1.0), ["faster_than_light"])
        self.assertEqual(sol.check_speed(0.9, 1.0), [])  # within the measurement slack
        self.assertEqual(sol.check_speed(2.0, 1.0), [])
        self.assertEqual(sol.check_speed(None, 1.0), [])
        self.assertEqual(sol.check_speed(0.1, None), [])

    def test_a_floor_the_reference_beats_too_is_the_floors_fault(self):
        self.assertEqual(sol.check_speed(0.4, 1.0, ref_ms=5.0), ["faster_than_light"])  # the reference respects it
        self.assertEqual(sol.check_speed(0.105, 0.22, ref_ms=0.101), [])  # both "impossible": peaks measured low
        self.assertEqual(sol.check_speedup(12.0), ["speedup_over_10x"])
        self.assertEqual(sol.check_speedup(9.0), [])
        self.assertEqual(sol.check_speedup(None), [])


if __name__ == "__main__":
    unittest.main()


class WorkerPeaksCacheTest(unittest.TestCase):
    """Where a worker finds the peaks: beside the builds, unless the driver was given a file of its own."""

    def test_beside_the_builds_by_default(self):
        from kforge_harness import sandbox
        env = sandbox.worker_env({}, Path("/tmp/s"), Path("/tmp/ext/a"), Path("/h"), 1, Path("/tmp/cache"))
        self.assertEqual(env["KFORGE_PEAKS_CACHE"], "/tmp/cache/peaks.json")

    def test_the_drivers_own_file_is_passed_on(self):
        from kforge_harness import sandbox
        env = sandbox.worker_env({"KFORGE_PEAKS_CACHE": "/var/peaks.json"}, Path("/tmp/s"), Path("/tmp/ext/a"), Path("/h"), 1,
                                 Path("/tmp/cache"))
        self.assertEqual(env["KFORGE_PEAKS_CACHE"], "/var/peaks.json")
