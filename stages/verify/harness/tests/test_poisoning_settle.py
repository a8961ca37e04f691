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


class ProcessSliceTest(unittest.TestCase):
    """poisoning.limit_process_memory against torch's contract: a device index, never a bare 'cuda'."""

    def _set(self, device: torch.device, share: int) -> list[tuple[float, int]]:
        calls = []

        def setter(fraction: float, index: object) -> None:
            if not isinstance(index, int):  # torch: "Expected a torch.device with a specified index or an integer"
                raise ValueError(f"got {index!r}")
            calls.append((fraction, index))
        with mock.patch.object(torch.cuda, "set_per_process_memory_fraction", setter, create=True), \
                mock.patch.object(torch.cuda, "current_device", lambda: 0):
            poisoning.limit_process_memory(device, share)
        return calls

    def test_a_shared_device_gives_each_worker_its_slice(self):
        self.assertEqual(self._set(torch.device("cuda"), 4), [(0.25, 0)])
        self.assertEqual(self._set(torch.device("cuda", 1), 2), [(0.5, 1)])

    def test_timing_gets_the_whole_device_back(self):
        self.assertEqual(self._set(torch.device("cuda"), 1), [(1.0, 0)])

    def test_cpu_has_no_allocator_slice(self):
        self.assertEqual(self._set(torch.device("cpu"), 4), [])


if __name__ == "__main__":
    unittest.main()
