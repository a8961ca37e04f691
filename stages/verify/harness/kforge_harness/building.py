"""Build: the candidate compiles its extension at import time (load_inline).

- `build_dir_for` keys TORCH_EXTENSIONS_DIR by the sha256 of the candidate source, so the same source
  is a cache hit and two candidates reusing one extension name never share a directory.
- `shared_inline_builds` builds each load_inline call in a folder keyed by its arguments instead (what it
  compiles), so candidates that differ only in their Python build the extension once; the folders lie
  under <ext>/inline, or under $KFORGE_INLINE_BUILDS for every build root of the machine.
- `import_candidate` captures everything the compiler writes (fd-level, ninja writes there) and tells
  a build failure (the exception came out of torch.utils.cpp_extension) from any other import error.
- `FlagRecorder` (flag_recorder.py) wraps load_inline/load during the import: flags, arch rewrites.
- `precompiled_header` (pch.py) gives cpu builds a precompiled torch/extension.h where one is ready.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import traceback
import types
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, Protocol, runtime_checkable

from .flag_recorder import FlagRecorder
from .loading import import_source
from .pch import precompiled_header

LOG_HEAD = 2048
LOG_TAIL = 2048


class BuildError(Exception):
    def __init__(self, message: str, log: str):
        super().__init__(message)
        self.log = log


class CandidateImportError(Exception):
    """Importing the candidate raised, and not while compiling."""


@runtime_checkable
class BuildsAhead(Protocol):
    """What the `store` layer of import_candidate may do before the import (store_builds.StoreBuilds)."""

    def build_ahead(self, source: str, directory: Path, recorder: FlagRecorder) -> None: ...


def build_dir_for(source: str, build_root: Path) -> Path:
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return build_root / digest[:32]


BUILD_FLOCK = ".kforge-build.flock"


@contextmanager
def owned_build_dir(build_dir: Path, acquired: Callable[[], None]) -> Iterator[None]:
    """Hold the candidate's build folder while importing (building) it, clearing what a killed build left.

    torch's load_inline guards a build with a lock *file* (FileBaton) that a killed process never
    removes; the next build of the same source then waits on it forever (seen after an interrupted
    run). Imports of one source are serialised here by an flock, which the kernel releases when its
    holder dies: whoever holds it knows that any torch lock file in the folder is stale. Blocks while
    another live worker imports the same source; `acquired` is called once the folder is ours."""
    build_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(build_dir / BUILD_FLOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        acquired()
        for stale in build_dir.glob("*/lock"):
            try:
                stale.unlink()
            except OSError:
                pass
        yield
    finally:
        os.close(fd)  # releases the flock


def trim_log(text: str, head: int = LOG_HEAD, tail: int = LOG_TAIL) -> str:
    if len(text) <= head + tail:
        return text
    return f"{text[:head]}\n... [{len(text) - head - tail} characters trimmed] ...\n{text[-tail:]}"


@contextmanager
def capture_fds() -> Iterator[list[str]]:
    """Redirect fds 1 and 2 (the compiler's output goes there, not to sys.stdout) into a buffer."""
    out: list[str] = []
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile(mode="w+b") as f:
        try:
            for s in ("stdout", "stderr"):
                try:
                    getattr(__import__("sys"), s).flush()
                except Exception:
                    pass
            os.dup2(f.fileno(), 1)
            os.dup2(f.fileno(), 2)
            yield out
        finally:
            import sys
            for s in (sys.stdout, sys.stderr):
                try:
                    s.flush()
                except Exception:
                    pass
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            f.seek(0)
            out.append(f.read().decode("utf-8", errors="replace"))


INLINE_SOURCE_FILES = ("main.cpp", "cuda.cu")


@contextmanager
def keep_unchanged_mtimes() -> Iterator[None]:
    """Make a rebuild of the same source a cache hit on torch versions whose load_inline rewrites
    main.cpp / cuda.cu on every call (1.13 does): ninja rebuilds on mtime, so a rewrite with the
    same bytes is given back its old mtime just before ninja runs."""
    from torch.utils import cpp_extension

    real_inline = cpp_extension.load_inline
    real_build = getattr(cpp_extension, "_write_ninja_file_and_build_library", None)
    if real_build is None:
        yield
        return
    before: dict[str, tuple[bytes, int]] = {}

    def inline(*args: Any, **kwargs: Any) -> Any:
        name = kwargs.get("name", args[0] if args else None)
        root = kwargs.get("build_directory") or os.path.join(os.environ.get("TORCH_EXTENSIONS_DIR", ""), str(name))
        for f in INLINE_SOURCE_FILES:
            path = os.path.join(root, f)
            try:
                with open(path, "rb") as fh:
                    before[path] = (fh.read(), os.stat(path).st_mtime_ns)
            except OSError:
                pass
        return real_inline(*args, **kwargs)

    def build(*args: Any, **kwargs: Any) -> Any:
        for path, (content, mtime_ns) in before.items():
            try:
                with open(path, "rb") as fh:
                    if fh.read() == content:
                        os.utime(path, ns=(os.stat(path).st_atime_ns, mtime_ns))
            except OSError:
                pass
        return real_build(*args, **kwargs)

    cpp_extension.load_inline = inline
    cpp_extension._write_ninja_file_and_build_library = build
    try:
        yield
    finally:
        cpp_extension.load_inline = real_inline
        cpp_extension._write_ninja_file_and_build_library = real_build


INLINE_SHARED_DIR = "inline"
TORCH_BUILD_LOCK = "lock"
# A folder for the keyed load_inline builds of every build root on the machine, instead of each root's own
# <ext>/inline (the test suite sets one per run: its builds use a fresh build root almost each, and the same
# fixtures compiled in each, ~20 s of CPU apiece). The driver passes it on to its workers (sandbox.worker_env).
INLINE_BUILDS_ENV = "KFORGE_INLINE_BUILDS"
_INLINE_BUILDS = os.environ.get(INLINE_BUILDS_ENV)  # read before any candidate code runs


def inline_builds_root(candidate_dir: Path) -> Path:
    """Where keyed load_inline builds go: $KFORGE_INLINE_BUILDS, else <ext>/inline beside the per-source folders."""
    return Path(_INLINE_BUILDS) if _INLINE_BUILDS else candidate_dir.parent / INLINE_SHARED_DIR


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def inline_build_key(args: tuple, kwargs: dict[str, Any]) -> str | None:
    """sha256 of a load_inline call's arguments, or None where the call is not one we can key exactly.

    load_inline writes main.cpp / cuda.cu from its sources and functions and compiles them with its flags,
    so two calls with equal arguments (in the same environment) produce the same .so. Only the name and
    cpp_sources may be positional (a later parameter's position differs between torch versions), an
    explicit build_directory is the candidate's to keep, and every value must be plain data (a custom
    object's repr could hide a difference). Keyword order is ignored; the order inside a value is not (a
    functions dict's order is the order of the bindings in main.cpp)."""
    if len(args) > 2 or kwargs.get("build_directory") is not None:
        return None
    named = sorted(kwargs.items())
    if not _plain(list(args)) or not all(_plain(v) for _, v in named):
        return None
    text = json.dumps({"args": list(args), "kwargs": named}, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _mirror_files(src: Path, dst: Path) -> None:
    """Hard-link (else copy) every file of one build folder into another, replacing what is there."""
    if not src.is_dir():
        return
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if not f.is_file() or f.name == TORCH_BUILD_LOCK:
            continue
        tmp = dst / f".{f.name}.kforge-tmp"
        tmp.unlink(missing_ok=True)
        try:
            os.link(f, tmp)
        except OSError:
            shutil.copy2(f, tmp)
        os.replace(tmp, dst / f.name)


@contextmanager
def shared_inline_builds(candidate_dir: Path) -> Iterator[None]:
    """Build load_inline calls under <ext>/inline/<key of the call>/<name>, beside the per-source folders.

    The per-source folder (`build_dir_for`) makes a candidate whose Python changed rebuild identical C++
    (the test suites' fixtures did that ~20 times, about 20 s each on 2 cores); keyed by the call, the
    second candidate finds the .so built. The shared folder is held by the same flock as a per-source
    one (one builder at a time, a killed build's torch lock cleared), always taken after the per-source
    one, so no two workers wait on each other. Afterwards the build's files are linked into the
    candidate's own folder: the profiler reads the candidate's own kernels (symbols of its .so, kernels
    in its sources) from there, and must see exactly what this candidate loaded."""
    from torch.utils import cpp_extension

    real_inline = cpp_extension.load_inline

    def inline(*args: Any, **kwargs: Any) -> Any:
        key = inline_build_key(args, kwargs)
        name = kwargs.get("name", args[0] if args else None)
        if key is None or not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            return real_inline(*args, **kwargs)
        shared = inline_builds_root(candidate_dir) / key
        with owned_build_dir(shared, lambda: None):
            build = shared / name
            build.mkdir(parents=True, exist_ok=True)
            try:
                return real_inline(*args, **{**kwargs, "build_directory": str(build)})
            finally:
                _mirror_files(build, candidate_dir / name)

    cpp_extension.load_inline = inline
    try:
        yield
    finally:
        cpp_extension.load_inline = real_inline


def _raised_in_cpp_extension(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return any(f.filename.replace("\\", "/").endswith("torch/utils/cpp_extension.py") for f in frames)


def _first_errors(log: str, limit: int = 3) -> str:
    """The compiler's first error lines: what a person (or a model's repair prompt) needs first."""
    lines = [ln.strip() for ln in log.splitlines()
             if re.search(r"\berror\b", ln, re.IGNORECASE) and "Error building extension" not in ln]
    return "\n".join(list(dict.fromkeys(lines))[:limit])[:1500]  # dict: dedupe, keep order


def import_candidate(source: str, directory: Path, recorder: FlagRecorder,
                     build_dir: Path | None = None, store: ContextManager[Any] | None = None,
                     ) -> tuple[types.ModuleType, str]:
    """Import the candidate; returns (module, captured build output). Raises BuildError or
    CandidateImportError. With `build_dir` (the candidate's folder under <build root>/ext), its
    load_inline calls build in folders shared by identical calls (`shared_inline_builds`). `store`
    (store_builds.StoreBuilds.active()) loads calls from the build store, or builds into it."""
    captured: list[str] = []
    error: BaseException | None = None
    module = None
    shared = shared_inline_builds(build_dir) if build_dir is not None else nullcontext()
    try:
        # Order matters: the recorder (outermost) sees the candidate's call as written; the store and
        # the shared folder are chosen from the arguments as they reach torch (a store hit goes no
        # further); keep_unchanged_mtimes then reads the build_directory it was given. The precompiled
        # header (pch.py) changes only the command torch writes into build.ninja, below all of them: no
        # key and no recorded flag sees it.
        # The store's layer may build the module's several calls side by side first (build_ahead.py):
        # below the recorder, which records only the import's own calls.
        with capture_fds() as captured, precompiled_header(build_dir), keep_unchanged_mtimes(), shared, \
                (store or nullcontext()) as builds:
            if isinstance(builds, BuildsAhead):
                try:
                    builds.build_ahead(source, directory, recorder)
                except Exception:  # noqa: BLE001  (speed only: the import builds what is not built)
                    pass
            with recorder.active():
                module = import_source(source, "kforge_candidate", directory)
    except SystemExit as e:
        error = e
    except Exception as e:
        error = e
    output = captured[0] if captured else ""
    if error is None and module is not None:
        return module, output
    assert error is not None
    message = f"{type(error).__name__}: {error}"
    if _raised_in_cpp_extension(error):
        log = f"{output}\n{message}".strip()
        raise BuildError(_first_errors(log) or trim_log(message, 600, 400), trim_log(log))
    tb = "".join(traceback.format_exception(type(error), error, error.__traceback__)[-6:])
    raise CandidateImportError(trim_log(f"candidate failed to import: {message}\n{tb}".strip(), 1500, 1500))
