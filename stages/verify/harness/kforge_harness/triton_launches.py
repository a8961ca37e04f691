"""Counting Triton launches: the proof of work (VERIFICATION.md exploit 1) where no GPU profiler can see
the kernels, i.e. in Triton's CPU interpreter (TRITON_INTERPRET=1).

Every launch goes through one method, wrapped here at class level before the candidate is imported:
compiled, `kernel[grid](...)` and the autotuner/heuristics wrappers end in `JITFunction.run(..., warmup=False)`;
interpreted, in `GridExecutor.__call__` (triton 3.0-3.2 and 3.3+ alike; `InterpretedFunction.run` is an
instance closure in 3.2). A launch counts as the candidate's own when the @triton.jit function was defined
in the candidate's module. `tampered()` says whether the candidate put the originals back or wrapped ours.
"""
from __future__ import annotations

import functools
from collections import Counter
from typing import Any, Callable

CANDIDATE_MODULE = "kforge_candidate"

_installed: list[tuple[Any, str, Callable[..., Any]]] = []  # (class, attribute, our wrapper)
_recording: list[Counter[tuple[str, bool]]] = []  # stack: launches while recording, (name, own) -> count


def _note(fn: Any) -> None:
    if _recording:
        name = str(getattr(fn, "__name__", None) or type(fn).__name__)
        _recording[-1][(name, getattr(fn, "__module__", None) == CANDIDATE_MODULE)] += 1


def _wrap(owner: Any, attr: str, fn_of: Callable[[Any], Any], counts: Callable[[dict[str, Any]], bool]) -> None:
    real = getattr(owner, attr)

    @functools.wraps(real)
    def launch(self: Any, *args: Any, **kwargs: Any) -> Any:
        if counts(kwargs):
            _note(fn_of(self))
        return real(self, *args, **kwargs)

    setattr(owner, attr, launch)
    _installed.append((owner, attr, launch))


def install() -> None:
    """Wrap the launch paths of the imported triton (idempotent). Call before the candidate is imported."""
    if _installed:
        return
    from triton.runtime.jit import JITFunction

    _wrap(JITFunction, "run", lambda self: getattr(self, "fn", None), lambda kw: not kw.get("warmup", False))
    try:
        from triton.runtime.interpreter import GridExecutor
    except ImportError:  # a triton without the interpreter: compiled launches are still counted
        return
    _wrap(GridExecutor, "__call__", lambda self: getattr(self, "fn", None), lambda kw: True)


def tampered() -> list[str]:
    """The launch paths no longer ours (an honest candidate never touches them)."""
    return [f"{owner.__name__}.{attr}" for owner, attr, ours in _installed if getattr(owner, attr, None) is not ours]


def launches_during(fn: Callable[[], Any]) -> tuple[Any, Counter[tuple[str, bool]]]:
    """Run fn; return its value and the Triton launches it made, (kernel name, own) -> count."""
    _recording.append(Counter())
    try:
        value = fn()
    finally:
        counts = _recording.pop()
    return value, counts


def judge_launches(counts: Counter[tuple[str, bool]]) -> dict[str, Any]:
    """The interpreter's stand-in for the profiler's verdict (profiling.judge_kernels): `kernels_launched`
    are the Triton kernels one forward launched, 'no_own_kernel' when none was the candidate's.
    Torch ops run beside them are invisible here (no CUDA kernels to name): 'ran_reference_op' needs the GPU."""
    names = sorted({name for name, _ in counts})
    own = any(is_own for _, is_own in counts)
    return {"kernels_launched": names, "own_kernel_share": None, "gpu_kernel_time_ms": None,
            "reference_kernels_replaced": [], "reference_kernels_kept": [],
            "flags": [] if own else ["no_own_kernel"]}
