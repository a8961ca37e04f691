"""The child's side of fork_server.py: what a forked worker does before it is the worker.

Everything a fresh `python -m kforge_harness.worker` gets from the driver's Popen, done by hand right
after the fork and before any candidate code: a session and process group of its own (the driver kills
the group), its limits, stdout and stderr into its log file, no stdin, the job's working directory and
environment (the allow-list of sandbox.worker_env, nothing else), a temp dir read afresh from TMPDIR.
Then worker.main runs as it does in a spawned worker, with the job handed over instead of read from stdin.
"""
from __future__ import annotations

import io
import json
import os
import resource
import sys
import tempfile
from multiprocessing.connection import Connection

from . import sandbox


def run(worker_args: list[str], job_text: str, env: dict[str, str], cwd: str, log_path: str,
        memory_bytes: int | None, status: Connection) -> None:
    os.setsid()
    _drop_driver_alive_fd()
    sandbox.set_command_line(" ".join(["python", "-m", "kforge_harness.worker", "(forked)", *worker_args]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    _redirect(log_path)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # gettempdir() caches; the job's TMPDIR is its scratch
    sys.dont_write_bytecode = True
    status_fd = os.dup(status.fileno())  # the worker's StatusChannel owns this one
    status.close()
    from . import worker  # imported in the server already: no import cost here
    # The parent to die with is the fork server (gone when the driver is).
    worker.main(["--status-fd", str(status_fd), "--driver-pid", str(os.getppid()), *worker_args], job_text=job_text)


def describe(backend: str, env: dict[str, str], out_path: str) -> None:
    """`verify.py --environment` in a fork: where this driver's workers would measure, as JSON to
    `out_path` ({"verifier_version", "env"} or {"error"}). Seconds less than a fresh interpreter."""
    os.setsid()
    _drop_driver_alive_fd()
    os.environ.clear()
    os.environ.update(env)
    from . import environment
    try:
        answer: dict[str, object] = environment.describe(backend)
    except Exception as e:  # noqa: BLE001  (the driver passes the reason on)
        answer = {"error": f"{type(e).__name__}: {e}"}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(answer, f)
    os._exit(0)


def _drop_driver_alive_fd() -> None:
    """multiprocessing hands every forked child the write end of the pipe by which the server learns the
    driver has gone (EOF: no writer left). A worker holding it keeps the server alive after a kill -9 of
    the driver, and so itself (its death signal comes when the server goes): closed first thing."""
    from multiprocessing import forkserver
    fd = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        try:
            os.close(fd)
        except OSError:
            pass


def _redirect(log_path: str) -> None:
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(devnull)
    # Unbuffered as PYTHONUNBUFFERED makes a spawned worker: a crash loses none of the log.
    sys.stdout = io.TextIOWrapper(open(1, "wb", buffering=0, closefd=False), encoding="utf-8", errors="replace",
                                  write_through=True)
    sys.stderr = io.TextIOWrapper(open(2, "wb", buffering=0, closefd=False), encoding="utf-8",
                                  errors="backslashreplace", write_through=True)
    sys.stdin = open(os.devnull, encoding="utf-8")
