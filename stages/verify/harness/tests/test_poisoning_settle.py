"""poisoning.wait_for_released_memory: a worker that has just taken the device lock waits for the last
holder's memory (seen on the H200: the next worker ran out of memory while the driver was still
freeing a hoarding candidate's context). The device is simulated: no GPU here."""
from __future__ import annotations

import unittest
from unittest import mock

import torch

import helpers  # noqa: F401
from kforge_harness import poisoning

GIB = 1 << 30


class SettleTest(unittest.TestCase):
    def _run(self, free_readings: list[int | Exception]) -> int:
        readings = iter(free_readings)
        calls = []

        def mem_get_info(_device: torch.device) -> tuple[int, int]:
            calls.append(1)
            reading = next(readings)
            if isinstance(reading, Exception):
                raise reading
            return reading, 140 * GIB
        with mock.patch.object(poisoning, "_mem_get_info", mem_get_info), \
                mock.patch.object(poisoning, "_sleep", lambda _s: None):
            poisoning.wait_for_released_memory(torch.device("cuda"))
        return len(calls)

    def test_waits_while_the_last_holders_memory_comes_back(self):
        self.assertEqual(self._run([2 * GIB, 30 * GIB, 90 * GIB, 139 * GIB]), 3)

    def test_no_room_for_a_context_is_not_free_yet(self):
        oom = RuntimeError("CUDA error: out of memory")
        self.assertEqual(self._run([oom, oom, 139 * GIB]), 3)
        with mock.patch.object(poisoning, "SETTLE_S", 0.0), self.assertRaises(RuntimeError):
            self._run([oom])

    def test_no_wait_on_a_free_device(self):
        self.assertEqual(self._run([139 * GIB]), 1)

    def test_gives_up_after_the_settle_time(self):
        with mock.patch.object(poisoning, "SETTLE_S", 0.0):
            self.assertEqual(self._run([GIB, GIB]), 1)

    def test_cpu_does_not_ask(self):
        with mock.patch.object(poisoning, "_mem_get_info", mock.Mock(side_effect=AssertionError)):
            poisoning.wait_for_released_memory(torch.device("cpu"))


if __name__ == "__main__":
    unittest.main()
