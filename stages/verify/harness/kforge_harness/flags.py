"""Every flag a VerifyResult can carry, what it means, and whether it makes the verdict untrustworthy.

Suspect flags turn a passing candidate into fail_stage 'integrity' (worker.finalize). Informative
flags are evidence a consumer may filter on; they never change the verdict by themselves.
`static:*` flags come from static_check (a read of the source, no execution).
"""
from __future__ import annotations

FLAG_DOCS: dict[str, str] = {
    # Raised by the core while running the candidate.
    "inputs_modified": "the candidate changed its input tensors (checked after correctness and timing calls)",
    "nondeterministic": "two runs on the same inputs gave different bits and one of them misses the tolerance "
                        "against the reference (uninitialised or out-of-bounds reads, races)",
    "nondeterministic_within_tolerance": "two runs on the same inputs gave different bits, both within tolerance "
                                         "of the reference (atomics: a float sum reordered from run to run)",
    "output_not_plain_tensor": "the output is a tensor subclass or has no real strided storage",
    "timing_phase_mismatch": "an output produced while timing failed the correctness check",
    "reference_nondeterministic": "the reference's own outputs while timing missed its first one (a weak problem)",
    "event_host_time_mismatch": "host wall time far exceeds CUDA-event time: work escaped the timed stream",
    "cuda_error_after_forward": "the device reported a CUDA error after the candidate ran",
    "harness_tampered": "a function the harness trusts (allclose, perf_counter, synchronize...) was replaced",
    "sandbox:network_open": "the worker could not move itself into an empty network namespace",
    "triton_interpreted": "a Triton candidate ran in Triton's CPU interpreter (TRITON_INTERPRET=1): the proof of "
                          "work is the count of its @triton.jit launches (kernels_launched), not the GPU profiler; "
                          "timings and speedup are the interpreter's, not a kernel's",
    # Raised by profiling (CUDA only).
    "no_own_kernel": "no kernel launched during the profiled forward was compiled by the candidate",
    "ran_reference_op": "the candidate replaced none of the reference's kernel families, or its own kernels took "
                        "under 5% of the GPU time while every aten kernel family of the reference still ran",
    "library_ops_kept": "cuBLAS/cuDNN/CUTLASS kernels (gemm, conv) ran in the candidate's forward: a library op "
                        "kept next to kernels of its own",
    "launch_bound": "the candidate's or the reference's timed forward spent under 70% of its time in GPU kernels "
                    "(the rest: host launches, gaps between small kernels): the speedup measures launch overhead "
                    "as much as kernels, and other timing methods (do_bench, CUDA graphs) can disagree by 2x",
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
    "precision_lowered": "computes in lower precision than the run's precision (at fp32: fp16/bf16/TF32/fast-math; at fp16: bf16/fp8/int8; at bf16: fp8/int8)",
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

# problem_facts.weak_reasons: why a problem is a weak test (on the problem's record, never a flag).
WEAK_REASON_DOCS: dict[str, str] = {
    "zeros_pass": "an all-zeros output passes the tolerance on both judged input draws",
    "all_zero_output": "the reference's output is exactly zero on both judged draws (e.g. a ReLU after a large "
                       "subtraction, for the initialisation the candidate is judged on)",
    "constant_output": "a tensor filled with the output's mean passes the tolerance (more than one element)",
    "input_insensitive": "the output for a second input draw passes against the first one's",
    "scalar_output_insensitive": "a single-value output (a loss) moves less than the tolerance between two "
                                 "draws: any one draw's value, hard-coded, passes",
    "nondeterministic": "two reference runs on the same inputs disagree beyond the tolerance",
    "nonfinite_output": "the reference's output holds NaN or inf",
    "reference_raises": "the reference cannot be run with its own inputs",
}

assert SUSPECT_FLAGS <= set(FLAG_DOCS), "every suspect flag needs a description"


def describe(flag: str) -> str:
    return FLAG_DOCS.get(flag, "undocumented flag")


def is_suspect(flag: str) -> bool:
    return flag in SUSPECT_FLAGS
