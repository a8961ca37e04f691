"""Jobs in, results out: the Python side of stages/verify/protocol.ts.

Both sides read one definition of the job and the result, `verdict.json` beside this file, and one
version file, `VERSION`. `empty_result` is built from the definition, so a result has every field
(null where unknown) whatever stage it stopped at.
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# 0.2.0: interleaved timing, the reference-superset and reference-determinism rules (verdicts changed:
# the version is part of the verification cache key, so no 0.1 verdict is reused).
# The version lives in VERSION beside this file (TypeScript reads the same file). 0.3.0: ran_reference_op
# from replaced kernel families (a kept library GEMM/conv under an own epilogue passes), nondeterminism
# judged against the tolerance, problem facts on the judged init and draws, CPU NaN poisoning, timing
# with the host out of the timed region (verdicts changed: no 0.2 verdict is reused).
# 0.3.1: replaced families counted per launch (a network keeping cuBLAS for one of its linear layers
# replaced the others), a device too full for a context is waited for (verdicts changed).
# 0.3.2: `AT_DISPATCH_*(x.type(), ...)` rewritten to x.scalar_type() (torch 2.11 removed the overload:
# honest kernels failed at build), the informative flag launch_bound (verdicts changed).
# 0.3.3: a registered buffer blended with the call's statistics (BatchNorm's running stats) is no
# cross-call cache (lb-1-33 was a false alarm; verdicts changed).
# 0.3.4: --device-share N: correctness of up to N candidates shares the device, timing and profiling
# exclusive (device_lock.py), the NaN poisoning's fresh fill budgeted to 1/N; the profiler started and the
# candidate's kernel names read before the exclusive lock (no verdict changes with the default of 1);
# timed rounds capped at 1 s of device time by the warm-up's pace, at least 5 (slow forwards' speedups
# from fewer samples); faster_than_light not raised where the reference is under the floor too (the
# floor's peaks were measured low: a false alarm on a loaded CI host).
# 0.3.5: a candidate out of memory in its 1/N slice of a shared device, which gives that memory back, is
# measured again alone (shared_fallback.py: lb-1-11 was a false rejection; verdicts changed with a share
# above 1); a candidate's several load_inline calls build side by side (build_ahead.py, no verdict change).
VERIFIER_VERSION = Path(__file__).with_name("VERSION").read_text(encoding="utf-8").strip()

VERDICT = json.loads(Path(__file__).with_name("verdict.json").read_text(encoding="utf-8"))
BACKENDS = tuple(VERDICT["enums"]["backend"]["values"])
TOLERANCE_POLICIES = tuple(VERDICT["enums"]["tolerance_policy"]["values"])
PRECISIONS = tuple(VERDICT["enums"]["precision"]["values"])
PHASES = tuple(VERDICT["enums"]["phase"]["values"])


class JobError(ValueError):
    """A job line that does not follow the protocol."""


@dataclass(frozen=True)
class VerifyJob:
    candidate_id: str
    problem_name: str
    problem_code: str
    problem_key: str
    kernel_source: str
    backend: str
    tolerance_policy: str
    trials: int
    warmup: int
    repeats: int
    timeout_s: float
    seed: int
    compile_reference: bool
    # Last, with a default: positional constructions written before it existed stay valid (fp32).
    precision: str = "fp32"
    # Which part of the job runs (verify.py --phase overrides it); not part of the verdict.
    phase: str = "all"

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "VerifyJob":
        try:
            problem = d["problem"]
            timing = d.get("timing") or {}
            job = VerifyJob(
                candidate_id=str(d["candidate_id"]),
                problem_name=str(problem["name"]),
                problem_code=str(problem["code"]),
                problem_key=str(problem.get("key", "")),
                kernel_source=str(d["kernel_source"]),
                backend=str(d.get("backend", "cuda")),
                precision=str(d.get("precision", "fp32")),
                tolerance_policy=str(d.get("tolerance_policy", "default")),
                trials=int(d.get("trials", 5)),
                warmup=int(timing.get("warmup", 3)),
                repeats=int(timing.get("repeats", 20)),
                timeout_s=float(d.get("timeout_s", 300)),
                seed=int(d.get("seed", 0)),
                compile_reference=bool(d.get("compile_reference", False)),
                phase=str(d.get("phase", "all")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise JobError(f"malformed job: {e!r}") from e
        if job.backend not in BACKENDS:
            raise JobError(f"unknown backend {job.backend!r} (expected one of {BACKENDS})")
        if job.precision not in PRECISIONS:
            raise JobError(f"unknown precision {job.precision!r} (expected one of {PRECISIONS})")
        if job.tolerance_policy not in TOLERANCE_POLICIES:
            raise JobError(f"unknown tolerance_policy {job.tolerance_policy!r}")
        if job.phase not in PHASES:
            raise JobError(f"unknown phase {job.phase!r} (expected one of {PHASES})")
        if job.trials < 1 or job.repeats < 1 or job.warmup < 0 or job.timeout_s <= 0:
            raise JobError("trials and repeats must be >= 1, warmup >= 0, timeout_s > 0")
        return job

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate_id": self.candidate_id,
            "problem": {"name": self.problem_name, "code": self.problem_code, "key": self.problem_key},
            "kernel_source": self.kernel_source,
            "backend": self.backend,
            "precision": self.precision,
            "tolerance_policy": self.tolerance_policy,
            "trials": self.trials,
            "timing": {"warmup": self.warmup, "repeats": self.repeats},
            "timeout_s": self.timeout_s,
            "seed": self.seed,
            "compile_reference": self.compile_reference,
            "phase": self.phase,
        }


def derive_seed(base: int, purpose: str, index: int = 0) -> int:
    """A seed the candidate cannot predict from what it sees (inputs), reproducible from job.seed."""
    h = hashlib.sha256(f"kforge:{base}:{purpose}:{index}".encode()).digest()
    return int.from_bytes(h[:4], "little") & 0x7FFFFFFF


def _empties(fields: list[dict[str, Any]], given: dict[str, Any]) -> dict[str, Any]:
    """Each field's `empty` from the definition; placeholders: <object> (its own empties), else `given`."""
    out: dict[str, Any] = {}
    for field in fields:
        empty = field["empty"]
        if empty == "<object>":
            out[field["name"]] = _empties(VERDICT["objects"][field["type"].split(":", 1)[1]], {})
        elif isinstance(empty, str) and empty.startswith("<"):
            out[field["name"]] = given[field["name"]]
        else:
            out[field["name"]] = copy.deepcopy(empty)
    return out


