"""Workers forked from a process that has already imported torch (the driver's side; fork_child.py is
the child's).

Why: a worker started with `python -m kforge_harness.worker` spends 2-3 s importing torch and the
harness before it reads its job, on every job: on the 2-core dev machine 3.2 of the 4.2 s a plain-PyTorch
candidate takes. One fork server (Python's multiprocessing 'forkserver', preloaded with the worker
module) pays that once per driver, and each job's worker is a fork of it: a new process, as isolated as
before (its own session and process group, address space, limits, network namespace, environment,
working directory), that starts with torch imported and no candidate code ever run.

What a fork does not give afresh, and why that is safe: the modules imported before the fork (torch,
the harness, nothing of any candidate; the tampering snapshot taken at that import), and state read
from the environment at import (the server is started with the workers' thread settings). No device is
touched in the server, so each child initialises CUDA itself. The server never runs candidate code.

Used for cpu-backend jobs; cuda and triton jobs start a fresh interpreter until the fork path has been
run on a GPU host (PROTOCOL.md, "Workers"). KFORGE_FORK_SERVER=0 turns it off everywhere.
"""
from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import types
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Iterator

from . import fork_child

ENV_SWITCH = "KFORGE_FORK_SERVER"
FORKED_BACKENDS = ("cpu",)


class DescribeError(Exception):
    """The environment of a backend could not be described (no such device, a broken interpreter)."""


def wanted(backend: str, python: str, parent_env: dict[str, str]) -> bool:
    """Whether a job of `backend` runs in a forked worker: the driver's own interpreter is the workers'
    (the server is a fork of this Python), Linux, and not switched off."""
    return (backend in FORKED_BACKENDS and sys.platform.startswith("linux") and
            os.path.realpath(python) == os.path.realpath(sys.executable) and parent_env.get(ENV_SWITCH) != "0")


class ForkedWorker:
    """A forked worker seen as the driver sees a subprocess.Popen: pid, poll, wait, returncode. Its
    status pipe's read end is `status_fd` (the driver's to close)."""

    def __init__(self, process: Any, status_fd: int):
        self._process = process
        self.pid: int = process.pid
        self.status_fd = status_fd

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode  # negative: killed by that signal, as Popen says it

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        code = self._process.exitcode
        if code is None:
            raise subprocess.TimeoutExpired("kforge_harness.worker (forked)", timeout or 0.0)
        return code


class ForkServer:
    """Starts the server on first use, with `base_env` as its environment (what the workers' Python
    would have read at import: thread counts, PYTHONPATH), then forks one worker per job."""

    def __init__(self, base_env: dict[str, str]):
        self._base_env = base_env
        self._context = multiprocessing.get_context("forkserver")
        self._started = False
        self._lock = threading.Lock()

    def _ensure_started(self) -> None:
        with self._lock:
            if self._started:
                return
            self._context.set_forkserver_preload(["kforge_harness.fork_server_init"])
            saved = dict(os.environ)
            try:  # the server takes the environment it is started in (one start, before any worker)
                os.environ.clear()
                os.environ.update(self._base_env)
                from multiprocessing import forkserver
                forkserver.ensure_running()
            finally:
                os.environ.clear()
                os.environ.update(saved)
            self._started = True

    def describe(self, backend: str, env: dict[str, str], scratch: Path, timeout_s: float = 120.0) -> dict[str, Any]:
        """`verify.py --environment --backend B`, answered by a fork: {"verifier_version", "env"}."""
        self._ensure_started()
        return _describe_in_fork(self._context, self._lock, backend, env, scratch, timeout_s)

    def start(self, worker_args: list[str], job_text: str, env: dict[str, str], cwd: Path, log_path: Path,
              memory_bytes: int | None) -> ForkedWorker:
        self._ensure_started()
        read_end, write_end = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=fork_child.run, name="kforge-worker", daemon=True,
            args=(worker_args, job_text, env, str(cwd), str(log_path), memory_bytes, write_end))
        try:
            with self._lock, _main_module_hidden():
                process.start()
        finally:
            write_end.close()  # the child has its own copy: the pipe ends when the child does
        _await_own_group(process)
        return ForkedWorker(process, _detach(read_end))


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """multiprocessing's child runs the parent's __main__ script again (as __mp_main__) so that pickled
    functions of it resolve; a worker needs none of it, and re-running a driver script in every worker
    (verify.py, gpu_suite.py, a user's own) costs time at best. What the child is told to prepare is
    read from sys.modules['__main__'] while the process starts: a bare module stands in for it then."""
    real = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if real is not None:
            sys.modules["__main__"] = real


def _describe_in_fork(context: Any, lock: threading.Lock, backend: str, env: dict[str, str], scratch: Path,
                      timeout_s: float) -> dict[str, Any]:
    out = scratch / "environment.json"
    process = context.Process(target=fork_child.describe, name="kforge-describe", daemon=True,
                              args=(backend, env, str(out)))
    with lock, _main_module_hidden():
        process.start()
    process.join(timeout_s)
    if process.exitcode is None:
        process.kill()
        process.join()
        raise DescribeError(f"describing the {backend} environment took over {timeout_s:g} s")
    try:
        answer = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DescribeError(f"describing the {backend} environment gave no answer (exit {process.exitcode}): {e}") from e
    if "error" in answer:
        raise DescribeError(f"cannot describe the {backend} environment: {answer['error']}")
    return answer


def _await_own_group(process: Any, limit_s: float = 5.0) -> None:
    """Returns once the child leads its own process group (its first act is setsid), so that the
    driver's group kill, from now on, reaches it and all it starts. Microseconds in practice."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and process.exitcode is None:
        try:
            if os.getpgid(process.pid) == process.pid:
                return
        except ProcessLookupError:
            return
        time.sleep(0.001)


def _detach(conn: Connection) -> int:
    """A raw descriptor of a Connection's pipe, the Connection closed (the driver reads the status pipe
    with select and os.read, and closes it)."""
    fd = os.dup(conn.fileno())
    conn.close()
    return fd
