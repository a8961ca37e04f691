"""precision.py and the precision plumbing: float inputs and init inputs cast, integer ones kept; the
tolerance follows the run's precision; 'precision_lowered' judged against it; the floor's peak names."""
from __future__ import annotations

import unittest

import torch

import helpers  # noqa: F401  (puts the harness on sys.path)
from kforge_harness import precision, problem_facts
from kforge_harness.inputs import init_inputs, make_inputs
from kforge_harness.protocol import JobError, VerifyJob
from kforge_harness.speed_of_light import PEAK_NAMES
from kforge_harness.static_check import check_source
from kforge_harness.tolerance import tolerance_for

PROBLEM = '''
import torch
import torch.nn as nn
class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.lin = nn.Linear(n, n)
    def forward(self, x, idx):
        return self.lin(x)[idx]
def get_inputs():
    return [torch.randn(4, 8), torch.tensor([0, 2])]
def get_init_inputs():
    return [8]
'''


class Casting(unittest.TestCase):
    def test_float_inputs_cast_integer_kept(self):
        mod = helpers.import_problem(PROBLEM)
        x, idx = make_inputs(mod, 3, torch.device("cpu"), torch.bfloat16)
        self.assertEqual((x.dtype, idx.dtype), (torch.bfloat16, torch.int64))
        fp32 = make_inputs(mod, 3, torch.device("cpu"))[0]
        self.assertTrue(torch.equal(x, fp32.to(torch.bfloat16)))  # the same draw, rounded
        self.assertEqual(init_inputs(mod, torch.device("cpu"), torch.float16), [8])

    def test_facts_count_the_dtype_bytes(self):
        mod = helpers.import_problem(PROBLEM)
        dev = torch.device("cpu")
        f32 = problem_facts.measure_problem(mod, lambda s: make_inputs(mod, s, dev), dev, "default")
        b16 = problem_facts.measure_problem(mod, lambda s: make_inputs(mod, s, dev, torch.bfloat16), dev, "default",
                                            dtype=torch.bfloat16)
        self.assertEqual(b16["input_dtypes"], ["bfloat16", "int64"])
        self.assertLess(b16["min_bytes"], f32["min_bytes"])

    def test_job_precision(self):
        base = {"candidate_id": "c", "problem": {"name": "p", "code": PROBLEM}, "kernel_source": ""}
        self.assertEqual(VerifyJob.from_dict(base).precision, "fp32")
        self.assertEqual(VerifyJob.from_dict({**base, "precision": "bf16"}).to_dict()["precision"], "bf16")
        with self.assertRaisesRegex(JobError, "unknown precision 'fp8'"):
            VerifyJob.from_dict({**base, "precision": "fp8"})


class Tolerance(unittest.TestCase):
    def test_per_precision(self):
        self.assertEqual(tolerance_for("default", None, "fp32"), (1e-4, 1e-4))
        self.assertEqual(tolerance_for("default", torch.float32, "bf16"), (1e-2, 1e-2))
        self.assertEqual(tolerance_for("default", torch.float16, "fp32"), (1e-2, 1e-2))
        self.assertEqual(tolerance_for("loose", None, "fp32"), (1e-2, 1e-2))


HALF_PY = "import torch\nclass ModelNew:\n    def forward(self, x):\n        return x.half().relu()\n"
BF16_CU = 's = "__global__ void k(const __nv_bfloat162* x) {}"\n'
FP8_CU = 's = "__global__ void k(const __nv_fp8_e4m3* x) {}"\n'
FAST = 'f = ["-O3", "--use_fast_math"]\n'
TRITON_FP16 = "import triton.language as tl\ndef k(x):\n    return x.to(tl.float16)\n"
TRITON_TF32 = "import triton.language as tl\ndef k(a, b):\n    return tl.dot(a, b, input_precision='tf32')\n"


class Lowered(unittest.TestCase):
    def lowered(self, source: str, prec: str) -> bool:
        return "precision_lowered" in check_source(source, "cuda", prec)

    def test_judged_against_the_run(self):
        cases = [(HALF_PY, {"fp32": True, "fp16": False, "bf16": False}),
                 (BF16_CU, {"fp32": True, "fp16": True, "bf16": False}),
                 (FP8_CU, {"fp32": True, "fp16": True, "bf16": True}),
                 (FAST, {"fp32": True, "fp16": False, "bf16": False}),
                 (TRITON_FP16, {"fp32": True, "fp16": False, "bf16": False}),
                 (TRITON_TF32, {"fp32": True, "fp16": False, "bf16": False})]
        for source, expected in cases:
            for prec, want in expected.items():
                self.assertEqual(self.lowered(source, prec), want, f"{prec}: {source!r}")
        self.assertFalse(any(f.startswith("lowp:") for f in check_source(FP8_CU, "cuda", "bf16")))


class Floor(unittest.TestCase):
    def test_half_runs_use_half_peaks(self):
        self.assertEqual(PEAK_NAMES["bf16"][0], "bf16_flops_per_s")
        self.assertNotIn("fp32_flops_per_s", PEAK_NAMES["fp16"])
        self.assertEqual(precision.torch_dtype("fp16"), torch.float16)


if __name__ == "__main__":
    unittest.main()
