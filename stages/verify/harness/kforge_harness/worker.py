"""One candidate, one process: `python -m kforge_harness.worker` (started by the driver), or a fork of
the driver's fork server with this module already imported (fork_server.py).

Reads one VerifyJob (JSON) on stdin (a forked worker is handed it). Talks to the driver over a status pipe (--status-fd), one JSON
line per event: {"event": "build_start"}, {"event": "build_end"} (around load_inline / load),
{"event": "lock_wait"}, {"event": "lock_acquired"}, {"event": "partial", ...}, {"event": "result", "result": ...}.
Everything the candidate prints goes to the worker's stdout/stderr (a log file the driver keeps).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

from . import sandbox  # light (no torch): the parent check below runs before torch's seconds of import


def _driver_pid(argv: list[str]) -> int | None:
    """--driver-pid from the command line, read before argparse and torch: a driver killed while this
    worker imports torch (seconds on a loaded host) must not leave it running on with nobody to stop it.
    Its new parent is not always pid 1 (a container's init or a subreaper), so "parent is not the
    driver" decides, not "parent is 1"."""
    for i, arg in enumerate(argv[:-1]):
        if arg == "--driver-pid" and argv[i + 1].isdigit():
            return int(argv[i + 1])
    return None


if __name__ == "__main__":
    sandbox.die_with_parent(expected_parent=_driver_pid(sys.argv))

# Bound before any candidate code exists in this process. torch._dynamo (torch 2.x) rebinds some
# torch functions when first imported (the profiler and the FLOP counter import it), so it is imported
# first: the snapshot then holds the functions as they will stay.
try:  # noqa: SIM105
    import torch._dynamo  # noqa: F401,E402
except Exception:  # torch 1.13 has none
    pass
from . import tampering  # noqa: E402  (imports torch)
_TRUSTED = tampering.snapshot()

import torch  # noqa: E402
import torch.utils.cpp_extension  # noqa: E402,F401  (its import-time warnings are not build output)

from . import arch_flags, backends, build_phase, building, device_lock, environment, evaluation, loading, problem_facts, profiling  # noqa: E402
from .build_store import BuildStore  # noqa: E402
from . import poisoning, precision, shared_fallback, speed_of_light, static_check, triton_launches, triton_support  # noqa: E402
from .flags import SUSPECT_FLAGS  # noqa: E402
from .inputs import init_inputs, input_maker, seed_everything  # noqa: E402
from .protocol import VerifyJob, derive_seed, empty_result, finite_or_none  # noqa: E402
from .tolerance import tolerance_for  # noqa: E402


class StatusChannel:
    def __init__(self, fd: int):
        self._f = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def send(self, event: str, **payload: Any) -> None:
        self._f.write(json.dumps({"event": event, **payload}) + "\n")
        self._f.flush()


def run_job(job: VerifyJob, args: argparse.Namespace, channel: StatusChannel, result: dict[str, Any],
            flags: list[str]) -> None:
    if job.phase == "build":
        arch = arch_flags.device_arch(*map(int, args.cuda_arch.split("."))) if args.cuda_arch else None
        build_phase.set_arch_list(job.backend, arch)
        recorder = building.FlagRecorder(lambda: channel.send("build_start"), lambda: channel.send("build_end"),
                                         arch if job.backend == "cuda" else None)
        build_phase.run_build(job, args, result, recorder)
        return
    try:
        device = torch.device(backends.device_type(job.backend, torch.cuda.is_available()))
    except backends.BackendUnavailable as e:
        raise evaluation.Stop("run", str(e)) from e
    if device.type == "cpu":
        torch.set_num_threads(max(1, args.cpu_threads))
    result["env"] = environment.collect(device)
    scratch = Path.cwd()

    findings = list(static_check.check_source(job.kernel_source, job.backend, job.precision))
    result["static_findings"] = findings
    flags.extend(findings)

    try:
        ref_module = loading.load_reference(job.problem_code, scratch)
    except loading.LoadError as e:
        raise evaluation.Stop("load", str(e)) from e
    triton_version = None
    if job.backend == "triton":  # before the candidate's import: its launches are counted from the start
        try:
            triton_version = triton_support.require()
        except triton_support.TritonMissing as e:
            raise evaluation.Stop("load", str(e)) from e
        if backends.triton_interpreting():
            flags.append("triton_interpreted")
    # CUDA builds are retargeted to this device's arch (old -arch=sm_70 flags fail on CUDA 13).
    arch = arch_flags.device_arch(*torch.cuda.get_device_capability(device)) if device.type == "cuda" else None
    store = BuildStore(Path(args.build_store)) if args.build_store else None
    if store is not None:
        build_phase.set_arch_list(job.backend, arch)  # as the build phase compiled (and keyed) it
    recorder = building.FlagRecorder(lambda: channel.send("build_start"), lambda: channel.send("build_end"), arch)
    channel.send("build_start")  # waiting for another worker's build of this source is build time
    try:
        with building.owned_build_dir(Path(args.build_dir), lambda: channel.send("build_end")):
            cand_module, build_output, builds = build_phase.import_with_store(
                job, scratch, Path(args.build_dir), recorder, store, False, result)
    except building.BuildError as e:
        result["compile_log"] = e.log
        raise evaluation.Stop("build", f"extension failed to build: {e}") from e
    except building.CandidateImportError as e:
        raise evaluation.Stop("load", str(e)) from e
    result["compiled"] = True
    result["compile_log"] = building.trim_log(build_output) if build_output.strip() else None
    build_phase.merge_evidence(job, builds, result)
    try:
        model_new = loading.check_candidate(cand_module)
    except loading.LoadError as e:
        raise evaluation.Stop("load", str(e)) from e
    channel.send("partial", result=result)  # evidence survives a later crash

    # Held until this process ends (device_lock.py): the worker's last act is os._exit. With a device
    # share above 1, correctness runs under the shared lock beside other candidates' and timing takes
    # the exclusive one (_measure); with 1, the whole measurement is exclusive.
    lock = device_lock.DeviceLock(device_lock.lock_path(Path(args.lock_dir), device.type, os.environ.get("CUDA_VISIBLE_DEVICES")),
                                  lambda: channel.send("lock_wait"), lambda: channel.send("lock_acquired"))
    share = max(1, args.device_share)
    poisoning.set_device_share(share)
    lock.shared(share) if share > 1 else lock.exclusive()

    def go_exclusive() -> None:
        lock.exclusive()
        if share > 1:
            poisoning.limit_process_memory(device, 1)  # timing has the device to itself

    try:
        poisoning.wait_for_released_memory(device)  # (its first CUDA call can need the wait)
        if share > 1:
            poisoning.limit_process_memory(device, share)
        own_triton = triton_support.module_kernels(cand_module) | triton_support.declared_kernels(job.kernel_source) \
            if triton_version else set()
        shared_fallback.measure_with_fallback(
            lambda: _measure(job, ref_module, model_new, device, Path(args.build_dir), result, flags, channel,
                             (triton_version, own_triton), go_exclusive),
            lambda: lock.mode == "exclusive", go_exclusive, result, flags,
            lambda: torch.cuda.empty_cache() if device.type == "cuda" else None,
            lambda: int(torch.cuda.memory_allocated(device)) if device.type == "cuda" else 0)
    finally:
        busy, exclusive = lock.held_s()
        result["gpu_busy_s"], result["gpu_exclusive_s"] = round(busy, 3), round(exclusive, 3)


def _measure(job: VerifyJob, ref_module: Any, model_new: type, device: torch.device, build_dir: Path,
             result: dict[str, Any], flags: list[str], channel: StatusChannel,
             triton: tuple[str | None, set[str]] = (None, set()),
             exclusive: Callable[[], None] = lambda: None) -> None:
    """Construction, problem facts and correctness (shared with other candidates when the device is),
    then `exclusive()`, then timing, profiling and the floor: what another process's kernels would be in."""
    # KernelBench's precision: float inputs, init inputs and both models' parameters in its dtype.
    dtype = precision.torch_dtype(job.precision)
    make_inputs = input_maker(ref_module, device, dtype)
    init = init_inputs(ref_module, device, dtype)
    init_seed = derive_seed(job.seed, "init")
    try:
        seed_everything(init_seed)
        ref_model = ref_module.Model(*init).to(device, dtype)
    except Exception as e:
        raise evaluation.Stop("load", f"reference Model(*get_init_inputs()) raised {type(e).__name__}: {e}") from e
    try:
        seed_everything(init_seed)  # same seed: same-order parameters get the same values
        cand_model = model_new(*init).to(device, dtype)
    except Exception as e:
        raise evaluation.Stop("run", f"ModelNew(*get_init_inputs()) raised {type(e).__name__}: {e}") from e
    evaluation.check_device(device, "ModelNew construction")
    triton_version, own_triton = triton
    if triton_version is not None:
        inputs = make_inputs(derive_seed(job.seed, "triton_build"))  # a draw of its own, never judged
        triton_support.build(lambda: evaluation.call(cand_model, inputs, device, "ModelNew.forward (JIT compile)"),
                             triton_version, result, channel.send)

    try:
        seeds = (init_seed, derive_seed(job.seed, "trial", 0), derive_seed(job.seed, "trial", 1))
        facts = problem_facts.measure_problem(ref_module, make_inputs, device, job.tolerance_policy, seeds, dtype)
        result["problem_facts"].update(facts)
    except Exception as e:  # facts are evidence, not the verdict
        print(f"kforge: problem_facts failed: {type(e).__name__}: {e}", file=sys.stderr)

    evaluation.run_correctness(job, ref_model, cand_model, make_inputs, device, result, flags)
    result["correct"] = True
    channel.send("partial", result={**result, "flags": sorted(set(flags))})
    own_names = profiling.prepare(device, build_dir, job.kernel_source, own_triton)  # CPU work and CUPTI's start
    exclusive()
    inputs = evaluation.run_timing(job, ref_model, cand_model, make_inputs, device, result, flags)

    try:
        if triton_version is not None and device.type == "cpu":  # the interpreter: launches counted
            _, launches = triton_launches.launches_during(
                lambda: evaluation.call(cand_model, inputs, device, "ModelNew.forward (launch count)"))
            prof = triton_launches.judge_launches(launches)
        else:
            prof = profiling.profile_forward(cand_model, inputs, device, None, reference_model=ref_model, own_names=own_names)
        result["kernels_launched"] = list(prof.get("kernels_launched") or [])
        result["own_kernel_share"] = finite_or_none(prof.get("own_kernel_share"))
        result["gpu_kernel_time_ms"] = finite_or_none(prof.get("gpu_kernel_time_ms"))
        result["reference_kernels_replaced"] = list(prof.get("reference_kernels_replaced") or [])
        result["reference_kernels_kept"] = list(prof.get("reference_kernels_kept") or [])
        flags.extend(prof.get("flags") or [])
        flags.extend(profiling.launch_bound(result["kernel_time_ms"], result["gpu_kernel_time_ms"],
                                            result["ref_time_ms"], finite_or_none(prof.get("ref_gpu_kernel_time_ms"))))
    except Exception as e:
        print(f"kforge: profiling failed: {type(e).__name__}: {e}", file=sys.stderr)
    evaluation.check_device(device, "profiling")

    try:
        floor = speed_of_light.floor_ms(result["problem_facts"].get("flops"),
                                        result["problem_facts"].get("min_bytes"), device, job.precision)
    except Exception as e:
        print(f"kforge: speed_of_light failed: {type(e).__name__}: {e}", file=sys.stderr)
        floor = None
    result["sol_floor_ms"] = finite_or_none(floor)
    if result["sol_floor_ms"] is not None and result["kernel_time_ms"]:
        result["sol_fraction"] = finite_or_none(result["sol_floor_ms"] / result["kernel_time_ms"])
    flags.extend(speed_of_light.check_speed(result["kernel_time_ms"], result["sol_floor_ms"], result["ref_time_ms"]))
    flags.extend(speed_of_light.check_speedup(result["speedup"]))


def finalize(result: dict[str, Any], flags: list[str]) -> None:
    if tampering.changed(_TRUSTED) or triton_launches.tampered():
        flags.append("harness_tampered")
    result["flags"] = sorted(set(result["flags"]) | set(flags))
    suspect_flags = [f for f in result["flags"] if f in SUSPECT_FLAGS]
    result["suspect"] = bool(suspect_flags)
    if suspect_flags:
        result["correct"] = False
        if result["fail_stage"] is None:
            result["fail_stage"] = "integrity"
            result["fail_message"] = f"suspect: {', '.join(suspect_flags)}"


def _is_device_oom(e: BaseException) -> bool:
    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom is not None and isinstance(e, oom)) or (isinstance(e, RuntimeError) and "CUDA out of memory" in str(e))


