"""Process isolation for one candidate: environment allow-list, session/process group, limits,
network namespace (the per-device lock is device_lock.py).

What it cannot stop: a candidate that deliberately forks into a new session escapes the group kill,
and one running as root could undo its own limits. It is a fence against accidents and casual
cheating, not a jail; see PROTOCOL.md.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
from pathlib import Path
from typing import Callable

CLONE_NEWNET = 0x40000000

# Passed through from the driver's environment when set; everything else (API keys...) is dropped.
PASSTHROUGH = (
    "PATH", "LANG", "LC_ALL", "LC_CTYPE", "CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "CUDA_HOME",
    "CUDA_PATH", "CC", "CXX", "TORCH_CUDA_ARCH_LIST", "MAX_JOBS", "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
    "TRITON_INTERPRET",  # the triton backend in Triton's CPU interpreter (backends.py)
)


def worker_env(
    parent: dict[str, str],
    scratch: Path,
    extensions_dir: Path,
    harness_dir: Path,
    cpu_threads: int,
    cache_root: Path,
    own_triton_cache: bool = False,
) -> dict[str, str]:
    env = {k: parent[k] for k in PASSTHROUGH if k in parent}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["HOME"] = str(scratch)
    env["TMPDIR"] = str(scratch / "tmp")
    env["TORCH_EXTENSIONS_DIR"] = str(extensions_dir)
    # Only the harness itself, plus whatever the driver's interpreter needed to find torch.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(harness_dir), parent.get("PYTHONPATH", "")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env["OMP_NUM_THREADS"] = str(cpu_threads)
    env["MKL_NUM_THREADS"] = str(cpu_threads)
    # torch.compile's caches are ours (not the candidate's) and worth sharing between candidates.
    env["TORCHINDUCTOR_CACHE_DIR"] = str(cache_root / "inductor")
    env["TRITON_CACHE_DIR"] = str(cache_root / "triton")
    if own_triton_cache:
        # A Triton candidate's compiled kernels are its build: kept beside its extension builds, keyed by
        # the sha256 of its source (a rerun is a cache hit; no candidate reads or fills another's cache).
        env["TRITON_CACHE_DIR"] = str(extensions_dir / "triton")
    # Peak rates are measured once per device, not once per candidate (HOME is the scratch dir): beside
    # the builds, or in the driver's own KFORGE_PEAKS_CACHE, a file for the whole machine (the tests share
    # one across every build root they make, each measurement being seconds of CPU under the device lock).
    env["KFORGE_PEAKS_CACHE"] = parent.get("KFORGE_PEAKS_CACHE") or str(cache_root / "peaks.json")
    if parent.get("KFORGE_INLINE_BUILDS"):  # building.inline_builds_root: keyed builds shared by build roots
        env["KFORGE_INLINE_BUILDS"] = parent["KFORGE_INLINE_BUILDS"]
    for name in ("KFORGE_PCH", "KFORGE_PCH_DIR"):  # pch.py: the precompiled header's switch and folder
        if parent.get(name):
            env[name] = parent[name]
    return env


def preexec(memory_bytes: int | None) -> Callable[[], None]:
    """Runs in the child between fork and exec (start_new_session gives the new process group)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return apply


def die_with_parent(sig: int = signal.SIGKILL, expected_parent: int | None = None) -> None:
    """Ask the kernel to send `sig` to this process when its parent goes. A worker outliving its driver
    (driver killed, Node killed) would keep the device lock with no deadline enforced on it; the driver
    (sig SIGTERM, so it kills its workers first) must not outlive kforge. `expected_parent`: the pid the
    parent says it has; if the parent is already another process, it died before we asked."""
    parent = os.getppid() if expected_parent is None else expected_parent
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, sig, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the driver's parent watch (Driver.run_many) still notices
    if os.getppid() != parent or parent == 1:  # the parent died before we asked
        os._exit(1)


def set_command_line(text: str) -> bool:
    """Show `text` as this process's command line (ps, /proc/PID/cmdline) by writing it over the argv
    area the kernel reports in /proc/self/stat (what setproctitle does on Linux). For forked workers:
    their real command line is the fork server's, and whoever looks for a worker (an operator, the
    tests that check nothing is left running) looks for `kforge_harness.worker`. Cut to the area's
    size; never raises. True if written."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        # Fields 48 and 49 of proc(5) (arg_start, arg_end); the split drops pid and comm (fields 1, 2).
        start, end = int(fields[45]), int(fields[46])
        size = end - start
        if size <= 1:
            return False
        data = text.encode("utf-8", errors="replace")[:size - 1]
        ctypes.memmove(start, data + b"\0" * (size - len(data)), size)
        return True
    except (OSError, ValueError, IndexError):
        return False


def isolate_network() -> bool:
    """Move this process into an empty network namespace. True if it took effect; never raises."""
    try:
        before = os.readlink("/proc/self/ns/net")
    except OSError:
        before = None
    try:
        if hasattr(os, "unshare"):
            os.unshare(CLONE_NEWNET)  # Python 3.12+
        else:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            if libc.unshare(CLONE_NEWNET) != 0:
                return False
    except (OSError, AttributeError):
        return False
    try:
        return before is not None and os.readlink("/proc/self/ns/net") != before
    except OSError:
        return False
