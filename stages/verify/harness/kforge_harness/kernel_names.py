"""Kernel names: normalising profiler names, and the names a candidate compiled itself.

Profiler names are demangled signatures ("void ns::relu_kernel<float>(float const*, float*, int)")
or bare library names ("sm90_xmma_gemm_f32f32_..."); `base_name` reduces both to the identifier
("relu_kernel"), which is also what is collected from the candidate's .so symbols and sources.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

# Symbols the candidate's .so defines that came from headers, not from the candidate.
_FOREIGN_NAMESPACES = ("at::", "c10::", "torch::", "pybind11::", "std::", "__gnu_cxx::", "caffe2::", "cub::",
                       "thrust::", "cuda::", "__cxx", "_GLOBAL__")
_LIBRARY_NAMESPACES = ("at::", "c10::", "cub::", "thrust::", "cutlass::", "cute::", "flash::")
# Kernels torch.compile (inductor) generates: triton_poi_/red_/per_/tem_/for_fused_... (torch 2.0: triton__0d1d).
# Never the candidate's, though they are Triton kernels; a Triton candidate's own kernels keep their names.
_INDUCTOR_KERNEL = re.compile(r"^triton_(?:_|(?:poi|red|per|tem|for|spl|unk)_)")
_GLOBAL_FN = re.compile(r"__global__\s+(?:__launch_bounds__\s*\([^)]*\)\s*)?(?:static\s+)?(?:inline\s+)?"
                        r"(?:void|auto)\s+(?:__launch_bounds__\s*\([^)]*\)\s*)?([A-Za-z_]\w*)")
_MANGLED = re.compile(r"_Z(?:N(?:\d+[A-Za-z_]\w*?)*?)?(\d+)([A-Za-z_]\w*)")


def base_name(name: str) -> str:
    """The function identifier of a kernel or symbol name, without namespace, template or params."""
    text = name.strip()
    if text.startswith("void "):
        text = text[5:]
    depth, cut = 0, len(text)
    for i, c in enumerate(text):  # cut at the first '<' or '(' outside '(anonymous namespace)'
        if c in "<(" and not text.startswith("(anonymous namespace)", i):
            cut = i
            break
    head = text[:cut].replace("(anonymous namespace)::", "")
    return head.rsplit("::", 1)[-1].strip()


def in_library_namespace(name: str) -> bool:
    """A kernel of torch's or a CUDA library's namespace: never the candidate's, whatever its base name
    (a candidate declaring `__global__ void vectorized_elementwise_kernel` does not own aten's)."""
    text = name.strip()
    if text.startswith("void "):
        text = text[5:]
    return text.startswith(_LIBRARY_NAMESPACES) or "at::native::" in text or bool(_INDUCTOR_KERNEL.match(text))


def global_functions(source: str) -> set[str]:
    """Names of the `__global__` functions a source declares (the candidate's own CUDA, inline or loaded)."""
    return set(_GLOBAL_FN.findall(source))


def _demangled_symbols(so: Path) -> list[str]:
    names: list[str] = []
    if shutil.which("nm"):
        for args in (["nm", "-C", "--defined-only", str(so)], ["nm", "-DC", "--defined-only", str(so)]):
            try:
                out = subprocess.run(args, capture_output=True, text=True, timeout=60).stdout
            except (OSError, subprocess.SubprocessError):
                continue
            for line in out.splitlines():
                parts = line.split(" ", 2)
                if len(parts) == 3 and parts[1] in "TtWw":
                    names.append(parts[2])
    return names


def _device_entries(so: Path) -> list[str]:
    """Kernel entry points of the embedded device code (cuobjdump marks them STO_ENTRY)."""
    if not shutil.which("cuobjdump"):
        return []
    try:
        out = subprocess.run(["cuobjdump", "-symbols", str(so)], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    names = []
    for line in out.splitlines():
        if "STO_ENTRY" in line:
            sym = line.split()[-1]
            m = _MANGLED.match(sym)
            names.append(m.group(2)[: int(m.group(1))] if m else sym)
    return names


def own_kernel_names(build_dir: Path) -> set[str]:
    """Identifiers of every function the candidate compiled under `build_dir`."""
    own: set[str] = set()
    if not build_dir.is_dir():
        return own
    for so in build_dir.rglob("*.so"):
        for sym in _demangled_symbols(so):
            if sym.startswith(_FOREIGN_NAMESPACES) or sym.startswith("void " + _FOREIGN_NAMESPACES[0]):
                continue
            own.add(base_name(sym))
        own.update(_device_entries(so))
    for src in list(build_dir.rglob("*.cu")) + list(build_dir.rglob("*.cuh")) + list(build_dir.rglob("*.cpp")):
        try:
            own.update(global_functions(src.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    own.discard("")
    return own
