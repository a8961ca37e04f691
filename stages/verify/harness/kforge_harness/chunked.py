"""Element-wise comparisons done a slice at a time, so their temporaries stay small.

KernelBench's level 1 inputs reach 6 GB (a 4096 x 393216 fp32 ReLU). A whole-tensor comparison
makes several temporaries of that size (the difference, its absolute value, NaN masks, the gathered
non-zero elements, allclose's own intermediates): on an 80 GB card that ran out of memory with the
inputs, the kept reference output and the candidate's output still alive. Slices of at most
CHUNK_ELEMS elements bound every temporary to a few hundred MB whatever the problem size.
"""
from __future__ import annotations

from typing import Iterator

import torch

# Bound at import, before any candidate code runs in the worker (see tampering.py).
_allclose, _equal, _isnan, _isfinite, _where = torch.allclose, torch.equal, torch.isnan, torch.isfinite, torch.where

# 2**25 elements: 128 MB per fp32 temporary, 256 MB in float64.
CHUNK_ELEMS = 1 << 25


def _flat_views(t: torch.Tensor, step: int) -> Iterator[torch.Tensor]:
    flat = t.reshape(-1)  # a view: only called on contiguous tensors
    for start in range(0, flat.numel(), step):
        yield flat[start:start + step]


def _row_slices(t: torch.Tensor, step: int) -> Iterator[torch.Tensor]:
    """Slices along dim 0, flattened (a copy of one slice at most): element order matches reshape(-1)."""
    if t.dim() == 0:
        yield t.reshape(-1)
        return
    per_row = max(1, t.numel() // max(1, t.shape[0]))
    rows = max(1, step // per_row)
    for start in range(0, t.shape[0], rows):
        yield t[start:start + rows].reshape(-1)


def slices(t: torch.Tensor, step: int | None = None) -> Iterator[torch.Tensor]:
    """1-D slices covering `t` in reshape(-1) order."""
    step = step or CHUNK_ELEMS
    if t.numel() == 0:
        return iter(())
    return _flat_views(t, step) if t.is_contiguous() else _row_slices(t, step)


def paired_slices(a: torch.Tensor, b: torch.Tensor, step: int | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Matching 1-D slices of two tensors of the same shape (element i of one faces element i of the other)."""
    step = step or CHUNK_ELEMS
    if a.shape != b.shape:
        raise ValueError(f"paired_slices: shapes differ {list(a.shape)} vs {list(b.shape)}")
    if a.numel() == 0:
        return iter(())
    if a.is_contiguous() and b.is_contiguous():
        return zip(_flat_views(a, step), _flat_views(b, step))
    return zip(_row_slices(a, step), _row_slices(b, step))


def all_close(a: torch.Tensor, b: torch.Tensor, atol: float, rtol: float, allclose=_allclose) -> bool:
    """allclose(a, b, equal_nan=True) slice by slice; exact equality for non-float tensors."""
    exact = not (a.is_floating_point() or a.is_complex())
    for x, y in paired_slices(a, b):
        if exact:
            if not bool(_equal(x, y)):
                return False
        elif not bool(allclose(x, y, atol=atol, rtol=rtol, equal_nan=True)):
            return False
    return True


def bitwise_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Same values, NaN equal to NaN (same shape and dtype assumed checked by the caller)."""
    floating = a.is_floating_point() or a.is_complex()
    for x, y in paired_slices(a, b):
        if floating:
            nan_x, nan_y = _isnan(x), _isnan(y)
            if not bool(_equal(nan_x, nan_y)):
                return False
            if not bool(_equal(_where(nan_x, torch.zeros_like(x), x),
                                    _where(nan_y, torch.zeros_like(y), y))):
                return False
        elif not bool(_equal(x, y)):
            return False
    return True


_BITS_DTYPES = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
_FINGERPRINT_MOD = 65521  # positions weighted 1..65521: a permutation of the same values changes it


def fingerprint(t: torch.Tensor) -> tuple[int, int]:
    """Two wrapping int64 sums over the raw bits (plain and position-weighted): equal bits give equal
    fingerprints, and differing outputs practically never collide. Lets the determinism check drop one
    output before the repeat run instead of keeping both alive (a collision would only lose the
    informative 'nondeterministic_within_tolerance'; the verdict compares values, not fingerprints)."""
    bits_dtype = _BITS_DTYPES.get(t.element_size())
    plain = weighted = 0
    offset = 0
    for x in slices(t):
        v = (x.contiguous().view(bits_dtype) if bits_dtype is not None else x.contiguous().view(torch.uint8)).to(torch.int64)
        w = torch.arange(offset, offset + v.numel(), device=v.device, dtype=torch.int64) % _FINGERPRINT_MOD + 1
        plain += int(v.sum())
        weighted += int((v * w).sum())
        offset += v.numel()
    return plain, weighted


def max_errors(o: torch.Tensor, r: torch.Tensor) -> tuple[float, float]:
    """(max |o - r|, max |o - r| / |r| over r != 0); NaN where the reference is not NaN counts as inf.

    Where no reference element is non-zero the relative error is 0 if the outputs agree, else inf."""
    max_abs = max_rel = 0.0
    any_nonzero = False
    for x, y in paired_slices(o, r):
        if not (x.is_floating_point() or x.is_complex()):
            work = torch.float64
        else:
            work = torch.float64 if x.dtype == torch.float64 else torch.float32
        xw, yw = x.to(work), y.to(work)
        diff = (xw - yw).abs()
        if x.is_floating_point() or x.is_complex():
            both_nan = _isnan(x) & _isnan(y)
            diff = _where(both_nan, torch.zeros_like(diff), diff)
        diff = _where(_isnan(diff), torch.full_like(diff, float("inf")), diff)
        max_abs = max(max_abs, float(diff.max()))
        ref_abs = yw.abs()
        nonzero = ref_abs > 0
        if bool(nonzero.any()):
            any_nonzero = True
            max_rel = max(max_rel, float((diff[nonzero] / ref_abs[nonzero]).max()))
    if not any_nonzero:
        max_rel = 0.0 if max_abs == 0 else float("inf")
    return max_abs, max_rel


def mean(t: torch.Tensor) -> float:
    """Mean in float64 without a float64 copy of the whole tensor."""
    total, n = 0.0, t.numel()
    if n == 0:
        return 0.0
    for x in slices(t):
        total += float(x.double().sum())
    return total / n


def close_to_constant(t: torch.Tensor, value: float, atol: float, rtol: float, allclose=_allclose) -> bool:
    """Would a tensor filled with `value` pass allclose(constant, t)?"""
    for x in slices(t):
        if not bool(allclose(torch.full_like(x, value), x, atol=atol, rtol=rtol, equal_nan=True)):
            return False
    return True


def all_finite(t: torch.Tensor) -> bool:
    return all(bool(_isfinite(x).all()) for x in slices(t))
