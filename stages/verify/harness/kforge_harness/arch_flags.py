"""Arch retargeting: a candidate's nvcc arch flags that do not name the device's arch are rewritten.

Published kernels hard-code `-arch=sm_70` or `-gencode arch=compute_70,code=sm_70`; CUDA 13 rejects
sm_70, so half of a well-known set of them failed at `build` and never got a verdict. The kernel
itself is arch-independent, so the harness builds it for the device instead and records each rewrite
(`"-arch=sm_70 -> sm_90"`). Pure functions: the caller says which flags list and which device arch.

Only arch options are touched (`-arch`, `--gpu-architecture`, `-gencode`, `--generate-code`, `-code`,
`--gpu-code`, with `=` or a separate value, inside one list element or across two). Every other flag
keeps its exact text, and an element from which nothing was dropped is kept verbatim. A value that
names no numbered arch (`native`, `all`, `all-major`) is left alone: nvcc resolves it itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

ARCH_OPTIONS = ("-arch", "--gpu-architecture", "-gencode", "--generate-code", "-code", "--gpu-code")
_ARCH_NUMBER = re.compile(r"(?:sm|compute|lto)_(\d+)[a-z]?")


@dataclass
class Retargeted:
    flags: list[str]
    rewrites: list[str] = field(default_factory=list)


def device_arch(major: int, minor: int) -> str:
    """(9, 0) -> '90', the number nvcc's sm_/compute_ names use."""
    return f"{major}{minor}"


def _option_of(token: str) -> str | None:
    for opt in ARCH_OPTIONS:
        if token == opt or token.startswith(opt + "="):
            return opt
    return None


def names_other_arch(value: str, arch: str) -> bool:
    """True when the value names at least one numbered arch and any of them is not `arch`
    (sm_90a on a 9.0 device is the device's arch: the suffix selects features, not another chip)."""
    numbers = _ARCH_NUMBER.findall(value)
    return bool(numbers) and any(n != arch for n in numbers)


def retarget(flags: list[str], arch: str, substitute: bool) -> Retargeted:
    """Drop every arch option in `flags` that names an arch other than `arch`. With `substitute`
    (nvcc's flag list), the first dropped option is replaced by `-arch=sm_<arch>` unless an option
    naming the device's arch remains; without it (host compiler flags) dropped options are just gone."""
    tokens = [(i, tok) for i, el in enumerate(flags) for tok in str(el).split()]
    dropped: set[int] = set()  # indices into tokens
    rewrites: list[str] = []
    kept_arch_option = False
    k = 0
    while k < len(tokens):
        tok = tokens[k][1]
        opt = _option_of(tok)
        if opt is None:
            k += 1
            continue
        span = [k]
        if tok == opt and k + 1 < len(tokens):  # the value is the next token (same or next element)
            span.append(k + 1)
        text = " ".join(tokens[j][1] for j in span)
        if names_other_arch(text, arch):
            dropped.update(span)
            rewrites.append(text)
        else:
            kept_arch_option = True
        k = span[-1] + 1
    if not rewrites:
        return Retargeted(list(flags))
    out: list[str] = []
    for i, el in enumerate(flags):
        own = [j for j, (ei, _) in enumerate(tokens) if ei == i]
        if not any(j in dropped for j in own):
            out.append(el)
            continue
        rest = " ".join(tokens[j][1] for j in own if j not in dropped)
        if substitute and not kept_arch_option and tokens[min(dropped)][0] == i:
            out.append(f"-arch=sm_{arch}")
            kept_arch_option = True
        if rest:
            out.append(rest)
    target = f"sm_{arch}" if substitute else f"dropped (host flags; built for sm_{arch})"
    return Retargeted(out, [f"{r} -> {target}" for r in rewrites])
