"""A run's precision (fp32 | fp16 | bf16), as KernelBench defines it: every floating-point input and
init input, and the parameters and buffers of both Model and ModelNew, are cast to the precision's
dtype on the device; correctness then uses that dtype's tolerance.

One difference from KernelBench's eval, on purpose: it casts every tensor input, integer ones too;
here only floating-point tensors are cast, so class targets, token ids and masks keep their dtype
(a float index tensor would make the reference itself fail).

`lowered_by` says which reduced-precision arithmetic counts as 'precision_lowered' at a precision: an
fp16 run computing in fp16 lowers nothing, one computing in fp8 or int8 does. Kinds, by mantissa bits:
fp32 23, tf32 10 (also -ffast-math/fast intrinsics on fp32), fp16 10, bf16 7, fp8 <= 3, int8.
"""
from __future__ import annotations

from typing import Any

PRECISIONS = ("fp32", "fp16", "bf16")
DTYPE_NAMES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}

# The reduced-precision arithmetic kinds the static check can see, and what each run precision
# counts as lower than itself. fast-math/TF32 reduce fp32 accuracy only: at half precision the
# problem's own dtype is already coarser than they are. bf16 has fewer mantissa bits than fp16.
LOWP_KINDS = ("tf32", "fastmath", "fp16", "bf16", "autocast", "fp8", "int8")
_LOWERED: dict[str, frozenset[str]] = {
    "fp32": frozenset(LOWP_KINDS),
    "fp16": frozenset({"bf16", "fp8", "int8"}),
    "bf16": frozenset({"fp8", "int8"}),
}


class PrecisionError(ValueError):
    """An unknown precision name."""


def check(precision: str) -> str:
    if precision not in PRECISIONS:
        raise PrecisionError(f"unknown precision {precision!r} (expected one of {PRECISIONS})")
    return precision


def lowered_by(precision: str) -> frozenset[str]:
    """The reduced-precision kinds that are lower than `precision`."""
    return _LOWERED[check(precision)]


def torch_dtype(precision: str) -> Any:
    import torch

    return getattr(torch, DTYPE_NAMES[check(precision)])


def cast(x: Any, dtype: Any) -> Any:
    """Floating-point tensors (in lists and tuples too) to `dtype`; everything else unchanged."""
    import torch

    if isinstance(x, torch.Tensor):
        return x.to(dtype) if x.is_floating_point() and x.dtype != dtype else x
    if isinstance(x, (list, tuple)):
        return type(x)(cast(v, dtype) for v in x)
    return x