def _harness_failure(e: Exception, result: dict[str, Any]) -> str:
    """The message for an exception raised by the harness's own code (the candidate's calls raise Stop)."""
    if _is_device_oom(e):
        shapes = (result.get("problem_facts") or {}).get("input_shapes")
        return ("harness out of device memory: " + (f"inputs {shapes}; " if shapes else "") +
                "the harness keeps about two input draws and two outputs alive at once, and this problem "
                f"does not fit on this device with that budget ({str(e).splitlines()[0][:300]})")
    import traceback
    return f"harness error: {type(e).__name__}: {e}\n{traceback.format_exc()[-1500:]}"


def main(argv: list[str] | None = None, job_text: str | None = None) -> None:
    """`job_text`: the job, handed over by a forked worker (fork_child.py); a spawned one reads stdin."""
    p = argparse.ArgumentParser(prog="kforge_harness.worker")
    p.add_argument("--status-fd", type=int, required=True)
    p.add_argument("--lock-dir", required=True)
    p.add_argument("--build-dir", required=True)
    p.add_argument("--build-store", default=None, help="the build store (build_store.py); phases build and gpu")
    p.add_argument("--cuda-arch", default=None, help="build phase: the GPU arch to compile CUDA for, e.g. 9.0")
    p.add_argument("--cpu-threads", type=int, default=1)
    p.add_argument("--device-share", type=int, default=1,
                   help="candidates whose correctness may share the device at once (device_lock.py); 1: all exclusive")
    p.add_argument("--no-network-isolation", action="store_true")
    p.add_argument("--driver-pid", type=int, default=None, help="see _driver_pid")
    args = p.parse_args(argv)
    sandbox.die_with_parent(expected_parent=args.driver_pid)
    channel = StatusChannel(args.status_fd)
    started = time.monotonic()
    job = VerifyJob.from_dict(json.loads(sys.stdin.read() if job_text is None else job_text))
    atol, rtol = tolerance_for(job.tolerance_policy, None, job.precision)
    result = empty_result(job.candidate_id, job.backend, job.tolerance_policy, atol, rtol, job.precision, job.phase)
    flags: list[str] = []
    if not args.no_network_isolation and not sandbox.isolate_network():
        flags.append("sandbox:network_open")
    try:
        run_job(job, args, channel, result, flags)
    except evaluation.Stop as stop:
        result["fail_stage"], result["fail_message"] = stop.stage, str(stop)
        if stop.stage != "timing":  # a correct kernel whose timing failed is still correct
            result["correct"] = False
        flags.extend(stop.flags)
    except Exception as e:  # a harness bug must still give a verdict, not a hang
        result["fail_stage"], result["correct"] = "run", False
        result["fail_message"] = _harness_failure(e, result)
    finalize(result, flags)
    result["wall_s"] = round(time.monotonic() - started, 3)
    channel.send("result", result=result)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip candidate atexit hooks and destructors: the verdict is already out


if __name__ == "__main__":
    main()
