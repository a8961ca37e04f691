"""The candidate's import with the build store, and the build phase (`verify.py --phase build`).

The build phase runs in the same sandboxed worker as any job, with the GPUs hidden (the driver sets
CUDA_VISIBLE_DEVICES to nothing), so it behaves alike on a GPU host and on a build host without one. It
imports the candidate, and the candidate's load_inline calls compile into the build store
(store_builds.py); its result is the build evidence. Final only where a compiler ran and failed
(torch's "Error building extension"): that is the verdict a single-phase run gives. Anything else the
import raises may be for want of the device (a module that asks torch.cuda for its capability), so it
is `deferred`: the GPU phase imports (and builds) it itself and judges it as today.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from . import building, evaluation
from .build_store import BuildStore
from .store_builds import StoreBuilds, toolchain_id

# torch's message when ninja (the compiler under it) failed, as opposed to anything else in cpp_extension.
COMPILER_FAILED = "Error building extension"


def set_arch_list(backend: str, arch: str | None) -> None:
    """Builds for the store get an explicit TORCH_CUDA_ARCH_LIST ('9.0+PTX': what torch derives from one
    device by itself), so a build phase without the device and the GPU phase on it compile alike and
    agree on the key. One set by the operator is kept (it is in the key)."""
    if backend == "cuda" and arch and not os.environ.get("TORCH_CUDA_ARCH_LIST"):
        os.environ["TORCH_CUDA_ARCH_LIST"] = f"{arch[:-1]}.{arch[-1]}+PTX"


def import_with_store(job: Any, scratch: Path, build_dir: Path, recorder: building.FlagRecorder,
                      store: BuildStore | None, publish: bool, result: dict[str, Any]) -> tuple[Any, str, StoreBuilds]:
    """import_candidate with the store in the chain; fills the build fields of the result (also when
    the import raises: BuildError / CandidateImportError propagate)."""
    builds = StoreBuilds(store, build_dir, publish, toolchain_id(job.backend) if store is not None else None)
    started = time.monotonic()
    try:
        module, output = building.import_candidate(job.kernel_source, scratch, recorder, build_dir, builds.active())
    finally:
        result["load_s"] = round(time.monotonic() - started, 3)
        result["compile_flags"], result["build_rewrites"] = recorder.as_string(), list(recorder.rewrites)
        result["build_store_keys"] = list(builds.keys)
        result["build_source"] = builds.source()
        if builds.built_here:
            result["build_cpu_s"], result["build_wall_s"] = round(builds.cpu_s, 3), round(builds.wall_s, 3)
        elif builds.calls and store is not None:  # all from the store: what they took where they were built
            metas = [store.meta(k) for k in builds.keys]
            result["build_cpu_s"] = round(sum(float(m.get("build_cpu_s") or 0) for m in metas), 3)
            result["build_wall_s"] = round(sum(float(m.get("build_wall_s") or 0) for m in metas), 3)
    return module, output, builds


def run_build(job: Any, args: Any, result: dict[str, Any], recorder: building.FlagRecorder) -> None:
    """The build phase of one job: result holds the build evidence (or a final build failure)."""
    store = BuildStore(Path(args.build_store))
    if job.backend == "cuda" and not os.environ.get("TORCH_CUDA_ARCH_LIST"):
        result["build_source"] = "deferred"
        result["fail_message"] = ("not built off the GPU: a CUDA build needs the target arch; give the build "
                                  "worker --cuda-arch (e.g. 9.0) or TORCH_CUDA_ARCH_LIST; the GPU phase builds it")
        return
    scratch = Path.cwd()
    build_dir = Path(args.build_dir)
    try:
        with building.owned_build_dir(build_dir, lambda: None):
            _module, output, builds = import_with_store(job, scratch, build_dir, recorder, store, True, result)
    except building.BuildError as e:
        if COMPILER_FAILED not in str(e) and COMPILER_FAILED not in e.log:
            result["build_source"] = "deferred"
            result["fail_message"] = f"not built off the GPU ({e}); the GPU phase builds it"
            return
        result["compile_log"] = e.log
        raise evaluation.Stop("build", f"extension failed to build: {e}") from e
    except building.CandidateImportError as e:
        result["build_source"] = "deferred"
        result["fail_message"] = f"not built off the GPU, the import raised; the GPU phase imports it: {e}"[:3000]
        return
    finally:
        result["load_s"] = None  # the build phase measures no load: the GPU phase's load_s is the one
    result["compiled"] = True
    result["compile_log"] = building.trim_log(output) if output.strip() else None
    if builds.unkeyed:
        result["build_source"] = "deferred"
        result["fail_message"] = (f"{builds.unkeyed} of {builds.calls} extension build(s) cannot go into the store "
                                  "(load() of files, an explicit build_directory or non-plain arguments); "
                                  "the GPU phase builds them")
    if builds.calls and not builds.unkeyed:
        evidence = {k: result[k] for k in ("compile_log", "compile_flags", "build_rewrites", "build_store_keys",
                                           "build_cpu_s", "build_wall_s")}
        assert builds.toolchain is not None
        path = store.evidence_path(job.kernel_source, builds.toolchain)
        if builds.built or builds.ahead_built or not path.exists():  # a second build worker's store hits keep the first one's log
            store.write_evidence(path, evidence)


def merge_evidence(job: Any, builds: StoreBuilds, result: dict[str, Any]) -> None:
    """GPU phase, every extension loaded from the store: the build phase's log and seconds, so the
    record says what the build took wherever it ran (and the compile log a single-phase run keeps)."""
    store = builds.store
    if store is None or builds.toolchain is None or result.get("build_source") != "store":
        return
    evidence = store.read_evidence(store.evidence_path(job.kernel_source, builds.toolchain)) or {}
    for key in ("compile_log", "build_cpu_s", "build_wall_s"):
        if evidence.get(key) is not None:
            result[key] = evidence[key]
