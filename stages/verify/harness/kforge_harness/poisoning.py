"""Free memory filled with NaN before each candidate run (VERIFICATION.md exploits 3, 4 and 15).

A candidate that returns a recycled block (the reference's output left in the cache), reads memory it
never wrote (torch::empty, partly filled) or whose launch silently failed then returns NaN, not the
answer by luck. CUDA: every kind of free device memory is filled (fresh memory up to the worker's slice
when candidates share the device); CPU: blocks of the outputs' sizes.
"""
from __future__ import annotations

import time
from typing import Any

import torch

from . import correctness

POISON_CHUNK_BYTES = 1 << 30
# Left free for the other workers on the device (contexts, import-time allocations of their candidates).
POISON_MARGIN_BYTES = 2 << 30
# How long a worker that has just taken the device lock waits for the last holder's memory to come back.
SETTLE_S = 15.0
_mem_get_info = getattr(torch.cuda, "mem_get_info", None)
_sleep = time.sleep
# Candidates checked on this device at once (the worker's --device-share, device_lock.py). Each fills at
# most its share of the device: filling all of it would take the others' memory and hand them its NaN.
_device_share = 1


def set_device_share(n: int) -> None:
    global _device_share
    _device_share = max(1, n)


def limit_process_memory(device: torch.device, share: int) -> None:
    """With candidates sharing the device, this process's allocator may hold at most its 1/share of the
    memory (1: the whole device again, for timing). A candidate that hoards every byte it can get
    (VERIFICATION.md class 16) then takes its own slice, not the memory of the candidates checked beside
    it; memory it takes past torch's allocator (its own cudaMalloc) is not covered."""
    setter = getattr(torch.cuda, "set_per_process_memory_fraction", None)
    if device.type == "cuda" and setter is not None:
        # An index: torch refuses a bare torch.device('cuda') here (seen on the H200, torch 2.11).
        setter(1.0 / max(1, share), device.index if device.index is not None else torch.cuda.current_device())


def fresh_fill_budget(free: int, total: int, share: int) -> int:
    """Bytes of fresh device memory one poisoning may fill: what is free but the margin, and with a share
    above 1 at most its slice of the device (total / share, less the margin). The blocks of the outputs'
    sizes and the process's own cached free blocks are filled whatever this says: those are where a
    recycled answer comes from; the fresh fill keeps a candidate's further allocations (intermediates,
    a workspace) on NaN instead of on the driver's pages."""
    budget = free - POISON_MARGIN_BYTES
    if share > 1:
        budget = min(budget, total // share - POISON_MARGIN_BYTES)
    return max(0, budget)


def wait_for_released_memory(device: torch.device) -> None:
    """Wait, lock in hand, until at least half the device is free again (at most SETTLE_S); with a device
    share above 1, half of this worker's share (the others sharing it hold theirs).

    The device lock (an flock) goes when its holder's file descriptors close at exit, and the driver
    can still be tearing down that process's context then: seen on the H200, a candidate that hoarded
    the GPU's memory exited, and the next worker, lock in hand, ran out of memory constructing its
    model (an honest fixture flagged cuda_error_after_forward). Workers still building hold a context
    each (well under a GiB), so half the device free means the last measurer's memory is back.

    Asking can itself run out of memory: the first CUDA call of a process creates its context, and a
    device the last holder filled to the brim has no room for one (seen on the H200: an honest fixture
    failed `run` with a harness OOM here, next to the memory-exhausting exploit). That reads as "not free
    yet"; only when it still fails at the deadline is it raised."""
    if device.type != "cuda" or _mem_get_info is None:
        return
    deadline = time.monotonic() + SETTLE_S
    while True:
        try:
            free, total = _mem_get_info(device)
            if free >= total // (2 * _device_share):
                return
        except RuntimeError:  # torch.AcceleratorError (2.x) and torch 1.x's CUDA errors are RuntimeErrors
            if time.monotonic() >= deadline:
                raise
        if time.monotonic() >= deadline:
            return
        _sleep(0.05)


def poison_free_memory(device: torch.device, block_bytes: list[int]) -> None:
    """Release cached blocks, then fill what is free with NaN and hand it back to the cache.

    Three kinds of free memory can hand a candidate stale data: a block the size of its output (a
    large allocation never fits in a smaller cached block, so without one of its size the candidate
    gets fresh device memory, which may still hold an earlier trial's reference output); free blocks
    inside segments that stay cached because other tensors live in them (empty_cache cannot release
    those); and memory the driver would give a new segment. All three are filled.
    """
    if device.type != "cuda":
        _poison_host_blocks(block_bytes)
        return
    torch.cuda.empty_cache()
    chunks = []
    try:
        for size in sorted((b for b in block_bytes if b >= 4), reverse=True):
            chunks.append(torch.full((size // 4,), float("nan"), dtype=torch.float32, device=device))
        for size in sorted(_free_cached_block_sizes(device)):
            chunks.append(torch.full((size // 4,), float("nan"), dtype=torch.float32, device=device))
        free, total = torch.cuda.mem_get_info(device)
        budget = fresh_fill_budget(free, total, _device_share)
        while budget > 1024:
            n = min(POISON_CHUNK_BYTES, budget)
            chunks.append(torch.full((n // 4,), float("nan"), dtype=torch.float32, device=device))
            budget -= n
    except RuntimeError:
        pass  # out of memory: what we filled is enough
    torch.cuda.synchronize(device)
    del chunks  # back to the caching allocator, NaN-filled, for the candidate to be handed


def _poison_host_blocks(block_bytes: list[int]) -> None:
    """CPU: blocks of the outputs' sizes, NaN-filled and freed, so the allocator's free lists hold NaN
    where a candidate's torch::empty of that size is served from (glibc reuses the freed chunk)."""
    chunks = [torch.full((size // 4,), float("nan"), dtype=torch.float32) for size in block_bytes if size >= 4]
    del chunks


def output_bytes(out: Any) -> list[int]:
    return [t.numel() * t.element_size() for t in correctness.flatten_output(out) if isinstance(t, torch.Tensor)]


def _free_cached_block_sizes(device: torch.device) -> list[int]:
    try:
        snapshot = torch.cuda.memory_snapshot()
    except Exception:
        return []
    index = device.index if device.index is not None else torch.cuda.current_device()
    return [int(b["size"]) for seg in snapshot if seg.get("device", index) == index
            for b in seg.get("blocks", []) if b.get("state") == "inactive" and int(b["size"]) >= 4]


def release_poison(device: torch.device) -> None:
    """Hand the NaN-filled cache back to the device: other workers share it."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
