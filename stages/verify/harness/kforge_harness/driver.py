"""Runs jobs in sandboxed worker processes, N at a time.

Builds overlap across cores; each worker takes the device lock before measuring, so only one
candidate times on a device at once. The time limit counts the worker's own time: waiting for the
device lock does not use it up (bounded by `lock_wait_cap_s`). On timeout the whole process group
is killed; a worker that dies without a verdict becomes fail_stage 'crash'. The driver never fails.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import resource
import select
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import wait, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from . import backends, fork_server, sandbox
from .building import build_dir_for
from .fork_server import ForkedWorker
from .protocol import VerifyJob, failure_result

HARNESS_DIR = Path(__file__).resolve().parent.parent
LOG_TAIL_CHARS = 2000


@dataclass
class DriverOptions:
    build_root: Path
    scratch_root: Path
    # Device locks: shared by every driver on the host by default, so two runs never time at once.
    lock_dir: Path = Path(tempfile.gettempdir()) / "kforge-locks"
    workers: int = 2
    cpu_threads: int = 1
    # Address-space limit for cpu-backend workers (RLIMIT_AS); never applied on cuda.
    memory_mb: int | None = 16384
    keep_scratch: bool = False
    network_isolation: bool = True
    python: str = sys.executable
    lock_wait_cap_s: float = 3600.0
    # The extension build has its own limit: the job's timeout_s pauses while load_inline/load runs.
    build_timeout_s: float = 900.0
    parent_env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    # The process that streams jobs (kforge): when it is gone, stop (kill the workers) and exit.
    parent_pid: int | None = None
    # Builds off the GPU (build_phase.py): the phase for every job (None: each job's own), the store.
    phase: str | None = None
    build_store: Path | None = None
    cuda_arch: str | None = None  # the build phase's CUDA target, e.g. '9.0'
    # Candidates whose correctness may share a device at once (device_lock.py); timing stays exclusive.
    device_share: int = 1


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:48] or "candidate"


def _tail(path: Path, limit: int = LOG_TAIL_CHARS) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _kill_group(pid: int) -> None:
    """SIGKILL the worker's process group, then whatever is left of its session (the worker is its leader).

    ninja starts every command in a process group of its own, so a compile outlived the group kill of a
    worker stopped at its build limit or by an interrupt: ~35 s of CPU of an orphaned compiler on a
    2-core host, beside the next jobs (and writing into a build folder the next builder of that source
    uses). Its session is still the worker's: a candidate that starts a session of its own escapes
    this, as PROTOCOL.md says."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for other in _session_members(pid):
        try:
            os.kill(other, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _session_members(sid: int) -> list[int]:
    """Pids in session `sid` (Linux /proc; elsewhere none are found, the group kill is all there is)."""
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                # After the command name (in parentheses, may hold anything): state ppid pgrp session ...
                fields = f.read().rsplit(b")", 1)[1].split()
            if int(fields[3]) == sid:
                found.append(int(name))
        except (OSError, ValueError, IndexError):
            continue
    return found


class Driver:
    def __init__(self, options: DriverOptions):
        self.options = options
        # Worker process groups alive now, so an interrupt can take them all down.
        self._live: set[int] = set()
        self._stopping = False
        for d in (options.build_root, options.scratch_root):
            d.mkdir(parents=True, exist_ok=True)
        # One server per driver, started on the first job that forks (fork_server.wanted decides which do):
        # its environment is the workers' allow-list, so what torch reads at import (thread counts) is what
        # a worker would read.
        self._fork_server = fork_server.ForkServer(sandbox.worker_env(
            options.parent_env, options.scratch_root, options.build_root / "ext", HARNESS_DIR, options.cpu_threads,
            options.build_root / "cache"))

    def _forks(self, backend: str) -> bool:
        return fork_server.wanted(backend, self.options.python, self.options.parent_env)

    def _memory_bytes(self, backend: str) -> int | None:
        """The address-space limit of a worker of `backend` (cpu only: the CUDA driver maps huge ranges)."""
        o = self.options
        return o.memory_mb * 1024 * 1024 if o.memory_mb and backends.memory_limited(backend, o.parent_env) else None

    def describe(self, backend: str) -> dict[str, Any]:
        """Where this driver's workers of `backend` measure ({"verifier_version", "env"}, as
        `verify.py --environment` prints it): from a fork where workers of that backend are forked, else
        from that command. Raises fork_server.DescribeError with the reason."""
        o = self.options
        if self._forks(backend):
            scratch = Path(tempfile.mkdtemp(prefix="describe-", dir=o.scratch_root))
            try:
                env = sandbox.worker_env(o.parent_env, scratch, o.build_root / "ext", HARNESS_DIR, o.cpu_threads,
                                         o.build_root / "cache")
                return self._fork_server.describe(backend, env, scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        try:
            r = subprocess.run([o.python, str(HARNESS_DIR / "verify.py"), "--environment", "--backend", backend],
                               capture_output=True, text=True, env=o.parent_env, timeout=120)
        except subprocess.TimeoutExpired as e:
            raise fork_server.DescribeError(f"describing the {backend} environment took over 120 s") from e
        lines = r.stdout.strip().splitlines()
        if r.returncode != 0 or not lines:
            raise fork_server.DescribeError(f"cannot describe the {backend} environment (exit {r.returncode}): "
                                            f"{r.stderr[-1000:]}")
        answer: dict[str, Any] = json.loads(lines[-1])
        return answer

    def run_one(self, job: VerifyJob) -> dict[str, Any]:
        o = self.options
        started = time.monotonic()
        if o.phase is not None:
            job = dataclasses.replace(job, phase=o.phase)
        if job.phase != "all" and o.build_store is None:
            return failure_result(job, "skipped", f"phase {job.phase!r} needs a build store: run verify.py with "
                                  "--build-store DIR (a folder the build and GPU workers share)")
        scratch = o.scratch_root / f"{_safe_name(job.candidate_id)}-{uuid.uuid4().hex[:8]}"
        (scratch / "tmp").mkdir(parents=True)
        ext_dir = build_dir_for(job.kernel_source, o.build_root / "ext")
        ext_dir.mkdir(parents=True, exist_ok=True)
        env = sandbox.worker_env(o.parent_env, scratch, ext_dir, HARNESS_DIR, o.cpu_threads, o.build_root / "cache",
                                 own_triton_cache=job.backend == "triton")
        if job.phase == "build":
            env["CUDA_VISIBLE_DEVICES"] = ""  # builds never touch a GPU, on a GPU host or not
        log_path = scratch / "worker.log"
        worker_args = ["--lock-dir", str(o.lock_dir), "--build-dir", str(ext_dir), "--cpu-threads", str(o.cpu_threads),
                       "--device-share", str(o.device_share)]
        if not o.network_isolation:
            worker_args.append("--no-network-isolation")
        if o.build_store is not None:
            worker_args += ["--build-store", str(o.build_store)]
        if o.cuda_arch:
            worker_args += ["--cuda-arch", o.cuda_arch]
        job_text = json.dumps(job.to_dict())
        proc: "subprocess.Popen[bytes] | ForkedWorker"
        if self._forks(job.backend):
            proc = self._fork_server.start(worker_args, job_text, env, scratch, log_path, self._memory_bytes(job.backend))
            read_fd = proc.status_fd
        else:
            proc, read_fd = self._spawn(worker_args, job_text, env, scratch, log_path)
        self._live.add(proc.pid)
        if self._stopping:  # stopped while this one was starting
            _kill_group(proc.pid)
        self._limit(proc.pid, job.backend)
        outcome = _Watch(proc, read_fd, job.timeout_s, o.lock_wait_cap_s, o.build_timeout_s)
        outcome.wait()
        _kill_group(proc.pid)  # stragglers the candidate left behind
        self._live.discard(proc.pid)
        result = self._verdict(job, proc, outcome, log_path)
        result["wall_s"] = round(time.monotonic() - started, 3)
        if not o.keep_scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        return result

    def _spawn(self, worker_args: list[str], job_text: str, env: dict[str, str], scratch: Path,
               log_path: Path) -> tuple["subprocess.Popen[bytes]", int]:
        """A fresh interpreter for the worker: the job on its stdin, its status pipe passed by number."""
        read_fd, write_fd = os.pipe()
        cmd = [self.options.python, "-m", "kforge_harness.worker", "--status-fd", str(write_fd),
               "--driver-pid", str(os.getpid()), *worker_args]
        try:
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                        cwd=scratch, env=env, start_new_session=True, pass_fds=(write_fd,))
        finally:
            os.close(write_fd)
        try:
            assert proc.stdin is not None
            proc.stdin.write(job_text.encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        return proc, read_fd

    def _limit(self, pid: int, backend: str) -> None:
        try:
            resource.prlimit(pid, resource.RLIMIT_CORE, (0, 0))
            limit = self._memory_bytes(backend)
            if limit:
                resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))
        except (OSError, ValueError):
            pass  # the process is already gone; its verdict says why

    def _verdict(self, job: VerifyJob, proc: "subprocess.Popen[bytes] | ForkedWorker", w: "_Watch", log_path: Path) -> dict[str, Any]:
        if w.result is not None:
            return w.result
        if w.build_timed_out:
            result = failure_result(job, "timeout", f"the extension build did not finish within the build time limit "
                                    f"of {self.options.build_timeout_s:g} s (--build-timeout); the worker's "
                                    "process group was killed")
        elif w.timed_out:
            result = failure_result(job, "timeout", f"exceeded the time limit of {job.timeout_s:g} s (build time "
                                    "not counted); the worker's process group was killed")
        else:
            rc = proc.returncode
            if rc is not None and rc < 0:
                name = signal.Signals(-rc).name if -rc in signal.valid_signals() else str(-rc)
                why = f"worker killed by signal {name}" + (" (out of memory?)" if -rc == signal.SIGKILL else "")
            else:
                why = f"worker exited with code {rc} without a verdict"
            tail = _tail(log_path).strip()
            result = failure_result(job, "crash", f"{why}\n--- output tail ---\n{tail}" if tail else why)
        if job.phase == "build" and result["fail_stage"] == "crash":
            # Without the device, a candidate's import may die where on the GPU it would not: not final.
            result = {**result, "fail_stage": None, "build_source": "deferred",
                      "fail_message": f"not built off the GPU, the build worker died; the GPU phase runs it: {result['fail_message']}"}
        if w.partial is not None:  # keep the evidence gathered before the end
            keep = {k: v for k, v in w.partial.items() if k not in ("fail_stage", "fail_message", "correct", "wall_s")}
            result = {**result, **keep}
        result["correct"] = False
        return result

    def run_many(self, jobs: Iterable[VerifyJob], on_result: Callable[[dict[str, Any]], None]) -> None:
        """Runs every job (as they arrive) with `workers` in parallel; on_result is called per verdict."""
        lock = threading.Lock()

        def run(job: VerifyJob) -> None:
            if self._stopping:
                return
            try:
                result = self.run_one(job)
            except Exception as e:  # the driver never fails a run
                result = failure_result(job, "crash", f"driver error: {type(e).__name__}: {e}")
            if self._stopping:  # killed by stop(): not a verdict on the candidate, so none is given
                return
            with lock:
                on_result(result)

        futures: list[Future[None]] = []
        pool = ThreadPoolExecutor(max_workers=max(1, self.options.workers))
        try:
            for job in jobs:
                self._check_parent()
                futures.append(pool.submit(run, job))
            # Timed waits keep the main thread responsive to SIGINT/SIGTERM and to the parent's death.
            while wait(futures, timeout=0.5).not_done:
                self._check_parent()
            for f in futures:
                f.result()
        except KeyboardInterrupt:
            self.stop()
            raise
        finally:
            pool.shutdown(wait=not self._stopping, cancel_futures=self._stopping)

    def _check_parent(self) -> None:
        """Jobs from a parent that is gone have nobody to report to: stop as on an interrupt. Backs up
        PR_SET_PDEATHSIG (set in cli.py), which is Linux only."""
        if self.options.parent_pid is not None and os.getppid() != self.options.parent_pid:
            raise KeyboardInterrupt("parent process gone")

    def stop(self) -> None:
        """Start no new job and kill every running worker's process group (interrupt, time box)."""
        self._stopping = True
        for pid in list(self._live):
            _kill_group(pid)


