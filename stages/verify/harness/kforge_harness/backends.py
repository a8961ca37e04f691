"""Which device a job's backend measures on.

cpu: the CPU. cuda: the GPU. triton: the GPU, or the CPU where the harness runs with TRITON_INTERPRET=1,
Triton's interpreter (its kernels run as numpy on the host: correctness and the defences that need no
GPU apply, its timings are the interpreter's, not a kernel's). Light (no torch): the driver imports it.
"""
from __future__ import annotations

import os
from typing import Mapping


class BackendUnavailable(Exception):
    """The backend cannot run on this host; the message says what to do."""


def triton_interpreting(env: Mapping[str, str] | None = None) -> bool:
    """Triton's own switch (triton.jit returns an InterpretedFunction when it is "1")."""
    return (os.environ if env is None else env).get("TRITON_INTERPRET") == "1"


def device_type(backend: str, cuda_available: bool, env: Mapping[str, str] | None = None) -> str:
    """'cpu' or 'cuda' for `backend`; BackendUnavailable where it needs a GPU this host lacks."""
    if backend == "cpu" or (backend == "triton" and triton_interpreting(env)):
        return "cpu"
    if not cuda_available:
        if backend == "triton":
            raise BackendUnavailable(
                "backend 'triton' needs a CUDA GPU and torch.cuda.is_available() is False; on a host without "
                "one, run the harness with TRITON_INTERPRET=1 (Triton's CPU interpreter: correctness and the "
                "defences that need no GPU, timings not a kernel's)")
        raise BackendUnavailable(f"backend {backend!r} requested but torch.cuda.is_available() is False")
    return "cuda"


def memory_limited(backend: str, env: Mapping[str, str]) -> bool:
    """The address-space limit applies where the worker runs on the CPU only (the CUDA driver maps
    huge virtual ranges)."""
    return backend == "cpu" or (backend == "triton" and triton_interpreting(env))
