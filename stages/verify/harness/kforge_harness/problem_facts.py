"""Facts about the problem itself, measured from the reference (VERIFICATION.md exploits 12 and 14).

- input shapes/dtypes, FLOPs (flop_counter), the fewest bytes it must move (inputs and parameters
  read once, output written once): the speed-of-light floor is built from these;
- weak problems: a reference a trivial candidate can pass (zeros, a constant, ignoring the input, a
  scalar that barely moves), or one that cannot judge a candidate (nondeterministic, raising, non-finite).
Measured on the model and draws candidates are judged on: the job's init seed and its first two trial
seeds. A ReLU after a large subtraction is exactly zero for some initialisations and not for others
(L2 9_Matmul_Subtract_Multiply_ReLU: a few of 8M outputs pass the 4.5-sigma threshold); facts from
their own fixed seeds described another model than the one verified, and missed it.
Comparison functions are bound at import, before any candidate code runs in this process.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

import torch

from . import chunked
from .flop_count import count_flops
from .precision import cast
from .tolerance import tolerance_for

_allclose = torch.allclose

# Seeds (init, first draw, second draw) when the caller has no job: tests and tools.
FACT_SEEDS = (1_000_003, 1_000_003, 2_000_029)

_CACHE: dict[str, dict[str, Any]] = {}


def _flat(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat(o)]
    return []


def _to_device(x: Any, device: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.to(device)
    if isinstance(x, (list, tuple)):
        return type(x)(_to_device(v, device) for v in x)
    return x


def _dtype_name(x: Any) -> str:
    return str(x.dtype).replace("torch.", "") if isinstance(x, torch.Tensor) else type(x).__name__


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def _close(a: list[torch.Tensor], b: list[torch.Tensor], policy: str) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return False
        atol, rtol = tolerance_for(policy, y.dtype)
        if not chunked.all_close(x if x.dtype == y.dtype else x.to(y.dtype), y, atol, rtol, _allclose):
            return False
    return True


def _cache_key(ref_module: Any, device: Any, policy: str, seeds: tuple[int, int, int], dtype: Any) -> str:
    try:
        with open(ref_module.__file__, "rb") as f:
            code = f.read()
    except (OSError, AttributeError, TypeError):
        code = repr(id(ref_module)).encode()
    return hashlib.sha256(code + f"|{device}|{policy}|{seeds}|{dtype}".encode()).hexdigest()


def measure_problem(ref_module: Any, make_inputs: Callable[[int], list], device: Any, policy: str,
                    seeds: tuple[int, int, int] = FACT_SEEDS, dtype: Any = None) -> dict:
    """Facts of the problem as judged with `seeds`: (init seed of Model(*init), first draw, second draw).
    `dtype`: the run precision's dtype (init inputs and the model cast to it, as make_inputs casts its
    draws), so min_bytes counts the bytes of that dtype."""
    key = _cache_key(ref_module, device, policy, seeds, dtype)
    if key not in _CACHE:
        _CACHE[key] = _measure(ref_module, make_inputs, device, policy, seeds, dtype)
    return json.loads(json.dumps(_CACHE[key]))  # a copy the caller may change


def _measure(ref_module: Any, make_inputs: Callable[[int], list], device: Any, policy: str,
             seeds: tuple[int, int, int], dtype: Any = None) -> dict[str, Any]:
    facts: dict[str, Any] = {"input_shapes": None, "input_dtypes": [], "flops": None, "min_bytes": None,
                             "weak_problem": None, "weak_reasons": []}
    reasons: list[str] = facts["weak_reasons"]
    try:
        inputs = make_inputs(seeds[1])
        facts["input_shapes"] = json.dumps([list(x.shape) if isinstance(x, torch.Tensor) else None for x in inputs])
        facts["input_dtypes"] = [_dtype_name(x) for x in inputs]
        init = _to_device(list(ref_module.get_init_inputs()), device)
        init = init if dtype is None else cast(init, dtype)
        torch.manual_seed(seeds[0])  # as the worker seeds Model(*init): the same parameters
        model = ref_module.Model(*init).to(device) if dtype is None else ref_module.Model(*init).to(device, dtype)
        with torch.no_grad():
            first = _flat(model(*inputs))
            # One extra output alive at a time: KernelBench's largest draws are 6 GB each.
            deterministic = _close(_flat(model(*inputs)), first, policy)
            other_inputs = make_inputs(seeds[2])
            other = _flat(model(*other_inputs))
            del other_inputs
            insensitive = bool(first) and _close(other, first, policy)
            other_floats = [t for t in other if t.is_floating_point()]
            # Judged over both draws: a property of one draw only is not what a trivial candidate passes on.
            zeros_other = all(_constant_passes(t, 0.0, policy) for t in other_floats)
            exact_zero_other = all(_exactly_zero(t) for t in other_floats)
            del other, other_floats
    except Exception as e:  # the reference cannot be run: no candidate can be judged against it
        reasons.append("reference_raises")
        facts["weak_problem"] = True
        facts["weak_message"] = f"{type(e).__name__}: {e}"[:300]
        return _public(facts)
    facts["flops"] = count_flops(model, inputs)
    params = [p for p in list(model.parameters()) + list(model.buffers())]
    read = sum(_nbytes(x) for x in inputs if isinstance(x, torch.Tensor)) + sum(_nbytes(p) for p in params)
    facts["min_bytes"] = float(read + sum(_nbytes(t) for t in first))
    del inputs
    floats = [t for t in first if t.is_floating_point()]
    if floats and zeros_other and all(_constant_passes(t, 0.0, policy) for t in floats):
        reasons.append("zeros_pass")
    if floats and exact_zero_other and all(_exactly_zero(t) for t in floats):
        reasons.append("all_zero_output")
    if floats and all(t.numel() > 1 for t in floats) and all(_constant_passes(t, chunked.mean(t), policy) for t in floats):
        reasons.append("constant_output")
    if insensitive:
        reasons.append("input_insensitive")
        if floats and all(t.numel() == 1 for t in floats):
            # constant_output cannot say it of one value: a loss moving less than the tolerance between
            # draws is passed by the value of any one draw, hard-coded.
            reasons.append("scalar_output_insensitive")
    if not deterministic:
        reasons.append("nondeterministic")
    if any(not chunked.all_finite(t) for t in floats):
        reasons.append("nonfinite_output")
    facts["weak_problem"] = bool(reasons)
    return _public(facts)


def _constant_passes(t: torch.Tensor, value: float, policy: str) -> bool:
    """Filling every element with `value` passes the tolerance (0: zeros pass; the mean: std ~0)."""
    atol, rtol = tolerance_for(policy, t.dtype)
    return chunked.close_to_constant(t, value, atol, rtol, _allclose)


def _exactly_zero(t: torch.Tensor) -> bool:
    return chunked.close_to_constant(t, 0.0, 0.0, 0.0, _allclose)


def _public(facts: dict[str, Any]) -> dict[str, Any]:
    """Only the protocol's keys (problemFactsSchema); the reason text goes to stderr."""
    message = facts.pop("weak_message", None)
    if message:
        import sys
        print(f"kforge: reference raised while measuring problem facts: {message}", file=sys.stderr)
    return facts
