"""Facts about the problem itself, measured from the reference (VERIFICATION.md exploits 12 and 14).

- input shapes/dtypes, FLOPs (flop_counter), the fewest bytes it must move (inputs and parameters
  read once, output written once): the speed-of-light floor is built from these;
- weak problems: a reference a trivial candidate can pass (zeros, a constant, ignoring the input),
  or one that cannot judge a candidate (nondeterministic, raising, non-finite output).
Comparison functions are bound at import, before any candidate code runs in this process.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

import torch

from .flop_count import count_flops
from .tolerance import tolerance_for

_allclose = torch.allclose
_isfinite = torch.isfinite

# Fixed draws for the facts: the facts describe the problem, not the job, so they do not use the
# job's secret seeds (and are identical for every candidate of a problem).
FACT_SEEDS = (1_000_003, 2_000_029)

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
        if not (x.is_floating_point() or x.is_complex()):
            if not bool(torch.equal(x, y)):
                return False
            continue
        atol, rtol = tolerance_for(policy, y.dtype)
        if not bool(_allclose(x.to(y.dtype), y, atol=atol, rtol=rtol, equal_nan=True)):
            return False
    return True


def _cache_key(ref_module: Any, device: Any, policy: str) -> str:
    try:
        with open(ref_module.__file__, "rb") as f:
            code = f.read()
    except (OSError, AttributeError, TypeError):
        code = repr(id(ref_module)).encode()
    return hashlib.sha256(code + f"|{device}|{policy}".encode()).hexdigest()


def measure_problem(ref_module: Any, make_inputs: Callable[[int], list], device: Any, policy: str) -> dict:
    key = _cache_key(ref_module, device, policy)
    if key not in _CACHE:
        _CACHE[key] = _measure(ref_module, make_inputs, device, policy)
    return json.loads(json.dumps(_CACHE[key]))  # a copy the caller may change


def _measure(ref_module: Any, make_inputs: Callable[[int], list], device: Any, policy: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"input_shapes": None, "input_dtypes": [], "flops": None, "min_bytes": None,
                             "weak_problem": None, "weak_reasons": []}
    reasons: list[str] = facts["weak_reasons"]
    try:
        inputs = make_inputs(FACT_SEEDS[0])
        facts["input_shapes"] = json.dumps([list(x.shape) if isinstance(x, torch.Tensor) else None for x in inputs])
        facts["input_dtypes"] = [_dtype_name(x) for x in inputs]
        torch.manual_seed(FACT_SEEDS[0])
        model = ref_module.Model(*_to_device(list(ref_module.get_init_inputs()), device)).to(device)
        with torch.no_grad():
            first = _flat(model(*inputs))
            again = _flat(model(*inputs))
            other = _flat(model(*make_inputs(FACT_SEEDS[1])))
    except Exception as e:  # the reference cannot be run: no candidate can be judged against it
        reasons.append("reference_raises")
        facts["weak_problem"] = True
        facts["weak_message"] = f"{type(e).__name__}: {e}"[:300]
        return _public(facts)
    facts["flops"] = count_flops(model, inputs)
    params = [p for p in list(model.parameters()) + list(model.buffers())]
    read = sum(_nbytes(x) for x in inputs if isinstance(x, torch.Tensor)) + sum(_nbytes(p) for p in params)
    facts["min_bytes"] = float(read + sum(_nbytes(t) for t in first))
    floats = [t for t in first if t.is_floating_point()]
    if floats and _close([torch.zeros_like(t) for t in floats], floats, policy):
        reasons.append("zeros_pass")
    if floats and all(t.numel() > 1 for t in floats) and _constant_passes(floats, policy):
        reasons.append("constant_output")
    if first and _close(other, first, policy):
        reasons.append("input_insensitive")
    if not _close(again, first, policy):
        reasons.append("nondeterministic")
    if any(not bool(_isfinite(t).all()) for t in floats):
        reasons.append("nonfinite_output")
    facts["weak_problem"] = bool(reasons)
    return _public(facts)


def _constant_passes(outs: list[torch.Tensor], policy: str) -> bool:
    """Output std ~0: filling every element with the mean passes the tolerance."""
    consts = []
    for t in outs:
        mean = t.double().mean() if t.numel() else torch.tensor(0.0)
        consts.append(torch.full_like(t, float(mean)))
    return _close(consts, outs, policy)


def _public(facts: dict[str, Any]) -> dict[str, Any]:
    """Only the protocol's keys (problemFactsSchema); the reason text goes to stderr."""
    message = facts.pop("weak_message", None)
    if message:
        import sys
        print(f"kforge: reference raised while measuring problem facts: {message}", file=sys.stderr)
    return facts
