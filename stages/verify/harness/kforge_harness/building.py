"""Build: the candidate compiles its extension at import time (load_inline).

- `build_dir_for` keys TORCH_EXTENSIONS_DIR by the sha256 of the candidate source, so the same source
  is a cache hit and two candidates reusing one extension name never share a directory.
- `import_candidate` captures everything the compiler writes (fd-level, ninja writes there) and tells
  a build failure (the exception came out of torch.utils.cpp_extension) from any other import error.
- `FlagRecorder` wraps load_inline/load for the duration of the import to record the extra flags.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
import traceback
import types
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from .loading import import_source

LOG_HEAD = 2048
LOG_TAIL = 2048


class BuildError(Exception):
    def __init__(self, message: str, log: str):
        super().__init__(message)
        self.log = log


class CandidateImportError(Exception):
    """Importing the candidate raised, and not while compiling."""


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


class FlagRecorder:
    """Records the extra compiler/linker flags passed to load_inline / load during the import, and says
    when such a call (the build, or the load of a cached build) starts and ends: the driver gives the
    build its own time limit, so a slow compiler on a busy host does not read as a hanging candidate."""

    KEYS = ("extra_cflags", "extra_cuda_cflags", "extra_ldflags")

    def __init__(self, on_build_start: Callable[[], None] | None = None,
                 on_build_end: Callable[[], None] | None = None) -> None:
        self.flags: list[str] = []
        self.names: list[str] = []
        self._on_start, self._on_end = on_build_start, on_build_end
        self._depth = 0

    @contextmanager
    def active(self) -> Iterator["FlagRecorder"]:
        from torch.utils import cpp_extension

        originals = {n: getattr(cpp_extension, n) for n in ("load_inline", "load")}

        def wrap(fn: Any) -> Any:
            def recorded(*args: Any, **kwargs: Any) -> Any:
                name = kwargs.get("name", args[0] if args else None)
                if name is not None:
                    self.names.append(str(name))
                for key in self.KEYS:
                    for flag in kwargs.get(key) or []:
                        if str(flag) not in self.flags:
                            self.flags.append(str(flag))
                self._depth += 1
                if self._depth == 1 and self._on_start:
                    self._on_start()
                try:
                    return fn(*args, **kwargs)
                finally:
                    self._depth -= 1
                    if self._depth == 0 and self._on_end:
                        self._on_end()

            return recorded

        for n, fn in originals.items():
            setattr(cpp_extension, n, wrap(fn))
        try:
            yield self
        finally:
            for n, fn in originals.items():
                setattr(cpp_extension, n, fn)

    def as_string(self) -> str | None:
        return " ".join(self.flags) if self.flags else None


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


def _raised_in_cpp_extension(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return any(f.filename.replace("\\", "/").endswith("torch/utils/cpp_extension.py") for f in frames)


def _first_errors(log: str, limit: int = 3) -> str:
    """The compiler's first error lines: what a person (or a model's repair prompt) needs first."""
    lines = [ln.strip() for ln in log.splitlines()
             if re.search(r"\berror\b", ln, re.IGNORECASE) and "Error building extension" not in ln]
    return "\n".join(list(dict.fromkeys(lines))[:limit])[:1500]  # dict: dedupe, keep order


def import_candidate(source: str, directory: Path, recorder: FlagRecorder) -> tuple[types.ModuleType, str]:
    """Import the candidate; returns (module, captured build output). Raises BuildError or
    CandidateImportError."""
    captured: list[str] = []
    error: BaseException | None = None
    module = None
    try:
        with capture_fds() as captured, keep_unchanged_mtimes(), recorder.active():
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