def empty_problem_facts() -> dict[str, Any]:
    return _empties(VERDICT["objects"]["problem_facts"], {})


def empty_environment() -> dict[str, Any]:
    return _empties(VERDICT["objects"]["environment"], {})


def empty_result(candidate_id: str, backend: str, policy: str, atol: float, rtol: float,
                 precision: str = "fp32", phase: str = "all") -> dict[str, Any]:
    given = {"candidate_id": candidate_id, "verifier_version": VERIFIER_VERSION, "backend": backend, "precision": precision,
             "tolerance_policy": policy, "atol": atol, "rtol": rtol, "phase": phase}
    return _empties(VERDICT["result"], given)


def finite_or_none(x: Any) -> float | None:
    """JSON has no NaN/inf: a non-finite measurement is recorded as unknown."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def failure_result(job: VerifyJob, stage: str, message: str, wall_s: float = 0.0) -> dict[str, Any]:
    """A result for a job whose worker produced none (timeout, crash, harness error)."""
    from .tolerance import tolerance_for

    atol, rtol = tolerance_for(job.tolerance_policy, None, job.precision)
    r = empty_result(job.candidate_id, job.backend, job.tolerance_policy, atol, rtol, job.precision, job.phase)
    r["fail_stage"] = stage
    r["fail_message"] = message
    r["wall_s"] = wall_s
    return r
