"""Command line of the harness driver (see ../PROTOCOL.md)."""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from . import sandbox
from .discovery import build_jobs
from .driver import Driver, DriverOptions
from .backends import BackendUnavailable
from .protocol import BACKENDS, VERIFIER_VERSION, JobError, VerifyJob, failure_result


def log(msg: str) -> None:
    print(f"kforge-verify: {msg}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="verify.py", description=f"kernelforge verification harness ({VERIFIER_VERSION})")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--jobs", type=Path, help="JSONL file, one VerifyJob per line")
    src.add_argument("--stdin", action="store_true", help="stream jobs from stdin, results to stdout as they finish")
    src.add_argument("--problems", type=Path, help="KernelBench problems JSONL (with --candidates)")
    src.add_argument("--environment", action="store_true",
                     help="print {verifier_version, env} for --backend as one JSON line and exit")
    p.add_argument("--candidates", type=Path, help="folder of {level}_{problem_id}_*.py files or folders")
    p.add_argument("--out", type=Path, help="results JSONL (default: stdout)")
    p.add_argument("--resume", action="store_true",
                   help="with --out: keep the results already there, run only the candidates they lack, append")
    p.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 4))
    tmp = Path(tempfile.gettempdir())
    p.add_argument("--build-root", type=Path, default=tmp / "kforge-builds")
    p.add_argument("--scratch-root", type=Path, default=tmp / "kforge-scratch")
    p.add_argument("--lock-dir", type=Path, default=Path(os.environ.get("KFORGE_LOCK_DIR") or tmp / "kforge-locks"),
                   help="device locks (one candidate times on a device at once, across drivers)")
    p.add_argument("--build-timeout", type=float, default=900.0,
                   help="seconds an extension build may take; the job's --timeout / timeout_s does not count it")
    p.add_argument("--phase", choices=("all", "build", "gpu"), default=None,
                   help="build: only the extension builds, into --build-store, no GPU; gpu: load the builds from "
                        "the store, then correctness, timing, profiling; all (default, or the job's phase): everything")
    p.add_argument("--build-store", type=Path, default=None,
                   help="content-addressed extension builds shared by build and GPU workers (PROTOCOL.md)")
    p.add_argument("--cuda-arch", default=os.environ.get("KFORGE_CUDA_ARCH"),
                   help="build phase: the GPU arch to compile CUDA candidates for, e.g. 9.0 (the GPU workers')")
    p.add_argument("--device-share", type=int, default=1,
                   help="candidates whose construction and correctness checks may share one device at once (each "
                        "NaN-poisons at most its 1/N of the device's memory); timing and profiling stay exclusive. "
                        "1 (default): a candidate's whole measurement is exclusive. At most --workers is useful")
    p.add_argument("--cpu-threads", type=int, default=1, help="torch threads per worker on the cpu backend")
    p.add_argument("--nice", type=int, default=0,
                   help="raise the driver's niceness by N at start (its workers and compilers inherit it): a build "
                        "worker's throughput work then yields the CPU to a device worker's measurements on one host")
    p.add_argument("--memory-mb", type=int, default=16384, help="address-space limit per cpu worker (0: none)")
    p.add_argument("--keep-scratch", action="store_true")
    p.add_argument("--no-network-isolation", action="store_true")
    p.add_argument("--parent-pid", type=int, default=None,
                   help="stop (killing the workers) when this process, our parent, exits: kforge passes its pid")
    g = p.add_argument_group("job settings for --problems/--candidates")
    g.add_argument("--backend", choices=BACKENDS, default="cuda")
    g.add_argument("--tolerance", choices=("default", "loose"), default="default")
    g.add_argument("--precision", choices=("fp32", "fp16", "bf16"), default="fp32",
                   help="dtype inputs, weights and both models are cast to (KernelBench's precision)")
    g.add_argument("--trials", type=int, default=5)
    g.add_argument("--warmup", type=int, default=3)
    g.add_argument("--repeats", type=int, default=20)
    g.add_argument("--timeout", type=float, default=600.0)
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--compile-reference", action="store_true")
    args = p.parse_args(argv)
    if args.problems and not args.candidates:
        p.error("--problems needs --candidates")
    if args.resume and not args.out:
        p.error("--resume needs --out (the results file to continue)")
    if args.phase in ("build", "gpu") and args.build_store is None:
        p.error(f"--phase {args.phase} needs --build-store DIR (the folder the build and GPU workers share)")
    if args.cuda_arch and not re.fullmatch(r"\d+\.\d+", args.cuda_arch):
        p.error(f"--cuda-arch {args.cuda_arch!r}: give major.minor, e.g. 9.0")
    return args


