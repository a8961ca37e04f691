"""The measured part of a job, once both modules are loaded: correctness trials, then timing.

Fills the result dict in place; raises `Stop` to end the job at a stage. Order matters:
the reference output of each trial is computed first and kept; free memory is then filled with
NaN (poisoning.py), so a candidate returning recycled allocator blocks returns NaN, not the answer.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

import torch

from . import correctness, timing
from .inputs import clone_inputs, same_values
from .poisoning import output_bytes, poison_free_memory, release_poison
from .protocol import derive_seed, finite_or_none

class Stop(Exception):
    def __init__(self, stage: str, message: str, flags: tuple[str, ...] = ()):
        super().__init__(message)
        self.stage = stage
        self.flags = flags


def _trim(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit // 2] + "\n...\n" + text[-limit // 2 :]


def check_device(device: torch.device, what: str) -> None:
    """Synchronise and surface any asynchronous CUDA error the call left behind."""
    if device.type != "cuda":
        return
    try:
        torch.cuda.synchronize(device)
        # A launch that never started (too much shared memory, a bad grid) leaves no asynchronous
        # error to synchronise on, only a pending launch error: our own tiny launch surfaces it here.
        torch.ones(1, device=device).add_(1)
        torch.cuda.synchronize(device)
    except Exception as e:
        raise Stop("run", f"CUDA error after {what}: {type(e).__name__}: {_trim(str(e), 600)}",
                   ("cuda_error_after_forward",)) from e


def call(model: Any, inputs: list[Any], device: torch.device, what: str) -> Any:
    try:
        with torch.no_grad():
            out = model(*inputs)
    except Stop:
        raise
    except Exception as e:
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__)[-4:])
        raise Stop("run", _trim(f"{what} raised {type(e).__name__}: {e}\n{tb}")) from e
    check_device(device, what)
    return out


def run_correctness(
    job: Any, ref_model: Any, cand_model: Any, make_inputs: Callable[[int], list[Any]],
    device: torch.device, result: dict[str, Any], flags: list[str],
) -> None:
    policy = job.tolerance_policy
    passes = {"default", "loose"}
    max_abs = max_rel = 0.0
    inputs_unchanged = True
    repeats: set[str] = set()  # how the repeat runs went: 'bitwise', 'within_tolerance', 'beyond'
    # Alive at most: the draw, its clone for one call, the kept reference output and one candidate
    # output (2 inputs + 2 outputs): the first output is reduced to a fingerprint before the repeat,
    # and the repeat is compared with the reference before the reference output is dropped.
    for trial in range(job.trials):
        seed = derive_seed(job.seed, "trial", trial)
        result["seeds"].append(seed)
        inputs = make_inputs(seed)
        ref_out = call(ref_model, clone_inputs(inputs), device, "Model.forward")
        sizes = output_bytes(ref_out)
        if trial == 0:
            atol, rtol = correctness.tolerance_for(policy, correctness.output_dtype(ref_out), job.precision)
            result["atol"], result["rtol"] = atol, rtol
        cand_inputs = clone_inputs(inputs)
        poison_free_memory(device, sizes)
        out = call(cand_model, cand_inputs, device, "ModelNew.forward")
        release_poison(device)
        result["trials_run"] = trial + 1
        try:
            correctness.check_structure(out, ref_out, device)
        except correctness.OutputMismatch as e:
            raise Stop("correctness", f"trial {trial + 1}: {e}", (e.flag,) if e.flag else ()) from e
        cmp = correctness.compare(out, ref_out, policy, job.precision)
        max_abs, max_rel = max(max_abs, cmp.max_abs), max(max_rel, cmp.max_rel)
        passes &= cmp.policies
        result["max_abs_error"], result["max_rel_error"] = finite_or_none(max_abs), finite_or_none(max_rel)
        result["passes_policies"] = sorted(passes)
        if cmp.passed:
            result["trials_passed"] += 1
        if not same_values(cand_inputs, inputs):
            inputs_unchanged = False
        first_bits = correctness.fingerprint(out)
        del cand_inputs, out
        repeats.add(_repeat(cand_model, inputs, ref_out, sizes, first_bits, cmp.passed, (policy, job.precision), device))
        del inputs, ref_out
    result["inputs_unchanged"], result["deterministic"] = inputs_unchanged, repeats <= {"bitwise"}
    if not inputs_unchanged:
        flags.append("inputs_modified")
    if "beyond" in repeats:
        flags.append("nondeterministic")
    elif "within_tolerance" in repeats:
        # Atomics (an atomicAdd reduction, cuDNN's transposed convolutions) reorder a float sum from run
        # to run: different bits, each run as close to the reference as the policy asks.
        flags.append("nondeterministic_within_tolerance")
    if result["trials_passed"] < job.trials:
        nonfinite = "; the output has NaN/inf where the reference is finite" if max_abs == float("inf") else ""
        raise Stop("correctness", (
            f"values differ: max abs error {max_abs:.3g}, max rel error {max_rel:.3g} "
            f"vs atol={result['atol']:g} rtol={result['rtol']:g} ({policy} policy); "
            f"{result['trials_passed']}/{job.trials} trials passed{nonfinite}"))


def _repeat(cand_model: Any, inputs: list[Any], ref_out: Any, sizes: list[int], first_bits: list[Any],
            first_passed: bool, policy: tuple[str, str], device: torch.device) -> str:
    """A second candidate run on the same inputs, NaN-poisoned again: 'bitwise' when its bits equal the
    first run's, 'within_tolerance' when they differ but both runs pass the policy against the reference,
    'beyond' when they differ and either does not (an uninitialised or out-of-bounds read that happened
    to hold the right values once, a race that loses updates)."""
    again_inputs = clone_inputs(inputs)
    poison_free_memory(device, sizes)
    again = call(cand_model, again_inputs, device, "ModelNew.forward (repeat)")
    release_poison(device)
    del again_inputs
    try:
        correctness.check_structure(again, ref_out, device)
    except correctness.OutputMismatch:
        return "beyond"
    if correctness.fingerprint(again) == first_bits:
        return "bitwise"
    passed = first_passed and correctness.compare(again, ref_out, *policy).passed
    return "within_tolerance" if passed else "beyond"


# Device seconds the timed rounds of reference and candidate may take before fewer are run (timing.py
# capped_repeats; at least 5 rounds). Under the exclusive lock: what other candidates wait for.
TIMED_BUDGET_S = 1.0


def run_timing(
    job: Any, ref_model: Any, cand_model: Any, make_inputs: Callable[[int], list[Any]],
    device: torch.device, result: dict[str, Any], flags: list[str],
) -> list[Any]:
    """Times reference and candidate on the same inputs; returns those inputs (for profiling)."""
    inputs = make_inputs(derive_seed(job.seed, "timing"))
    original = clone_inputs(inputs)
    ref_out = call(ref_model, clone_inputs(inputs), device, "Model.forward")
    flusher = timing.L2Flusher(device) if device.type == "cuda" else None
    mismatches = {"ref": 0, "kernel": 0}

    def rechecker(who: str) -> Callable[[Any], None]:
        # The reference gets the same after-call work as the candidate, so both start each timed
        # call with the same (cold) caches: an asymmetric check would bias the CPU timings.
        def recheck(out: Any) -> None:
            try:
                correctness.check_structure(out, ref_out, device)
                ok = correctness.compare(out, ref_out, job.tolerance_policy, job.precision).passed
            except correctness.OutputMismatch:
                ok = False
            mismatches[who] += 0 if ok else 1
        return recheck

    try:
        runs = timing.time_interleaved(
            {"ref": lambda: ref_model(*inputs), "kernel": lambda: cand_model(*inputs)}, device, job.warmup,
            job.repeats, {"ref": rechecker("ref"), "kernel": rechecker("kernel")}, flusher, TIMED_BUDGET_S)
        check_device(device, "timing Model.forward and ModelNew.forward")
        ref_run, kern_run = runs["ref"], runs["kernel"]
    except Stop:
        raise
    except Exception as e:
        raise Stop("timing", _trim(f"timing failed: {type(e).__name__}: {e}")) from e
    ref_s, kern_s = timing.summary(ref_run), timing.summary(kern_run)
    result.update({
        "timing_method": kern_run.method,
        "ref_time_ms": ref_s["median"], "ref_time_min_ms": ref_s["min"], "ref_time_max_ms": ref_s["max"],
        "ref_trials_ms": ref_s["trials"],
        "kernel_time_ms": kern_s["median"], "kernel_time_min_ms": kern_s["min"],
        "kernel_time_max_ms": kern_s["max"], "kernel_trials_ms": kern_s["trials"],
    })
    if kern_s["median"] and kern_s["median"] > 0:
        result["speedup"] = finite_or_none(ref_s["median"] / kern_s["median"])
    inputs_kept = same_values(inputs, original)
    if not inputs_kept:
        flags.append("inputs_modified")
        result["inputs_unchanged"] = False
    if mismatches["kernel"]:
        flags.append("timing_phase_mismatch")
    if mismatches["ref"] and inputs_kept:
        # Informative: the problem is a weak test. Not said when the candidate changed the inputs the
        # reference's interleaved calls then read: that is the candidate's doing, flagged above.
        flags.append("reference_nondeterministic")
    if kern_run.events_miss_work():
        flags.append("event_host_time_mismatch")
    if job.compile_reference:
        _time_compiled_reference(job, ref_model, inputs, device, result, flusher)
    return inputs


def _time_compiled_reference(job: Any, ref_model: Any, inputs: list[Any], device: torch.device,
                             result: dict[str, Any], flusher: Any) -> None:
    """torch.compile'd reference time; skipped (null) where torch.compile is missing or fails."""
    compile_fn = getattr(torch, "compile", None)
    if compile_fn is None:
        return
    try:
        compiled = compile_fn(ref_model)
        run = timing.time_calls(lambda: compiled(*inputs), device, max(job.warmup, 1), job.repeats, None, flusher)
        check_device(device, "compiled reference")
    except Stop:
        raise
    except Exception:
        return
    result["compile_ref_time_ms"] = run.median
    if result["kernel_time_ms"]:
        result["speedup_vs_compile"] = finite_or_none(run.median / result["kernel_time_ms"])
