"""The triton backend's build: importing Triton, the candidate's kernel names, and the JIT compile.

A Triton candidate is a module with @triton.jit kernels and a ModelNew launching them (KernelBench's Triton
format). It is imported from a real file in its scratch folder (loading.import_source), because Triton's JIT
reads each kernel's source with `inspect`. Nothing compiles at import: Triton compiles a kernel at its first
launch. `warm_up` makes that first launch, one forward on an input draw of its own, outside every timed call
and bracketed as the build (the driver's build limit applies, the job's timer pauses); what it took and
whether Triton's cache (TRITON_CACHE_DIR, one folder per candidate source, set by the driver) already held
the kernels goes into compile_log. In the interpreter nothing compiles; the warm-up still runs once.
"""
from __future__ import annotations

import ast
import os
import time
import traceback
import types
from pathlib import Path
from typing import Any, Callable

from . import backends, triton_launches
from .building import capture_fds, trim_log
from .evaluation import Stop

INSTALL_HINT = ("install it into the Python that runs the harness: `python3 -m pip install triton` (a GPU host: "
                "the triton wheel that matches its torch; a CPU host for TRITON_INTERPRET=1 with Debian's torch "
                "1.13: triton==3.2.0, which scripts/setup.sh installs)")
_TRITON_FRAMES = ("/triton/compiler/", "/triton/backends/", "/triton/language/", "/triton/runtime/interpreter.py")
_KERNEL_DECORATORS = ("jit", "autotune", "heuristics")


class TritonMissing(Exception):
    """triton cannot be imported here."""


class TritonBuildError(Exception):
    def __init__(self, message: str, log: str):
        super().__init__(message)
        self.log = log


def require() -> str:
    """Import triton and wrap its launch paths (triton_launches); returns its version."""
    try:
        import triton
    except Exception as e:  # ImportError, or a broken install raising anything
        raise TritonMissing(f"backend 'triton' but Triton is not installed ({type(e).__name__}: {e}); "
                            f"{INSTALL_HINT}") from e
    triton_launches.install()
    return str(getattr(triton, "__version__", "unknown"))


def declared_kernels(source: str) -> set[str]:
    """Names of the functions the source decorates with triton.jit / autotune / heuristics (the names the
    GPU profiler shows for its kernels)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                last = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if last in _KERNEL_DECORATORS:
                    names.add(node.name)
    return names


def module_kernels(module: Any) -> set[str]:
    """Names of the Triton kernels (JITFunction / InterpretedFunction, under any autotune/heuristics
    wrapper, each keeping the next in `.fn`) defined in the candidate's module itself, not imported."""
    names = set()
    for value in list(vars(module).values()):
        hops = 0
        while hops < 4 and not isinstance(value, types.FunctionType) and getattr(value, "fn", None) is not None:
            value, hops = value.fn, hops + 1
        if hops and isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
            names.add(value.__name__)
    return names


def _count_files(folder: Path) -> int:
    try:
        return sum(1 for p in folder.rglob("*") if p.is_file())
    except OSError:
        return 0


def _is_triton_error(error: BaseException) -> bool:
    try:
        from triton.errors import TritonError
    except ImportError:
        TritonError = ()  # type: ignore[assignment,misc]
    # The worker's call wraps the candidate's exception (evaluation.Stop from it): look along the chain.
    chain = [e for e in (error, error.__cause__, error.__context__) if e is not None]
    if TritonError and any(isinstance(e, TritonError) for e in chain):
        return True
    frames = [f for e in chain for f in traceback.extract_tb(e.__traceback__)]
    return any(any(part in f.filename.replace("\\", "/") for part in _TRITON_FRAMES) for f in frames)


def warm_up(forward: Callable[[], Any], version: str, interpreting: bool) -> str:
    """Make the first launch of every kernel one forward reaches; returns the build log line(s).
    Raises TritonBuildError when Triton itself raised (a kernel that does not compile, or that the
    interpreter rejects); any other exception propagates (the caller's 'run' failure)."""
    cache = Path(os.environ.get("TRITON_CACHE_DIR") or Path.home() / ".triton" / "cache")
    before = _count_files(cache)
    started = time.perf_counter()
    error: BaseException | None = None
    counts: Any = {}
    with capture_fds() as captured:
        try:
            _, counts = triton_launches.launches_during(forward)
        except Exception as e:
            error = e
    elapsed = time.perf_counter() - started
    output = (captured[0] if captured else "").strip()
    if error is not None:
        message = f"{type(error).__name__}: {error}"
        if not _is_triton_error(error):
            raise error
        tb = "".join(traceback.format_exception(type(error), error, error.__traceback__)[-4:])
        raise TritonBuildError(trim_log(message, 900, 600), trim_log(f"{output}\n{message}\n{tb}".strip()))
    launched = ", ".join(sorted({name for name, _ in counts})) or "none"
    if interpreting:
        line = (f"triton {version} interpreter (TRITON_INTERPRET=1): nothing compiled; first forward "
                f"{elapsed:.2f} s; kernels launched: {launched}")
    else:
        added = _count_files(cache) - before
        state = f"{added} files added to the cache" if added > 0 else "every kernel found in the cache"
        line = f"triton {version}: JIT compile (first forward) {elapsed:.2f} s; {state} ({cache}); kernels launched: {launched}"
    return f"{line}\n{output}" if output else line


def build(forward: Callable[[], Any], version: str, result: dict[str, Any], send: Callable[[str], None]) -> None:
    """The worker's build stage for a Triton candidate: `warm_up` between build_start and build_end (the
    driver's build limit, not the job's timer); a Triton error is fail_stage 'build' with its log."""
    send("build_start")
    try:
        result["compile_log"] = trim_log(warm_up(forward, version, backends.triton_interpreting()))
    except TritonBuildError as e:
        result["compile_log"] = e.log
        raise Stop("build", f"Triton kernel failed to compile: {e}") from e
    finally:
        send("build_end")
