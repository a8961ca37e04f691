"""Input draws: seeded, made on the device where torch allows it, cloned per consumer.

Non-float inputs (int class targets, bool masks, token ids) keep their dtype: only the device moves.
With a run precision (precision.py) float inputs are drawn as the problem draws them, then cast.
"""
from __future__ import annotations

import contextlib
import types
from typing import Any, Callable

import torch

from . import chunked
from .precision import cast


def seed_everything(seed: int) -> None:
    # torch.manual_seed also seeds every CUDA device.
    torch.manual_seed(seed)


def to_device(x: Any, device: torch.device) -> Any:
    if isinstance(x, torch.Tensor):
        return x.to(device)
    if isinstance(x, (list, tuple)):
        return type(x)(to_device(v, device) for v in x)
    return x


def _creating_on(device: torch.device) -> Any:
    """Factory calls inside get_inputs() allocate on `device` (torch >= 2.0, cuda only).

    KernelBench's largest draws are 6 GB: drawn on the host they cost seconds of CPU per draw and a
    host copy, on the device milliseconds. torch 1.13 (the CPU backend's torch) has no default device."""
    if device.type == "cuda" and hasattr(torch, "set_default_device"):
        return device  # torch.device is a context manager from torch 2.0
    return contextlib.nullcontext()


def make_inputs(ref_module: types.ModuleType, seed: int, device: torch.device, dtype: Any = None) -> list[Any]:
    seed_everything(seed)
    with _creating_on(device):
        raw = ref_module.get_inputs()
    moved = [to_device(x, device) for x in raw]
    return moved if dtype is None else cast(moved, dtype)


def input_maker(ref_module: types.ModuleType, device: torch.device, dtype: Any = None) -> Callable[[int], list[Any]]:
    return lambda seed: make_inputs(ref_module, seed, device, dtype)


def init_inputs(ref_module: types.ModuleType, device: torch.device, dtype: Any = None) -> list[Any]:
    moved = [to_device(x, device) for x in ref_module.get_init_inputs()]
    return moved if dtype is None else cast(moved, dtype)


def clone_inputs(inputs: Any) -> Any:
    if isinstance(inputs, torch.Tensor):
        return inputs.clone()
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(clone_inputs(v) for v in inputs)
    return inputs


def same_values(a: Any, b: Any) -> bool:
    """Bitwise equality, NaN equal to NaN (a NaN-holding input is unchanged if it still holds it)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return chunked.bitwise_equal(a, b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b))
    return bool(a == b)


def describe(inputs: list[Any]) -> str:
    parts = []
    for x in inputs:
        if isinstance(x, torch.Tensor):
            parts.append(f"{str(x.dtype).replace('torch.', '')}{list(x.shape)}")
        else:
            parts.append(type(x).__name__)
    return ", ".join(parts)
