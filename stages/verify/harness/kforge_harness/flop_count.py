"""FLOPs of one reference forward: torch.utils.flop_counter where torch has it (2.1+), else a small
dispatch-mode counter for the ops that dominate (mm/addmm/bmm/baddbmm/convolution) on torch 1.13.

Like FlopCounterMode, elementwise and reduction ops count zero: the floor they feed is
max(FLOPs/peak, bytes/bandwidth), and for those ops bytes dominate anyway.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Iterator

import torch


@contextmanager
def torch_identities_kept() -> Iterator[None]:
    """Importing torch._dynamo (FlopCounterMode, the profiler do, on torch 2.x) rebinds
    torch.manual_seed to a wrapper; the worker's tamper check would then blame the candidate."""
    seed = torch.manual_seed
    try:
        yield
    finally:
        if torch.manual_seed is not seed:
            torch.manual_seed = seed


def count_flops(model: Any, inputs: list) -> float | None:
    """Total FLOPs (a multiply-add counts 2), or None when no counter can run here."""
    with torch_identities_kept():
        return _count(model, inputs)


def _count(model: Any, inputs: list) -> float | None:
    try:
        from torch.utils.flop_counter import FlopCounterMode  # torch >= 2.1
    except ImportError:
        FlopCounterMode = None
    try:
        with torch.no_grad():
            if FlopCounterMode is not None:
                counter = FlopCounterMode(display=False)
                with counter:
                    model(*inputs)
                return float(counter.get_total_flops())
            return _fallback(model, inputs)
    except Exception:
        return None


def _shape(x: Any) -> list[int]:
    return list(x.shape) if isinstance(x, torch.Tensor) else []


def _conv_flops(x: Any, w: Any, transposed: bool) -> float:
    xs, ws = _shape(x), _shape(w)
    if len(xs) < 3 or len(ws) < 3:
        return 0.0
    batch, spatial = xs[0], xs[2:]
    if transposed:  # each input element scatters into Cout/groups * prod(kernel) outputs
        return 2.0 * batch * math.prod(spatial) * ws[0] * ws[1] * math.prod(ws[2:])
    return -1.0  # needs the output shape: computed by the caller


def _fallback(model: Any, inputs: list) -> float | None:
    try:
        from torch.utils._python_dispatch import TorchDispatchMode
    except ImportError:
        return None
    total = [0.0]

    class _Counter(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            name = str(getattr(func, "__name__", func)).split(".")[0]
            total[0] += _op_flops(name, args, out)
            return out

    with _Counter():
        model(*inputs)
    return total[0]


def _op_flops(name: str, args: tuple, out: Any) -> float:
    if name == "mm":
        (m, k), n = _shape(args[0]), _shape(args[1])[1]
        return 2.0 * m * k * n
    if name == "addmm":
        (m, k), n = _shape(args[1]), _shape(args[2])[1]
        return 2.0 * m * k * n
    if name in ("bmm", "baddbmm"):
        a, b = (args[0], args[1]) if name == "bmm" else (args[1], args[2])
        (bs, m, k), n = _shape(a), _shape(b)[2]
        return 2.0 * bs * m * k * n
    if name in ("convolution", "_convolution"):
        x, w = args[0], args[1]
        transposed = bool(args[6]) if len(args) > 6 else False
        flops = _conv_flops(x, w, transposed)
        if flops >= 0:
            return flops
        ws = _shape(w)  # Cout x Cin/groups x k...: each output element is Cin/groups*prod(k) multiply-adds
        return 2.0 * float(out.numel()) * ws[1] * math.prod(ws[2:])
    return 0.0
