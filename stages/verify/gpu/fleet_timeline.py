"""What a fleet run's host did over time, for reading wall / floor (fleet_gpu.py writes it to timeline.json).

A background thread samples every `period_s`: seconds since the run started, results written so far
(lines of the results file), the share of CPU time busy since the last sample (/proc/stat, all cores) and,
where nvidia-smi answers, the GPU's utilisation. Where the wall exceeds the floor it shows when: cores idle
at the end (the last builds), the device idle at the start (nothing built yet), or neither.
"""
from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all cores."""
    fields = [int(x) for x in Path("/proc/stat").read_text(encoding="utf-8").split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _gpu_util(smi: str | None) -> float | None:
    if smi is None:
        return None
    try:
        out = subprocess.run([smi, "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=5).stdout.split()
        return float(out[0]) / 100.0 if out else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


class Timeline:
    def __init__(self, results: Path, period_s: float = 2.0, gpu: bool = True):
        self.results, self.period_s = results, period_s
        self.smi = shutil.which("nvidia-smi") if gpu else None
        self.samples: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = 0.0

    def start(self) -> "Timeline":
        self._started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._thread.join(timeout=10)
        return self.samples

    def _done(self) -> int:
        try:
            with open(self.results, "rb") as f:
                return sum(1 for line in f if line.strip())
        except OSError:
            return 0

    def _run(self) -> None:
        busy0, total0 = _cpu_times()
        while not self._stop.wait(self.period_s):
            busy, total = _cpu_times()
            cpu = (busy - busy0) / (total - total0) if total > total0 else None
            busy0, total0 = busy, total
            self.samples.append({"t_s": round(time.monotonic() - self._started, 1), "done": self._done(),
                                 "cpu_busy": None if cpu is None else round(cpu, 3), "gpu_util": _gpu_util(self.smi)})


def phases(samples: list[dict[str, Any]], cores: int) -> dict[str, Any]:
    """Where the time went: the first result's time, the CPU-seconds the cores left idle after it and
    before, and the mean GPU utilisation."""
    if not samples:
        return {}
    first = next((s["t_s"] for s in samples if s["done"] > 0), None)
    idle_before = idle_after = 0.0
    prev = 0.0
    for s in samples:
        dt, prev = s["t_s"] - prev, s["t_s"]
        if s["cpu_busy"] is None:
            continue
        idle = (1.0 - s["cpu_busy"]) * cores * dt
        if first is not None and s["t_s"] > first:
            idle_after += idle
        else:
            idle_before += idle
    utils = [s["gpu_util"] for s in samples if s["gpu_util"] is not None]
    return {"first_result_s": first, "idle_core_s_before_first": round(idle_before, 1),
            "idle_core_s_after_first": round(idle_after, 1),
            "mean_gpu_util": round(sum(utils) / len(utils), 3) if utils else None}
