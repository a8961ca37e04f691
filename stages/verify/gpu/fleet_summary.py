"""fleet.json of fleet_gpu.py: per candidate where its time went, the run's wall and its floor.

The floor is what no schedule of this host can beat: the builds need their CPU-seconds spread over the
cores, and the GPU steps run one at a time. A run near max(sum build CPU-s / cores, sum GPU-busy s) has
the builds off the GPU's critical path.
"""
from __future__ import annotations

from typing import Any

FIELDS = ("gpu_busy_s", "gpu_exclusive_s", "build_cpu_s", "build_wall_s", "load_s", "wall_s", "build_source",
          "phase", "compiled", "correct", "fail_stage")


def _sum(results: list[dict[str, Any]], key: str) -> float:
    return round(sum(float(r.get(key) or 0.0) for r in results), 3)


def summarize(results: list[dict[str, Any]], wall_s: float, cores: int, planned: int) -> dict[str, Any]:
    build_cpu, gpu_busy = _sum(results, "build_cpu_s"), _sum(results, "gpu_busy_s")
    floor = max(build_cpu / max(cores, 1), gpu_busy)
    exclusive = [float(r["gpu_exclusive_s"]) for r in results if r.get("gpu_exclusive_s") is not None]
    return {
        "planned": planned,
        "results": len(results),
        "wall_s": round(wall_s, 3),
        "cores": cores,
        "sum_build_cpu_s": build_cpu,
        "sum_gpu_busy_s": gpu_busy,
        "sum_gpu_exclusive_s": _sum(results, "gpu_exclusive_s"),
        "floor_s": round(floor, 3),
        "wall_over_floor": round(wall_s / floor, 3) if floor > 0 else None,
        "max_gpu_exclusive_s": max(exclusive) if exclusive else None,
        "build_sources": {s: sum(1 for r in results if str(r.get("build_source")) == s)
                          for s in sorted({str(r.get("build_source")) for r in results})},
        "candidates": [{"id": r.get("candidate_id"), **{k: r.get(k) for k in FIELDS}} for r in results],
    }
