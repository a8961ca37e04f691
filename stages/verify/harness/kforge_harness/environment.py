"""Where the timings were taken: device, driver, CUDA, torch, TF32, Python."""
from __future__ import annotations

import platform
import re
import subprocess
from typing import Any

import torch

from .protocol import empty_environment


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or None


def _driver_version() -> str | None:
    try:
        with open("/proc/driver/nvidia/version", encoding="utf-8") as f:
            m = re.search(r"Kernel Module\s+(?:for\s+\S+\s+)?([0-9][0-9.]+)", f.read())
            if m:
                return m.group(1)
    except OSError:
        pass
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10,
        )
        line = out.stdout.strip().splitlines()
        return line[0].strip() if out.returncode == 0 and line else None
    except (OSError, subprocess.SubprocessError):
        return None


def _tf32_enabled() -> bool | None:
    try:
        return bool(torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32)
    except Exception:
        return None


def collect(device: torch.device) -> dict[str, Any]:
    env = empty_environment()
    env["torch_version"] = str(torch.__version__)
    env["python_version"] = platform.python_version()
    env["cuda_version"] = torch.version.cuda
    if device.type == "cuda" and torch.cuda.is_available():
        env["device_name"] = torch.cuda.get_device_name(device)
        major, minor = torch.cuda.get_device_capability(device)
        env["compute_capability"] = f"{major}.{minor}"
        env["driver_version"] = _driver_version()
        env["tf32_enabled"] = _tf32_enabled()
    else:
        env["device_name"] = _cpu_model()
        env["tf32_enabled"] = False  # TF32 is a CUDA matmul setting; it does not apply on the CPU
    return env


def describe(backend: str) -> dict[str, Any]:
    """What `verify.py --environment --backend B` prints: the harness version and collect() on the
    device that backend measures on (raises backends.BackendUnavailable where there is none)."""
    from .backends import device_type
    from .protocol import VERIFIER_VERSION

    device = torch.device(device_type(backend, torch.cuda.is_available()))
    return {"verifier_version": VERIFIER_VERSION, "env": collect(device)}
