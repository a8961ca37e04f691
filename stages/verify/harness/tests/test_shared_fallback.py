"""An out-of-memory stop while the device is shared is measured again with the device to itself
(shared_fallback.py): lb-1-11, honest, ran out of its 1/8 slice of an H200 with 123 GiB free. No GPU here:
the measurement is a stand-in that raises the Stop the worker raises (torch's OutOfMemoryError as its cause)."""
from __future__ import annotations

import unittest

import torch

import helpers  # noqa: F401  (puts the harness on sys.path)
from kforge_harness import evaluation
from kforge_harness.shared_fallback import measure_with_fallback, out_of_memory


def oom_stop() -> evaluation.Stop:
    try:
        try:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 6.00 GiB.")
        except Exception as e:
            raise evaluation.Stop("run", f"ModelNew.forward raised OutOfMemoryError: {e}") from e
    except evaluation.Stop as s:
        return s


class Device:
    def __init__(self, exclusive: bool = False):
        self.exclusive, self.freed, self.calls, self.allocated = exclusive, 0, [], 0

    def go_exclusive(self) -> None:
        self.exclusive = True


class FallbackTest(unittest.TestCase):
    def run_with(self, device: Device, attempts: list, result: dict, flags: list) -> bool:
        def measure() -> None:
            device.calls.append("exclusive" if device.exclusive else "shared")
            step = attempts.pop(0)
            result["trials_run"] = result.get("trials_run", 0) + 1
            flags.append(f"flag-of-{device.calls[-1]}")
            if isinstance(step, BaseException):
                raise step

        return measure_with_fallback(measure, lambda: device.exclusive, device.go_exclusive, result, flags,
                                     lambda: setattr(device, "freed", device.freed + 1), lambda: device.allocated)

    def test_out_of_memory_while_shared_is_measured_again_alone_from_a_clean_result(self):
        device, result, flags = Device(), {"compiled": True}, ["static"]
        self.assertTrue(self.run_with(device, [oom_stop(), None], result, flags))
        self.assertEqual(device.calls, ["shared", "exclusive"])
        self.assertEqual(device.freed, 1)
        self.assertEqual(result, {"compiled": True, "trials_run": 1})  # the failed attempt left nothing
        self.assertEqual(flags, ["static", "flag-of-exclusive"])

    def test_out_of_memory_with_the_device_alone_is_the_verdict(self):
        device = Device(exclusive=True)
        with self.assertRaises(evaluation.Stop):
            self.run_with(device, [oom_stop(), None], {}, [])
        self.assertEqual(device.calls, ["exclusive"])

    def test_out_of_memory_again_alone_is_the_verdict(self):
        device = Device()
        with self.assertRaises(evaluation.Stop) as caught:
            self.run_with(device, [oom_stop(), oom_stop()], {}, [])
        self.assertTrue(out_of_memory(caught.exception))
        self.assertEqual(device.calls, ["shared", "exclusive"])

    def test_any_other_stop_while_shared_is_the_verdict(self):
        device = Device()
        wrong = evaluation.Stop("correctness", "output mismatch")
        with self.assertRaises(evaluation.Stop):
            self.run_with(device, [wrong, None], {}, [])
        self.assertEqual(device.calls, ["shared"])
        self.assertFalse(out_of_memory(wrong))

    def test_a_candidate_that_keeps_what_it_took_keeps_its_verdict(self):
        device = Device()

        def hoard_then_oom() -> None:
            device.calls.append("shared")
            device.allocated += 30 << 30  # a cache in its module: still allocated once the call is gone
            raise oom_stop()

        with self.assertRaises(evaluation.Stop) as caught:
            measure_with_fallback(hoard_then_oom, lambda: device.exclusive, device.go_exclusive, {}, [],
                                  lambda: None, lambda: device.allocated)
        self.assertIn("30.0 GiB stayed allocated", str(caught.exception))
        self.assertIn("Tried to allocate 6.00 GiB", str(caught.exception))  # the first error, kept
        self.assertEqual((device.calls, device.exclusive), (["shared"], False))

    def test_a_passing_measurement_runs_once(self):
        device = Device()
        self.assertFalse(self.run_with(device, [None], {}, []))
        self.assertEqual(device.calls, ["shared"])


if __name__ == "__main__":
    unittest.main()
