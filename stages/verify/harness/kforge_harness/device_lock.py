"""The per-device lock: what runs on a GPU (or the cpu backend's cores) at once (PROTOCOL.md, "Device locks").

Two modes on one flock file, `<lock dir>/device-<backend>-<devices>.lock`:
- exclusive (`LOCK_EX`): timing and profiling, where another process's kernels would be in the
  measurement; with a device share of 1 (the default) a candidate's whole measurement, as before;
- shared (`LOCK_SH`): with a device share N above 1, model construction, input draws, problem facts and
  correctness of up to N candidates at once (one of N slot files `<lock>.slot<i>` each; their NaN poisoning
  budgeted to 1/N of the memory, poisoning.py); never while an exclusive holder measures.
A second file, `<lock>.turn`, is a turnstile that gives exclusive takers precedence: a shared taker passes
through it (takes and drops it), an exclusive taker holds it while it waits, so a stream of overlapping
correctness checks cannot starve timing. The order is slot, turnstile, lock; an exclusive taker needs only
the turnstile and the lock, and a shared holder drops the lock and its slot before it queues for the
turnstile (flock converts by dropping first anyway), so no waiter holds what another waits for in a cycle.

Locks are never released by hand: they go when the worker process ends, after the process's memory does
(a candidate that keeps every GPU byte in a global would otherwise still hold it while the next one, lock in
hand, allocates its inputs). Other tools that take the plain exclusive flock (independent_timing.py) stay
compatible: they only skip the turnstile.
"""
from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Callable


# How often a checker waiting for a slot looks again (checks take seconds).
SLOT_POLL_S = 0.02


def lock_path(lock_dir: Path, backend: str, visible_devices: str | None) -> Path:
    key = "cpu" if backend == "cpu" else f"cuda-{(visible_devices or 'all').replace(',', '_')}"
    return lock_dir / f"device-{key}.lock"


class DeviceLock:
    """One worker's hold on its device: `shared()` then `exclusive()`, or `exclusive()` alone.

    `held_s()`: the time it held either mode (the wait between them not counted) and the time it has held
    the exclusive one: the result's gpu_busy_s and gpu_exclusive_s."""

    def __init__(self, path: Path, on_wait: Callable[[], None], on_acquired: Callable[[], None]):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # kept open on purpose until exit
        self._turn = os.open(path.with_name(path.name + ".turn"), os.O_RDWR | os.O_CREAT, 0o644)
        self._on_wait, self._on_acquired = on_wait, on_acquired
        self._path = path
        self._slot: int | None = None
        self.mode: str | None = None
        self._shared_held_s = 0.0
        self._since = 0.0

    def shared(self, share: int) -> None:
        """One of `share` slots (`<lock>.slot<i>`, so at most that many check at once, each budgeting its
        1/share of the memory), then the lock shared. The slot goes with the shared lock."""
        if self.mode is not None:
            raise RuntimeError(f"device lock already held ({self.mode})")
        waited = self._take_slot(max(1, share))
        waited = self._take(self._turn, fcntl.LOCK_EX, waited)
        waited = self._take(self._fd, fcntl.LOCK_SH, waited)
        fcntl.flock(self._turn, fcntl.LOCK_UN)
        self._acquired("shared")

    def exclusive(self) -> None:
        if self.mode == "exclusive":
            return
        if self.mode == "shared":
            self._shared_held_s += time.monotonic() - self._since
            fcntl.flock(self._fd, fcntl.LOCK_UN)  # before the turnstile: never wait while holding
            if self._slot is not None:
                os.close(self._slot)  # its flock goes with it: another candidate may check now
                self._slot = None
            self.mode = None
        waited = self._take(self._turn, fcntl.LOCK_EX, False)
        waited = self._take(self._fd, fcntl.LOCK_EX, waited)
        fcntl.flock(self._turn, fcntl.LOCK_UN)
        self._acquired("exclusive")

    def held_s(self) -> tuple[float, float]:
        """(busy, exclusive) seconds so far, read from one clock reading."""
        now = time.monotonic()
        current = now - self._since if self.mode else 0.0
        return self._shared_held_s + current, current if self.mode == "exclusive" else 0.0

    def _take_slot(self, share: int) -> bool:
        """The first slot that is free, polling until one is. Not a blocking flock on one chosen slot: that
        waited for its holder while another slot stood free (a test of three checkers on two slots hung
        when the pid picked the slot whose holder stayed)."""
        fds = [os.open(self._path.with_name(f"{self._path.name}.slot{i}"), os.O_RDWR | os.O_CREAT, 0o644)
               for i in range(share)]
        waited = False
        chosen: int | None = None
        while chosen is None:
            for fd in fds:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    chosen = fd
                    break
                except BlockingIOError:
                    continue
            if chosen is None:
                if not waited:
                    self._on_wait()
                    waited = True
                time.sleep(SLOT_POLL_S)
        for fd in fds:
            if fd != chosen:
                os.close(fd)
        self._slot = chosen
        return waited

    def _take(self, fd: int, op: int, waited: bool) -> bool:
        """flock `fd`; the driver hears `lock_wait` once per acquisition that blocks (its timeout pauses)."""
        try:
            fcntl.flock(fd, op | fcntl.LOCK_NB)
            return waited
        except BlockingIOError:
            if not waited:
                self._on_wait()
            fcntl.flock(fd, op)
            return True

    def _acquired(self, mode: str) -> None:
        self.mode, self._since = mode, time.monotonic()
        self._on_acquired()


def hold_device_lock(path: Path, on_wait: Callable[[], None], on_acquired: Callable[[], None]) -> DeviceLock:
    """The exclusive lock at once (a whole measurement exclusive), held until this process ends."""
    lock = DeviceLock(path, on_wait, on_acquired)
    lock.exclusive()
    return lock