def _read_jobs(lines: IO[str], emit: Any, on_describe: Callable[[str], None] | None = None) -> Iterator[VerifyJob]:
    """Jobs from JSON lines; a malformed line with a candidate_id still gets a (failed) result.
    `on_describe`: streaming only, for a {"describe": backend} line (not a job: see PROTOCOL.md)."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        raw: Any = None
        try:
            raw = json.loads(line)
            if on_describe is not None and isinstance(raw, dict) and "describe" in raw and "candidate_id" not in raw:
                on_describe(str(raw["describe"]))
                continue
            job = VerifyJob.from_dict(raw) if isinstance(raw, dict) else None
            if job is None:
                raise JobError("a job must be a JSON object")
        except (json.JSONDecodeError, JobError) as e:
            log(f"line {n}: {e}")
            cid = raw.get("candidate_id") if isinstance(raw, dict) else None
            if isinstance(cid, str):
                bad = VerifyJob(cid, "", "", "", "", "cpu", "default", 1, 0, 1, 1.0, 0, False)
                # JobError messages already say "malformed job: ..."; a JSON error does not.
                why = str(e) if isinstance(e, JobError) else f"malformed job: {e}"
                emit(failure_result(bad, "skipped", why))
            continue
        yield job


def _results_so_far(path: Path) -> list[dict[str, Any]]:
    """The complete results in `path` (a run killed mid-line leaves a partial last line: dropped),
    written back so that appending continues a clean file."""
    if not path.exists():
        return []
    kept: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(r, dict) and isinstance(r.get("candidate_id"), str):
            kept.append(r)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    os.replace(tmp, path)
    return kept


def _summary(results: list[dict[str, Any]]) -> None:
    if not results:
        log("no jobs")
        return
    width = min(60, max(len(r["candidate_id"]) for r in results))
    lines = [f"{'candidate':<{width}}  {'verdict':<8} {'stage':<12} speedup"]
    for r in results:
        verdict = "SUSPECT" if r.get("suspect") else ("PASS" if r.get("correct") else "FAIL")
        if r.get("phase") == "build" and not r.get("fail_stage"):  # evidence for the gpu phase, no verdict yet
            verdict = "DEFERRED" if r.get("build_source") == "deferred" else "BUILT"
        speedup = f"{r['speedup']:.2f}x" if isinstance(r.get("speedup"), (int, float)) else "-"
        lines.append(f"{r['candidate_id'][:width]:<{width}}  {verdict:<8} {r.get('fail_stage') or '-':<12} {speedup}")
    passed = sum(1 for r in results if r.get("correct"))
    lines.append(f"{passed}/{len(results)} correct")
    print("\n".join(lines), file=sys.stderr, flush=True)


def _print_environment(backend: str) -> int:
    from .environment import describe

    try:
        answer = describe(backend)
    except BackendUnavailable as e:
        log(str(e))
        return 2
    print(json.dumps(answer), flush=True)
    return 0


def _torch_problem() -> str | None:
    """Why this interpreter cannot run candidates (every worker imports torch), or None. Checked once,
    before any job, instead of every candidate coming back 'crash' with the reason in its message.
    find_spec, not an import: the driver itself never needs torch and stays small."""
    import importlib.util

    try:
        return None if importlib.util.find_spec("torch") is not None else "no torch (No module named 'torch')"
    except (ImportError, ValueError) as e:
        return f"no torch ({e})"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    why = _torch_problem()
    if why is not None:
        # The message kforge build gives (pipeline/python.ts PythonNotFoundError).
        print("No Python interpreter with torch was found. Tried:\n"
              f"  - {sys.executable}: {why}\n"
              "Set KFORGE_PYTHON (or verify.python in the run configuration) to a python that can `import torch`.",
              file=sys.stderr, flush=True)
        return 2
    if args.environment:
        return _print_environment(args.backend)
    if args.nice > 0:
        os.nice(args.nice)
    driver = Driver(DriverOptions(
        build_root=args.build_root.resolve(), scratch_root=args.scratch_root.resolve(),
        lock_dir=args.lock_dir.resolve(),
        workers=max(1, args.workers), cpu_threads=max(1, args.cpu_threads), build_timeout_s=args.build_timeout,
        memory_mb=args.memory_mb or None, keep_scratch=args.keep_scratch,
        network_isolation=not args.no_network_isolation, parent_pid=args.parent_pid,
        phase=args.phase, build_store=args.build_store.resolve() if args.build_store else None,
        cuda_arch=args.cuda_arch, device_share=max(1, args.device_share),
    ))
    earlier = _results_so_far(args.out) if args.resume else []
    done = {r["candidate_id"] for r in earlier}
    if args.resume:
        log(f"resuming {args.out}: {len(done)} result(s) kept")
    out: IO[str] = open(args.out, "a" if args.resume else "w", encoding="utf-8") if args.out else sys.stdout
    results: list[dict[str, Any]] = list(earlier)

    def todo(jobs: list[VerifyJob]) -> list[VerifyJob]:
        return [j for j in jobs if j.candidate_id not in done]

    written = threading.Lock()  # verdicts and environment answers come from several threads

    def write_line(obj: dict[str, Any]) -> None:
        with written:
            out.write(json.dumps(obj) + "\n")
            out.flush()

    def emit(result: dict[str, Any]) -> None:
        if result["candidate_id"] in done:  # a malformed line of a resumed jobs file, reported last time
            return
        results.append(result)
        write_line(result)

    def terminate(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, terminate)
    if args.parent_pid is not None:
        # kill -9 of kforge: SIGTERM reaches us, and the handler above kills the workers' groups.
        sandbox.die_with_parent(signal.SIGTERM, args.parent_pid)
    try:
        if args.stdin:
            def describe(backend: str) -> None:  # in a thread of its own: jobs keep streaming meanwhile
                def answer() -> None:
                    try:
                        reply: dict[str, Any] = {"describe": backend, **driver.describe(backend)}
                    except Exception as e:  # noqa: BLE001  (the reason goes back to kforge)
                        reply = {"describe": backend, "error": str(e)}
                    write_line(reply)
                thread = threading.Thread(target=answer, name=f"describe-{backend}", daemon=True)
                describing.append(thread)
                thread.start()

            describing: list[threading.Thread] = []
            driver.run_many((j for j in _read_jobs(sys.stdin, emit, describe) if j.candidate_id not in done), emit)
            for thread in describing:  # asked just before stdin closed: still answered
                thread.join()
        elif args.jobs:
            with open(args.jobs, encoding="utf-8") as f:
                jobs = todo(list(_read_jobs(f, emit)))
            driver.run_many(jobs, emit)
        else:
            settings = {"backend": args.backend, "precision": args.precision, "tolerance_policy": args.tolerance, "trials": args.trials,
                        "timing": {"warmup": args.warmup, "repeats": args.repeats}, "timeout_s": args.timeout,
                        "seed": args.seed, "compile_reference": args.compile_reference}
            jobs = todo(build_jobs(args.problems, args.candidates, settings, warn=log))
            log(f"{len(jobs)} candidates to run")
            driver.run_many(jobs, emit)
    except KeyboardInterrupt:
        log(f"interrupted: workers killed; {len(results)} result(s) written, the rest not run")
        sys.exit(130)
    finally:
        if out is not sys.stdout:
            out.close()
    _summary(results)
    return 0
