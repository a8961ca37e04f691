"""A candidate too big for its slice of a shared device is checked again with the device to itself.

While N candidates check correctness side by side (`--device-share N`, device_lock.py), each worker's
allocator is held to 1/N of the memory (poisoning.limit_process_memory), so that a memory hoarder
(VERIFICATION.md class 16) takes its own slice, not its neighbours'. An honest kernel can need more than
that: on the H200 with a share of 8, lb-1-11 held 14.7 GiB of its 17.5 GiB slice and asked for 6 GiB more,
with 123 GiB of the device free, and was rejected with an out-of-memory error it never gets alone
(docs/fleet.md, run 5). The slice is a way of sharing, not a verdict: a candidate that runs out of memory
before it has the device to itself starts its measurement again under the exclusive lock with the whole
device, as with a share of 1, and only what it does then is judged.
"""
from __future__ import annotations

import copy
import gc
from typing import Any, Callable

import torch

from . import evaluation


def out_of_memory(error: BaseException) -> bool:
    """Whether the allocator's out-of-memory error is behind this one (Stop wraps what the model raised)."""
    seen: set[int] = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        oom = getattr(torch.cuda, "OutOfMemoryError", None)
        if (oom is not None and isinstance(e, oom)) or "CUDA out of memory" in str(e):
            return True
        e = e.__cause__ or e.__context__
    return False


# Of the memory an attempt held, at most this much may stay allocated for it to be run again alone.
KEPT_BYTES = 256 << 20


def measure_with_fallback(measure: Callable[[], None], is_exclusive: Callable[[], bool],
                          go_exclusive: Callable[[], None], result: dict[str, Any], flags: list[str],
                          free_memory: Callable[[], None], allocated: Callable[[], int] = lambda: 0) -> bool:
    """Runs `measure`; when it stops on out-of-memory while the device is still shared, and the memory the
    attempt allocated is given back once its frames are gone (`allocated()` within KEPT_BYTES of what it was
    before), restores the result and flags to what they were before it, takes the device exclusively and runs
    `measure` once more. Returns whether it fell back. A candidate that keeps what it took (a cache in its
    module: the memory hoarder of class 16, seen on the H200 taking the whole device when run again, and its
    neighbours' memory with it) keeps its out-of-memory verdict: holding memory across calls is what the
    slice is there to contain."""
    saved_result, saved_flags = copy.deepcopy(result), list(flags)
    before = allocated()
    try:
        measure()
        return False
    except evaluation.Stop as e:
        if is_exclusive() or not out_of_memory(e):
            raise
        first = str(e)
    # Out of the except block: the exception's frames (and the tensors they hold) are gone.
    gc.collect()
    free_memory()
    kept = allocated() - before
    if kept > KEPT_BYTES:  # the result as the attempt left it: its evidence stays
        raise evaluation.Stop("run", f"out of memory in its slice of the shared device, and {kept / 2**30:.1f} GiB "
                                     "stayed allocated after the call returned (memory held across calls is not "
                                     f"given the whole device): {first}")
    result.clear()
    result.update(saved_result)
    flags[:] = saved_flags
    go_exclusive()
    measure()
    return True
