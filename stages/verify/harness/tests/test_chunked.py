"""chunked: slice-at-a-time comparisons agree with the whole-tensor ones at every slice boundary."""
from __future__ import annotations

import unittest

import torch

import helpers  # noqa: F401
from kforge_harness import chunked, correctness
from kforge_harness.inputs import same_values


def _whole_errors(o: torch.Tensor, r: torch.Tensor) -> tuple[float, float]:
    diff = (o.double() - r.double()).abs()
    both_nan = torch.isnan(o) & torch.isnan(r) if o.is_floating_point() else torch.zeros_like(diff, dtype=torch.bool)
    diff = torch.where(both_nan, torch.zeros_like(diff), diff)
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, float("inf")), diff)
    nz = r.double().abs() > 0
    rel = float((diff[nz] / r.double().abs()[nz]).max()) if bool(nz.any()) else (0.0 if float(diff.max()) == 0 else float("inf"))
    return float(diff.max()), rel


class ChunkedTest(unittest.TestCase):
    def setUp(self):
        self._saved = chunked.CHUNK_ELEMS
        chunked.CHUNK_ELEMS = 7  # slice boundaries everywhere, including mid-row

    def tearDown(self):
        chunked.CHUNK_ELEMS = self._saved

    def test_slices_cover_every_element_in_order(self):
        t = torch.arange(60.0).reshape(6, 10)
        for x in (t, t.t(), t[:, ::3], t[2:5]):
            self.assertTrue(torch.equal(torch.cat(list(chunked.slices(x))), x.reshape(-1)), x.shape)
        self.assertEqual(list(chunked.slices(torch.empty(0, 3))), [])
        self.assertEqual(torch.cat(list(chunked.slices(torch.tensor(3.0)))).tolist(), [3.0])

    def test_fingerprint_is_the_bits(self):
        g = torch.Generator().manual_seed(1)
        t = torch.randn(6, 10, generator=g)
        self.assertEqual(chunked.fingerprint(t), chunked.fingerprint(t.clone()))
        # Same values in another layout: same fingerprint (slices run in reshape(-1) order).
        self.assertEqual(chunked.fingerprint(t.t().contiguous().t()), chunked.fingerprint(t))
        swapped = t.clone().reshape(-1)
        swapped[[3, 4]] = swapped[[4, 3]]
        self.assertNotEqual(chunked.fingerprint(swapped.reshape(6, 10)), chunked.fingerprint(t))
        last_bit = t.clone()
        last_bit[5, 9] = torch.nextafter(last_bit[5, 9], torch.tensor(float("inf")))
        self.assertNotEqual(chunked.fingerprint(last_bit), chunked.fingerprint(t))
        for x in (t.half(), t > 0, t.double(), (t * 100).long(), torch.tensor(2.5)):
            self.assertEqual(chunked.fingerprint(x), chunked.fingerprint(x.clone()), x.dtype)
        self.assertNotEqual(correctness.fingerprint([t, t]), correctness.fingerprint([t, last_bit]))

    def test_errors_match_the_whole_tensor_computation(self):
        g = torch.Generator().manual_seed(0)
        r = torch.randn(13, 11, generator=g)
        o = r + 1e-3 * torch.randn(13, 11, generator=g)
        r[3, 4] = 0.0
        o[5, 5] = float("nan")
        o[7, 1] = r[7, 1] = float("nan")
        for a, b in ((o, r), (o.t(), r.t()), (o.t().contiguous(), r.t())):
            self.assertEqual(chunked.max_errors(a, b), _whole_errors(a, b))
        zeros = torch.zeros(20)
        self.assertEqual(chunked.max_errors(zeros, zeros), (0.0, 0.0))
        self.assertEqual(chunked.max_errors(zeros + 1, zeros), (1.0, float("inf")))
        ints = torch.arange(30).reshape(3, 10)
        self.assertEqual(chunked.max_errors(ints + 2, ints), (2.0, 2.0))

    def test_allclose_fails_on_one_element_in_any_slice(self):
        r = torch.randn(50)
        for i in (0, 6, 7, 49):
            o = r.clone()
            self.assertTrue(chunked.all_close(o, r, 1e-4, 1e-4))
            o[i] += 1.0
            self.assertFalse(chunked.all_close(o, r, 1e-4, 1e-4), i)
        self.assertTrue(chunked.all_close(torch.tensor([float("nan")] * 9), torch.tensor([float("nan")] * 9), 0, 0))
        self.assertFalse(chunked.all_close(torch.arange(9), torch.arange(9) * 2, 10.0, 10.0))  # ints: exact

    def test_compare_and_same_values_use_slices(self):
        r = torch.randn(9, 9)
        o = r.clone()
        o[8, 8] += 1.0
        cmp = correctness.compare(o, r, "default")
        self.assertFalse(cmp.passed)
        self.assertAlmostEqual(cmp.max_abs, 1.0, places=5)
        self.assertTrue(same_values(r, r.clone()))
        self.assertFalse(same_values(r, o))
        n = r.clone()
        n[4, 4] = float("nan")
        self.assertTrue(same_values(n, n.clone()))
        self.assertFalse(same_values(n, r))

    def test_mean_and_constants(self):
        t = torch.full((40,), 2.5)
        t[39] = 2.5 + 40 * 1e-3
        self.assertAlmostEqual(chunked.mean(t), float(t.double().mean()), places=12)
        self.assertTrue(chunked.close_to_constant(t, 2.5, 0.05, 0.0))
        self.assertFalse(chunked.close_to_constant(t, 2.5, 1e-4, 0.0))
        self.assertFalse(chunked.all_finite(torch.tensor([1.0] * 8 + [float("inf")])))


if __name__ == "__main__":
    unittest.main()
