"""Compare a candidate's output with the kept reference output.

Functions used for the verdict (allclose, ...) are bound here at import time, before any candidate
code runs, so a candidate that patches torch.allclose does not change our comparison (and
`tampering.check_identities` notices the patch).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from . import chunked
from .tolerance import POLICIES, tolerance_for

_allclose = torch.allclose
_TensorType = torch.Tensor


class OutputMismatch(Exception):
    """The output's type, device, shape or dtype is wrong (values are judged separately)."""

    def __init__(self, message: str, flag: str | None = None):
        super().__init__(message)
        self.flag = flag


def flatten_output(out: Any) -> list[Any]:
    if isinstance(out, (list, tuple)):
        items: list[Any] = []
        for o in out:
            items.extend(flatten_output(o))
        return items
    return [out]


def _has_real_storage(t: torch.Tensor) -> bool:
    if t.numel() == 0:
        return True
    try:
        storage = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()
        return storage.data_ptr() != 0 and t.data_ptr() != 0
    except Exception:
        return False


def check_structure(out: Any, ref: Any, device: torch.device) -> None:
    """Raise OutputMismatch unless `out` is plain tensor(s) on `device` shaped and typed like `ref`."""
    outs, refs = flatten_output(out), flatten_output(ref)
    if len(outs) != len(refs):
        raise OutputMismatch(f"output has {len(outs)} tensors, reference has {len(refs)}")
    for i, (o, r) in enumerate(zip(outs, refs)):
        where = f"output[{i}] " if len(refs) > 1 else "output "
        if not isinstance(r, torch.Tensor):
            if o != r:
                raise OutputMismatch(f"{where}is {o!r}, reference is {r!r}")
            continue
        if type(o) is not _TensorType:
            flag = "output_not_plain_tensor" if isinstance(o, torch.Tensor) else None
            raise OutputMismatch(f"{where}is a {type(o).__module__}.{type(o).__name__}, expected a plain torch.Tensor", flag)
        if o.layout != torch.strided or not _has_real_storage(o):
            raise OutputMismatch(f"{where}has no real strided storage", "output_not_plain_tensor")
        if o.device.type != device.type:
            raise OutputMismatch(f"{where}is on {o.device}, expected {device.type}")
        if tuple(o.shape) != tuple(r.shape):
            raise OutputMismatch(f"{where}shape {list(o.shape)} != expected {list(r.shape)}")
        if o.dtype != r.dtype:
            raise OutputMismatch(f"{where}dtype {o.dtype} != expected {r.dtype}")


@dataclass
class Comparison:
    passed: bool
    max_abs: float
    max_rel: float
    policies: set[str] = field(default_factory=set)


def _errors(o: torch.Tensor, r: torch.Tensor) -> tuple[float, float]:
    return chunked.max_errors(o, r)


def _close(o: torch.Tensor, r: torch.Tensor, atol: float, rtol: float) -> bool:
    return chunked.all_close(o, r, atol, rtol, _allclose)


def compare(out: Any, ref: Any, policy: str, precision: str = "fp32") -> Comparison:
    """Values only (call check_structure first). Errors over all output tensors."""
    outs, refs = flatten_output(out), flatten_output(ref)
    max_abs = max_rel = 0.0
    passing = {p: True for p in POLICIES}
    for o, r in zip(outs, refs):
        if not isinstance(r, torch.Tensor):
            continue
        a, rel = _errors(o, r)
        max_abs, max_rel = max(max_abs, a), max(max_rel, rel)
        for p in POLICIES:
            atol, rtol = tolerance_for(p, r.dtype, precision)
            passing[p] = passing[p] and _close(o, r, atol, rtol)
    return Comparison(passing[policy], max_abs, max_rel, {p for p, ok in passing.items() if ok})


def fingerprint(out: Any) -> list[Any]:
    """The output's bits in a few integers per tensor (chunked.fingerprint); other values as they are.
    Two runs' fingerprints differ exactly when their bits do (up to a practically impossible collision)."""
    return [(t.dtype, tuple(t.shape), chunked.fingerprint(t)) if isinstance(t, torch.Tensor) else repr(t)
            for t in flatten_output(out)]


def output_dtype(ref: Any) -> Any:
    for r in flatten_output(ref):
        if isinstance(r, torch.Tensor):
            return r.dtype
    return None
