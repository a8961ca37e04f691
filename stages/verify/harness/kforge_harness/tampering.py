"""Did the candidate replace functions the harness trusts? Identities are captured before any
candidate code runs (`snapshot`) and compared after the run (`changed`)."""
from __future__ import annotations

import time
from typing import Any

import torch

_TARGETS: list[tuple[str, Any, str]] = [
    ("torch.allclose", torch, "allclose"),
    ("torch.equal", torch, "equal"),
    ("torch.cuda.synchronize", torch.cuda, "synchronize"),
    ("torch.cuda.Event", torch.cuda, "Event"),
    ("torch.cuda.Event.elapsed_time", torch.cuda.Event, "elapsed_time"),
    ("torch.cuda.Event.record", torch.cuda.Event, "record"),
    ("time.perf_counter", time, "perf_counter"),
    ("torch.Tensor.clone", torch.Tensor, "clone"),
    ("torch.manual_seed", torch, "manual_seed"),
    ("torch.nn.Module.__call__", torch.nn.Module, "__call__"),
]


def snapshot() -> dict[str, Any]:
    return {name: getattr(owner, attr, None) for name, owner, attr in _TARGETS}


def changed(before: dict[str, Any]) -> list[str]:
    now = snapshot()
    return [name for name, fn in before.items() if now.get(name) is not fn]
