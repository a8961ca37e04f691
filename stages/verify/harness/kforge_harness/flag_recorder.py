"""FlagRecorder: wraps load_inline / load while the candidate imports.

It records the extra flags as the candidate wrote them, says when a build starts and ends (the driver
gives builds their own time limit), and on CUDA builds retargets arch flags for another chip to the
device's arch (arch_flags.py) and, on every `load_inline`, rewrites the one C++ idiom newer torch
no longer compiles (source_compat.py), keeping a list of those rewrites for the result.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .arch_flags import retarget
from .source_compat import rewrite_sources


class FlagRecorder:
    """Records the extra compiler/linker flags passed to load_inline / load during the import, and says
    when such a call (the build, or the load of a cached build) starts and ends: the driver gives the
    build its own time limit, so a slow compiler on a busy host does not read as a hanging candidate."""

    KEYS = ("extra_cflags", "extra_cuda_cflags", "extra_ldflags")
    # nvcc's flags get the device's arch substituted; host compiler flags just lose the stale arch.
    RETARGET = {"extra_cuda_cflags": True, "extra_cflags": False}

    def __init__(self, on_build_start: Callable[[], None] | None = None,
                 on_build_end: Callable[[], None] | None = None, arch: str | None = None) -> None:
        self.flags: list[str] = []  # as the candidate wrote them (the result's compile_flags)
        self.names: list[str] = []
        self.rewrites: list[str] = []  # the result's build_rewrites
        self.arch = arch  # the device's arch ('90'); None on cpu builds, where arch flags are irrelevant
        self._on_start, self._on_end = on_build_start, on_build_end
        self._depth = 0

    @contextmanager
    def active(self) -> Iterator["FlagRecorder"]:
        from torch.utils import cpp_extension

        originals = {n: getattr(cpp_extension, n) for n in ("load_inline", "load")}

        def wrap(fn: Any, inline: bool) -> Any:
            def recorded(*args: Any, **kwargs: Any) -> Any:
                name = kwargs.get("name", args[0] if args else None)
                if name is not None:
                    self.names.append(str(name))
                for key in self.KEYS:
                    for flag in kwargs.get(key) or []:
                        if str(flag) not in self.flags:
                            self.flags.append(str(flag))
                if self.arch:
                    kwargs = self._retargeted(kwargs)
                if inline:
                    args, kwargs = self._compatible(args, kwargs)
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
            setattr(cpp_extension, n, wrap(fn, n == "load_inline"))
        try:
            yield self
        finally:
            for n, fn in originals.items():
                setattr(cpp_extension, n, fn)

    def as_torch_gets(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """A load_inline call's arguments as the recorder passes them on (arch retargeted, sources made
        compatible), recording nothing: build_ahead.py builds what the import's own call will ask for."""
        saved = list(self.rewrites)
        try:
            if self.arch:
                kwargs = self._retargeted(kwargs)
            return self._compatible(args, kwargs)
        finally:
            self.rewrites[:] = saved

    @contextmanager
    def building(self) -> Iterator[None]:
        """A build outside a recorded call (build_ahead.py's): the driver hears it start and end."""
        self._depth += 1
        if self._depth == 1 and self._on_start:
            self._on_start()
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._on_end:
                self._on_end()

    def _retargeted(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        out = dict(kwargs)
        for key, substitute in self.RETARGET.items():
            if out.get(key) and self.arch:
                r = retarget([str(f) for f in out[key]], self.arch, substitute)
                out[key] = r.flags
                self.rewrites.extend(x for x in r.rewrites if x not in self.rewrites)
        return out

    # load_inline(name, cpp_sources, cuda_sources=None, ...): the sources by keyword or by position.
    SOURCES = (("cpp_sources", 1), ("cuda_sources", 2))

    def _compatible(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        out_args, out = list(args), dict(kwargs)
        for key, index in self.SOURCES:
            if key in out:
                out[key], done = rewrite_sources(out[key])
            elif index < len(out_args):
                out_args[index], done = rewrite_sources(out_args[index])
            else:
                continue
            self.rewrites.extend(x for x in done if x not in self.rewrites)
        return tuple(out_args), out

    def as_string(self) -> str | None:
        return " ".join(self.flags) if self.flags else None
