"""Which GPU kernels one candidate forward launches, and whose they are (VERIFICATION.md exploit 1).

A kernel is the candidate's own when its name is a function the candidate compiled: a symbol of a
.so under its build dir (nm, cuobjdump) or a `__global__` in the sources load_inline wrote there.
Flags: 'no_own_kernel' (nothing launched is its own) and 'ran_reference_op' (most GPU time went to
library/aten kernels of the reference's op while its own share is under half, or every kernel of the
reference ran). The rules are `judge_kernels`, a pure function; CPU: nothing to say.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import torch

from .flop_count import torch_identities_kept
from .kernel_names import base_name, global_functions, in_library_namespace, is_library_kernel, own_kernel_names

OWN_SHARE_MIN = 0.5
MAX_NAMES = 64
_PROFILER_WORKS: dict[str, bool] = {}


def _empty() -> dict[str, Any]:
    return {"kernels_launched": [], "own_kernel_share": None, "flags": []}


def _gpu_events(fn: Any, device: torch.device) -> list[tuple[str, float]]:
    """(kernel name, GPU microseconds) for every device activity while `fn` runs."""
    with torch_identities_kept(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Profiler clears events at the end of each cycle" (2.x)
        from torch.profiler import ProfilerActivity, profile

        torch.cuda.synchronize(device)
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            with torch.no_grad():
                fn()
            torch.cuda.synchronize(device)
        cuda_type = torch.autograd.DeviceType.CUDA
        return [(str(evt.name), float(evt.time_range.elapsed_us())) for evt in prof.events()
                if getattr(evt, "device_type", None) == cuda_type]


def _profiler_works(device: torch.device) -> bool:
    """A known kernel must show up, or an empty kernel list would read as 'no own kernel'."""
    key = str(device)
    if key not in _PROFILER_WORKS:
        try:
            probe = torch.zeros(1024, device=device)
            _PROFILER_WORKS[key] = bool(_gpu_events(lambda: probe.add_(1.0), device))
        except Exception:
            _PROFILER_WORKS[key] = False
    return _PROFILER_WORKS[key]


def _unique(names: list[str]) -> list[str]:
    seen: list[str] = []
    for n in names:
        short = n if len(n) <= 240 else n[:240] + "..."
        if short not in seen:
            seen.append(short)
    return seen[:MAX_NAMES]


def profile_forward(model: Any, inputs: list, device: Any, candidate_build_dir: Any,
                    reference_model: Any = None, kernel_source: str | None = None) -> dict[str, Any]:
    """kernels_launched, own_kernel_share (0..1, None when unknown) and flags for one forward.

    `reference_model`, when given, is profiled too: its kernels define "the reference's op" exactly;
    without it, library kernels (cuBLAS/cuDNN/CUTLASS/aten) stand for it. `kernel_source` adds the
    `__global__` functions the candidate's source declares: an extension it builds into a folder of
    its own choosing (a shared, prebuilt one) leaves no symbols in its build folder."""
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return _empty()
    if not _profiler_works(device):
        print("kforge: torch.profiler reports no CUDA activity here; kernel ownership unknown", file=sys.stderr)
        return _empty()
    events = _gpu_events(lambda: model(*inputs), device)
    ref_names: set[str] | None = None
    if reference_model is not None:
        try:
            ref_names = {n for n, _ in _gpu_events(lambda: reference_model(*inputs), device)}
        except Exception:
            ref_names = None
    own = own_kernel_names(Path(candidate_build_dir)) if candidate_build_dir else set()
    if kernel_source:
        own |= global_functions(kernel_source)

    return judge_kernels(events, own, ref_names)


def judge_kernels(events: list[tuple[str, float]], own: set[str], ref_names: set[str] | None) -> dict[str, Any]:
    """The verdict on one profiled forward: (kernel name, GPU us) events, the candidate's own function
    names, and the full names of the kernels the reference launched (None: not profiled).

    'ran_reference_op' has two grounds: most of the time went to the reference's / library kernels
    while the own share is under half, or every kernel the reference launches ran in the candidate
    too. The second catches the reference wrapped with a slow kernel of the candidate's own, whose
    share then passes half (seen on the H100 with KernelBench's elementwise problems plus a copy)."""
    def is_own(name: str) -> bool:
        return base_name(name) in own and not in_library_namespace(name)

    result: dict[str, Any] = {"kernels_launched": _unique([n for n, _ in events]), "own_kernel_share": None,
                              "flags": []}
    total = sum(us for _, us in events)
    own_us = sum(us for n, us in events if is_own(n))
    if total > 0:
        result["own_kernel_share"] = own_us / total
    if not any(is_own(n) for n, _ in events):
        if events or ref_names is None or ref_names:  # a reference with no kernels allows none
            result["flags"].append("no_own_kernel")
    ran_reference = False
    if total > 0 and own_us / total < OWN_SHARE_MIN:
        ref_us = sum(us for n, us in events if not is_own(n) and
                     (is_library_kernel(n) or (ref_names is not None and n in ref_names)))
        ran_reference = ref_us / total > OWN_SHARE_MIN
    launched = {n for n, _ in events}
    if ref_names and ref_names <= launched:
        ran_reference = True
    if ran_reference:
        result["flags"].append("ran_reference_op")
    return result