class _Watch:
    """Reads the worker's status pipe and enforces its deadline, paused while it waits for the lock
    (up to lock_cap_s) and while it builds (the build has its own limit, build_cap_s)."""

    def __init__(self, proc: "subprocess.Popen[bytes] | ForkedWorker", fd: int, timeout_s: float, lock_cap_s: float, build_cap_s: float):
        self.proc, self.fd, self.timeout_s, self.lock_cap_s = proc, fd, timeout_s, lock_cap_s
        self.build_cap_s = build_cap_s
        self.result: dict[str, Any] | None = None
        self.partial: dict[str, Any] | None = None
        self.timed_out = False
        self.build_timed_out = False

    def wait(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        wait_started: float | None = None
        build_started: float | None = None
        waited = 0.0
        buf = b""
        open_pipe = True
        try:
            while self.result is None:
                now = time.monotonic()
                if wait_started is not None and now - wait_started + waited > self.lock_cap_s:
                    deadline += self.lock_cap_s - waited  # the cap is spent: the clock runs again
                    waited, wait_started = self.lock_cap_s, None
                if build_started is not None and now - build_started > self.build_cap_s:
                    self.timed_out = self.build_timed_out = True
                    _kill_group(self.proc.pid)
                    break
                if wait_started is None and build_started is None and now >= deadline:
                    self.timed_out = True
                    _kill_group(self.proc.pid)
                    break
                if not open_pipe:
                    if self.proc.poll() is not None:
                        break
                    time.sleep(0.05)
                    continue
                paused = wait_started is not None or build_started is not None
                pause = 0.5 if paused else min(0.5, max(0.01, deadline - now))
                ready, _, _ = select.select([self.fd], [], [], pause)
                if not ready:
                    continue
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    open_pipe = False
                    continue
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    event = self._parse(line)
                    kind = event.get("event")
                    if kind == "build_start" and build_started is None:
                        build_started = time.monotonic()
                    elif kind == "build_end" and build_started is not None:
                        deadline += time.monotonic() - build_started
                        build_started = None
                    elif kind == "lock_wait" and wait_started is None:
                        wait_started = time.monotonic()
                    elif kind == "lock_acquired" and wait_started is not None:
                        waited += time.monotonic() - wait_started
                        deadline += time.monotonic() - wait_started
                        wait_started = None
                    elif kind == "partial" and isinstance(event.get("result"), dict):
                        self.partial = event["result"]
                    elif kind == "result" and isinstance(event.get("result"), dict):
                        self.result = event["result"]
        finally:
            os.close(self.fd)
        if not self.timed_out:
            remaining = max(1.0, deadline - time.monotonic())
            try:
                self.proc.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                self.timed_out = self.result is None
                _kill_group(self.proc.pid)
        self.proc.wait()

    @staticmethod
    def _parse(line: bytes) -> dict[str, Any]:
        try:
            event = json.loads(line.decode("utf-8", errors="replace"))
            return event if isinstance(event, dict) else {}
        except json.JSONDecodeError:
            return {}
