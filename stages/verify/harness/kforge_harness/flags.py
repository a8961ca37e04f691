"""Every flag a VerifyResult can carry, what it means, and whether it makes the verdict untrustworthy.

Suspect flags turn a passing candidate into fail_stage 'integrity' (worker.finalize). Informative
flags are evidence a consumer may filter on; they never change the verdict by themselves.
`static:*` flags come from static_check (a read of the source, no execution).
"""
from __future__ import annotations

FLAG_DOCS: dict[str, str] = {
    # Raised by the core while running the candidate.
    "inputs_modified": "the candidate changed its input tensors (checked after correctness and timing calls)",
    "nondeterministic": "two runs on the same inputs gave different bits (uninitialised or out-of-bounds reads)",
    "nondeterministic_like_reference": "two runs gave different bits, and so do two runs of the reference (atomics)",
    "output_not_plain_tensor": "the output is a tensor subclass or has no real strided storage",
    "timing_phase_mismatch": "an output produced while timing failed the correctness check",
    "reference_nondeterministic": "the reference's own outputs while timing missed its first one (a weak problem)",
    "event_host_time_mismatch": "host wall time far exceeds CUDA-event time: work escaped the timed stream",
    "cuda_error_after_forward": "the device reported a CUDA error after the candidate ran",
    "harness_tampered": "a function the harness trusts (allclose, perf_counter, synchronize...) was replaced",
    "sandbox:network_open": "the worker could not move itself into an empty network namespace",
    # Raised by profiling (CUDA only).
    "no_own_kernel": "no kernel launched during the profiled forward was compiled by the candidate",
    "ran_reference_op": "most GPU time went to library/aten kernels of the reference's op, own share < 50%",
    # Raised by speed_of_light.
    "faster_than_light": "kernel time is under the speed-of-light floor max(FLOPs/peak, bytes/bandwidth)",
    "speedup_over_10x": "speedup over the reference above 10x: plausible but worth a human look",
    # Raised by static_check.
    "static:torch_op_in_forward": "the forward calls a torch op that does the problem's own work",
    "static:try_except_fallback": "a try/except around the kernel (or its build) falls back to other code",
    "static:uses_reference": "subclasses, imports or calls the reference Model",
    "static:streams_or_threads": "creates CUDA streams, threads, processes or async tasks",
    "static:patches_harness": "assigns to torch/time/builtins/sys names, imports or inspects the harness",
    "static:cross_call_cache": "keeps results across calls keyed on pointers, shapes or call counts",
    "static:tensor_subclass": "defines a tensor subclass (__torch_function__/__torch_dispatch__/_make_subclass)",
    "precision_lowered": "computes in lower precision (fp16/bf16/TF32/fast-math) than the problem's dtype",
}

SUSPECT_FLAGS: set[str] = {
    "inputs_modified",
    "nondeterministic",
    "output_not_plain_tensor",
    "timing_phase_mismatch",
    "event_host_time_mismatch",
    "cuda_error_after_forward",
    "harness_tampered",
    "no_own_kernel",
    "ran_reference_op",
    "faster_than_light",
    "static:try_except_fallback",
    "static:uses_reference",
    "static:streams_or_threads",
    "static:patches_harness",
    "static:cross_call_cache",
    "static:tensor_subclass",
}

INFORMATIVE_FLAGS: set[str] = set(FLAG_DOCS) - SUSPECT_FLAGS

assert SUSPECT_FLAGS <= set(FLAG_DOCS), "every suspect flag needs a description"


def describe(flag: str) -> str:
    return FLAG_DOCS.get(flag, "undocumented flag")


def is_suspect(flag: str) -> bool:
    return flag in SUSPECT_FLAGS
