"""Tolerance policies (VERIFICATION.md, 'Tolerances in use').

'default' is the benchmark's current policy: fp32 atol=rtol=1e-4, fp16/bf16 1e-2, by the output's
dtype or the run's precision, whichever is half (a bf16 run whose reference returns fp32, e.g. a
loss upcast at the end, still computed in bf16).
'loose' is its earlier one: 1e-2 for everything (lets half-precision kernels pass as fp32).
"""
from __future__ import annotations

from typing import Any

POLICIES = ("default", "loose")

_HALF_NAMES = ("float16", "bfloat16", "half")


def tolerance_for(policy: str, dtype: Any, precision: str = "fp32") -> tuple[float, float]:
    """(atol, rtol) for a policy, an output dtype (None: the precision's) and the run's precision."""
    if policy == "loose":
        return 1e-2, 1e-2
    if policy != "default":
        raise ValueError(f"unknown tolerance policy {policy!r}")
    name = str(dtype) if dtype is not None else "float32"
    if precision in ("fp16", "bf16") or any(h in name for h in _HALF_NAMES):
        return 1e-2, 1e-2
    return 1e-4, 1e-4
