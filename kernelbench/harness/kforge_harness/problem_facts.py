"""PLACEHOLDER (owned by the anti-cheat engineer, issue 3): facts measured from the reference."""
from __future__ import annotations

from typing import Any, Callable


def measure_problem(ref_module: Any, make_inputs: Callable[[int], list], device: Any, policy: str) -> dict:
    return {
        "input_shapes": None,
        "input_dtypes": [],
        "flops": None,
        "min_bytes": None,
        "weak_problem": None,
        "weak_reasons": [],
    }
