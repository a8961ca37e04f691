"""Which GPU kernels one candidate forward launches, whose they are, and which of the reference's ops it
replaced (VERIFICATION.md exploit 1).

A kernel is the candidate's own when its name is a function the candidate compiled: a symbol of a
.so under its build dir (nm, cuobjdump) or a `__global__` in the sources load_inline wrote there.
The reference's kernels and the candidate's other kernels are compared by family (kernel_families):
keeping the library GEMM or convolution and replacing the rest is the ordinary honest level-2/3 kernel.
The rules are `judge_kernels`, a pure function; CPU: nothing to say.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any, Collection

import torch

from .flop_count import torch_identities_kept
from .kernel_families import family_counts, is_aten_family, is_library_family
from .kernel_names import base_name, global_functions, in_library_namespace, own_kernel_names

# Below this share of the forward's GPU time the candidate's own kernels are a copy or a fill next to
# the real work, not the work: an honest fused epilogue of a kept GEMM is a few percent, but then the
# reference's aten kernels it fused are gone (see judge_kernels).
OWN_WORK_SHARE_MIN = 0.05
# Below this share of a timed forward spent in GPU kernels, the forward is launch-bound: the time is host
# launches and the gaps between small kernels, which each timing method counts differently. Measured on
# the H200 (docs/verification-realworld.md, "Timing"): where reference and candidate both spent at least
# 70% of the harness's time in kernels, its speedup agreed within 10% with do_bench's in 21 of 23 and with
# the CUPTI kernel sum in 22 of 23; below that, in 8 and 3 of 26, and do_bench itself moved up to 3.4x
# between two runs. The profiled forward runs on warm caches, so its share reads a little low.
LAUNCH_BOUND_SHARE = 0.7
MAX_NAMES = 64
_PROFILER_WORKS: dict[str, bool] = {}


def _empty() -> dict[str, Any]:
    return {"kernels_launched": [], "own_kernel_share": None, "gpu_kernel_time_ms": None,
            "reference_kernels_replaced": [], "reference_kernels_kept": [], "flags": []}


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


def prepare(device: torch.device, candidate_build_dir: Path | None, kernel_source: str | None,
            own_names: set[str]) -> set[str]:
    """What profiling needs that is not measurement, done before the exclusive lock: the profiler's
    first start (CUPTI's initialisation, the bulk of a first profile) and the candidate's own kernel
    names (nm / cuobjdump over its build folder). Returns those names for profile_forward's `own_names`."""
    if device.type != "cuda" or not torch.cuda.is_available():
        return set(own_names)
    _profiler_works(device)
    own = own_kernel_names(Path(candidate_build_dir)) if candidate_build_dir else set()
    if kernel_source:
        own |= global_functions(kernel_source)
    return own | own_names


def profile_forward(model: Any, inputs: list, device: Any, candidate_build_dir: Any,
                    reference_model: Any = None, kernel_source: str | None = None,
                    own_names: set[str] | None = None) -> dict[str, Any]:
    """kernels_launched, own_kernel_share (0..1, None when unknown) and flags for one forward.

    `reference_model`, when given, is profiled too: its kernels define "the reference's op" exactly;
    without it, library kernels (cuBLAS/cuDNN/CUTLASS/aten) stand for it. `kernel_source` adds the
    `__global__` functions the candidate's source declares: an extension it builds into a folder of
    its own choosing (a shared, prebuilt one) leaves no symbols in its build folder. `own_names`: more
    names of the candidate's own kernels (a Triton candidate's @triton.jit functions, which the profiler
    shows by their function names)."""
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return _empty()
    if not _profiler_works(device):
        print("kforge: torch.profiler reports no CUDA activity here; kernel ownership unknown", file=sys.stderr)
        return _empty()
    events = _gpu_events(lambda: model(*inputs), device)
    ref_names: list[str] | None = None
    ref_ms: float | None = None
    if reference_model is not None:
        try:
            ref_events = _gpu_events(lambda: reference_model(*inputs), device)
            ref_names = [n for n, _ in ref_events]
            ref_ms = sum(us for _, us in ref_events) / 1000.0 if ref_events else None
        except Exception:
            ref_names = None
    own = own_kernel_names(Path(candidate_build_dir)) if candidate_build_dir else set()
    if kernel_source:
        own |= global_functions(kernel_source)
    own |= own_names or set()

    return {**judge_kernels(events, own, ref_names), "ref_gpu_kernel_time_ms": ref_ms}


def launch_bound(timed_ms: float | None, kernel_ms: float | None, ref_timed_ms: float | None,
                 ref_kernel_ms: float | None) -> list[str]:
    """['launch_bound'] when the candidate's or the reference's timed forward spent under
    LAUNCH_BOUND_SHARE of its time in GPU kernels (profiled kernel time / event-timed median); an
    unknown figure says nothing. Informative: the speedup is then one of launch overheads."""
    def bound(timed: float | None, kernels: float | None) -> bool:
        return bool(timed) and kernels is not None and kernels < LAUNCH_BOUND_SHARE * float(timed)
    return ["launch_bound"] if bound(timed_ms, kernel_ms) or bound(ref_timed_ms, ref_kernel_ms) else []


def judge_kernels(events: list[tuple[str, float]], own: set[str],
                  ref_names: Collection[str] | None) -> dict[str, Any]:
    """The verdict on one profiled forward: (kernel name, GPU us) events, the candidate's own function
    names, and the full names of the kernels the reference launched, one per launch (None: not profiled).

    The candidate's kernels that are not its own, and the reference's, are reduced to families and
    counted per launch; `reference_kernels_replaced` are the reference's families the candidate launches
    fewer times than the reference does (gone, or some of their launches done by its own kernels: a
    network keeping the library GEMM for one of its three linear layers), `reference_kernels_kept`
    those it still runs (a partly replaced family is in both). 'ran_reference_op' (suspect) on either ground:
    - it replaced nothing: every family of the reference still runs as often as in the reference (the
      reference wrapped with a copy of its own, whatever that copy's share of the time);
    - its own kernels do no work of the problem's: under OWN_WORK_SHARE_MIN of the GPU time while every
      aten family of the reference still runs. What it replaced can then only be library work, done by
      kernels far cheaper than the library's: in practice the library op reached by another torch route
      (a convolution through unfold + matmul) next to a copy of its own. An honest fused epilogue of a
      kept GEMM/convolution replaces the reference's aten kernels and passes, however small its share.
    Without a profiled reference only the second ground can be judged, on every non-own kernel.
    'library_ops_kept' (informative): cuBLAS/cuDNN/CUTLASS kernels ran in the candidate's forward.
    'no_own_kernel' (suspect): nothing launched is the candidate's own."""
    def is_own(name: str) -> bool:
        return base_name(name) in own and not in_library_namespace(name)

    total = sum(us for _, us in events)
    own_us = sum(us for n, us in events if is_own(n))
    other_counts = family_counts(n for n, _ in events if not is_own(n))
    others = set(other_counts)
    ref_counts = family_counts(ref_names) if ref_names is not None else None
    ref = set(ref_counts) if ref_counts is not None else None
    replaced = sorted(f for f, k in ref_counts.items() if other_counts[f] < k) if ref_counts is not None else []
    result: dict[str, Any] = {
        "kernels_launched": _unique([n for n, _ in events]),
        "own_kernel_share": own_us / total if total > 0 else None,
        "gpu_kernel_time_ms": total / 1000.0 if events else None,
        "reference_kernels_replaced": replaced,
        "reference_kernels_kept": sorted(ref & others) if ref is not None else [],
        "flags": [],
    }
    flags: list[str] = result["flags"]
    if not any(is_own(n) for n, _ in events):
        if events or ref_names is None or ref_names:  # a reference with no kernels allows none
            flags.append("no_own_kernel")
    replaced_nothing = bool(ref) and not replaced
    trivial_own = total > 0 and own_us / total < OWN_WORK_SHARE_MIN
    aten_kept = {f for f in (ref if ref is not None else others) if is_aten_family(f)} <= others
    if replaced_nothing or (trivial_own and bool(others) and aten_kept):
        flags.append("ran_reference_op")
    if any(is_library_family(f) for f in others):
        flags.append("library_ops_kept")
    return result
