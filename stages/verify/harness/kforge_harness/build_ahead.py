"""Build a candidate's several load_inline calls at once, not one after another.

A candidate's import compiles its extensions in the order its module calls load_inline, each waiting for
the one before: lb-2-35 of the real kernels makes three CUDA extensions, 229 s one after another, and was
the last build of both H200 fleet runs, the host's cores idle around it (docs/fleet.md). So when a source
calls load_inline more than once, the import is preceded by two steps, both in forked children, so that
nothing they do reaches the process that goes on to import and judge the candidate:

1. **The probe** (`probe_calls`): a child runs the module with load_inline answering a stand-in that ends
   the run at the first use of the "extension" (any attribute of it). That collects the calls a module
   makes before it needs a built extension: all of them in the usual layout (extensions at the top,
   ModelNew below). The child sends back the calls whose arguments are plain data (the ones the build
   store and the keyed folders can hold; the rest are built by the import as before) and exits. It has a
   time limit and its output is discarded (a print at import time is not doubled in the compile log).
2. **The builds** (`build_all`): each distinct call builds in a child of its own, up to AHEAD_PARALLEL at
   once, through the very chain the import's own calls take (build store, keyed folders, precompiled
   header): the import that follows finds each one built. A child that fails leaves its call to the
   import, which builds it again and fails with its own error and log, exactly as without this step.
   The children's CPU seconds come from wait4 (each child's own and its compilers'), so the build's
   CPU seconds stay exact when builds overlap, where timing each call in this process would count every
   overlapping compiler once per call.

Only where no CUDA context exists yet (a forked child must not use the parent's): the build phase (the
GPUs hidden) and cpu builds. A GPU worker's single-phase import of a CUDA candidate builds as before.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .loading import import_source

AHEAD_PARALLEL = 4  # at most this many of one candidate's builds at once (a build host runs several candidates too)
PROBE_LIMIT_S = 60.0  # a module slower than this to run without its extensions is imported as before
MODULE_NAME = "kforge_candidate"  # the name the import gives it (building.import_candidate)
Call = tuple[tuple[Any, ...], dict[str, Any]]


class _ProbeEnd(BaseException):
    """Ends the probe: the module used an extension the probe did not build. A BaseException, so a
    candidate's `except Exception` around that use does not carry the run on with a stand-in."""


class _Unbuilt:
    """What load_inline answers during the probe."""

    def __getattr__(self, name: str) -> Any:
        raise _ProbeEnd(name)


def worth_probing(source: str) -> bool:
    """A source that names load_inline at most once has nothing to build side by side."""
    return source.count("load_inline") >= 2


def _cuda_initialized() -> bool:
    try:
        import torch
        return bool(torch.cuda.is_initialized())
    except Exception:  # noqa: BLE001  (no torch.cuda: nothing to protect)
        return False


def _probe_child(source: str, directory: Path, keyable: Callable[[Call], bool], write_fd: int) -> None:
    from torch.utils import cpp_extension

    calls: list[Call] = []

    def inline(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, dict(kwargs)))
        return _Unbuilt()

    def load(*_args: Any, **_kwargs: Any) -> Any:
        raise _ProbeEnd("load")  # a build of files, which the candidate may write just before: not probed

    cpp_extension.load_inline, cpp_extension.load = inline, load
    try:
        import_source(source, MODULE_NAME, directory)
    except BaseException:  # noqa: BLE001  (whatever ends the module's run, the calls so far stand)
        pass
    plain = [{"args": list(a), "kwargs": k} for a, k in calls if keyable((a, k))]
    with os.fdopen(write_fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(plain))


def _child_signals() -> None:
    """A forked child gets the default handlers: the worker's own raise into whatever code runs."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)


def _discard_output() -> None:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)


def probe_calls(source: str, directory: Path, keyable: Callable[[Call], bool],
                limit_s: float = PROBE_LIMIT_S) -> list[Call]:
    """The load_inline calls the module makes before it uses an extension, those `keyable` accepts, with
    their arguments as the candidate passed them (tuples read back as lists, which key alike)."""
    read_fd, write_fd = os.pipe()
    _flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_fd)
            _child_signals()
            _discard_output()
            _probe_child(source, directory, keyable, write_fd)
        except BaseException:  # noqa: BLE001
            code = 1
        os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + limit_s
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_fd], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)  # too slow: the import runs it anyway
                return []
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        os.waitpid(pid, 0)
    try:
        return [(tuple(c["args"]), dict(c["kwargs"])) for c in json.loads(b"".join(chunks) or b"[]")]
    except (ValueError, TypeError, KeyError):
        return []


@dataclass
class AheadReport:
    built: int = 0  # calls a child compiled
    found: int = 0  # calls a child found built (the store, a keyed folder)
    failed: int = 0  # calls left to the import
    cpu_s: float = 0.0  # the children's CPU seconds, their compilers' included
    wall_s: float = 0.0  # from the first fork to the last child's end


# A child's exit status: what its call did.
BUILT, FOUND, FAILED = 0, 3, 1


def build_all(calls: list[Call], build: Callable[[tuple[Any, ...], dict[str, Any]], bool],
              parallel: int = AHEAD_PARALLEL) -> AheadReport:
    """Runs `build(args, kwargs)` for each call in a forked child, `parallel` at a time. `build` returns
    whether it compiled (False: it found the call built)."""
    report = AheadReport()
    started = time.monotonic()
    pending, running = list(calls), set()
    while pending or running:
        while pending and len(running) < max(1, parallel):
            args, kwargs = pending.pop(0)
            _flush()
            pid = os.fork()
            if pid == 0:
                code = FAILED
                try:
                    _child_signals()  # output kept: a verbose build's lines belong in the compile log
                    code = BUILT if build(args, kwargs) else FOUND
                except BaseException:  # noqa: BLE001  (the import builds it again and reports why)
                    code = FAILED
                os._exit(code)
            running.add(pid)
        done = _reap(running)
        if not done:
            time.sleep(0.05)  # waits on these children only: os.wait would take a subprocess's from it
        for status, usage in done:
            report.cpu_s += usage.ru_utime + usage.ru_stime
            code = os.waitstatus_to_exitcode(status)
            if code == BUILT:
                report.built += 1
            elif code == FOUND:
                report.found += 1
            else:
                report.failed += 1
    report.wall_s = time.monotonic() - started
    return report


def _reap(running: set[int]) -> list[tuple[int, Any]]:
    done = []
    for pid in list(running):
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got == pid:
            running.discard(pid)
            done.append((status, usage))
    return done


def _flush() -> None:
    """Before a fork: what this process buffered must not be written twice."""
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:  # noqa: BLE001
            pass


def can_build_ahead(source: str) -> bool:
    return worth_probing(source) and os.name == "posix" and not _cuda_initialized()
