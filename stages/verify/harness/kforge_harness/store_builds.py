"""The build store during a candidate's import: load_inline calls found there are loaded, not compiled.

`StoreBuilds.active()` wraps load_inline / load (inside the FlagRecorder, so it sees the arguments as
they reach torch: arch flags already retargeted). For each keyable load_inline call:
- found in the store: its files are linked (else copied) into the candidate's own build folder (the
  profiler reads the candidate's kernels there) and torch's own loader imports the .so; no compiler runs;
- not found, `publish` (the build phase): built by the real load_inline (through the host's keyed builds,
  so a call built there before is not compiled again), copied into a fresh folder of the store's .tmp/
  and renamed into place (build_store.py);
- not found, not publishing (the GPU phase): the call goes on to the local build (built here).
It also measures the builds: wall seconds, and CPU seconds of this process and its waited-for children
(ninja and the compilers under it). `build_ahead` builds a candidate's several calls side by side before its
import (build_ahead.py), through the same wrapper.
"""
from __future__ import annotations

import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from . import build_ahead as ahead
from .build_store import BuildStore
from .building import _mirror_files, inline_build_key
from .flag_recorder import FlagRecorder


def _version_line(cmd: list[str], marker: str | None = None) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
    picked = [ln for ln in lines if marker in ln] if marker else lines
    return picked[0] if picked else None


def toolchain_id(backend: str) -> dict[str, Any]:
    """What besides load_inline's arguments decides the .so: torch and its ABI, the Python ABI, the
    host compiler, and on CUDA nvcc and the arch list (TORCH_CUDA_ARCH_LIST, set by the worker)."""
    import torch
    from torch.utils import cpp_extension

    tc: dict[str, Any] = {
        "torch": torch.__version__, "torch_cuda": torch.version.cuda, "python": sys.implementation.cache_tag,
        "machine": platform.machine(), "cxx11_abi": bool(getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", False)),
        "cxx": _version_line([os.environ.get("CXX", "c++"), "--version"]),
    }
    if backend == "cuda":
        home = getattr(cpp_extension, "CUDA_HOME", None)
        nvcc = os.path.join(home, "bin", "nvcc") if home else "nvcc"
        tc["nvcc"] = _version_line([nvcc, "--version"], "release")
        tc["arch_list"] = os.environ.get("TORCH_CUDA_ARCH_LIST")
    return tc


def _cpu_s() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class StoreBuilds:
    def __init__(self, store: BuildStore | None, candidate_dir: Path | None, publish: bool,
                 toolchain: dict[str, Any] | None):
        self.store, self.candidate_dir, self.publish, self.toolchain = store, candidate_dir, publish, toolchain
        self.keys: list[str] = []  # the result's build_store_keys
        self.calls = 0  # load_inline / load calls
        self.hits = 0  # of them loaded from the store
        self.built = 0  # of them compiled into the store here (build phase)
        self.unkeyed = 0  # calls the store cannot hold (load(), non-plain arguments, explicit build_directory)
        self.ahead_built = 0  # calls build_ahead's children compiled (the import then found them built)
        self.cpu_s = 0.0
        self.wall_s = 0.0
        self._entry: Callable[..., Any] | None = None  # the load_inline wrapper, while active

    def source(self) -> str | None:
        """build_source for the result: None when no extension was built or loaded."""
        if self.calls == 0:
            return None
        return "store" if self.hits == self.calls and not self.ahead_built else "built_here"

    @property
    def built_here(self) -> bool:
        """Whether a compiler ran for this import (here or in build_ahead's children)."""
        return self.calls > self.hits or self.ahead_built > 0

    def build_ahead(self, source: str, directory: Path, recorder: FlagRecorder) -> None:
        """Before the import: the calls its module makes build side by side (build_ahead.py), each through
        this wrapper as the import's own call would go, so the import finds them built. Two or more calls
        still to build, or nothing happens. Speed only: any failure here leaves the import to build."""
        entry = self._entry
        if entry is None or not ahead.can_build_ahead(source):
            return

        def keyable(call: ahead.Call) -> bool:
            return inline_build_key(*recorder.as_torch_gets(*call)) is not None

        todo: dict[str, ahead.Call] = {}
        for args, kwargs in ahead.probe_calls(source, directory, keyable):
            args, kwargs = recorder.as_torch_gets(args, kwargs)
            key = inline_build_key(args, kwargs)
            if key is None or key in todo or self._stored(key, kwargs.get("name", args[0] if args else None)):
                continue
            todo[key] = (args, kwargs)
        if len(todo) < 2:
            return

        def build(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:  # in the child
            before = self.calls - self.hits
            entry(*args, **kwargs)
            return self.calls - self.hits > before

        with recorder.building():
            report = ahead.build_all(list(todo.values()), build)
        self.ahead_built += report.built
        self.cpu_s += report.cpu_s
        self.wall_s += report.wall_s

    def _stored(self, key: str, name: Any) -> bool:
        if self.store is None or self.toolchain is None or not isinstance(name, str):
            return False
        return self.store.lookup(self.store.key(key, self.toolchain), name) is not None

    def _measured(self, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Any:
        t0, c0 = time.monotonic(), _cpu_s()
        try:
            return fn(*args, **kwargs)
        finally:
            self.wall_s += time.monotonic() - t0
            self.cpu_s += _cpu_s() - c0

    def _from_store(self, found: Path, name: str, kwargs: dict[str, Any]) -> Any:
        from torch.utils import cpp_extension

        self.hits += 1
        folder = found
        if self.candidate_dir is not None:
            _mirror_files(found, self.candidate_dir / name)
            folder = self.candidate_dir / name
        return cpp_extension._import_module_from_library(name, str(folder), kwargs.get("is_python_module", True))

    def _inline(self, real: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Any:
        self.calls += 1
        name = kwargs.get("name", args[0] if args else None)
        key = inline_build_key(args, kwargs) if self.store is not None else None
        usable = isinstance(name, str) and bool(name) and "/" not in name and not name.startswith(".")
        if self.store is None or key is None or not usable or kwargs.get("is_standalone"):
            self.unkeyed += self.store is not None
            return self._measured(real, args, kwargs)
        assert isinstance(name, str) and self.toolchain is not None
        skey = self.store.key(key, self.toolchain)
        self.keys.append(skey)
        found = self.store.lookup(skey, name)
        if found is not None:
            return self._from_store(found, name, kwargs)
        if not self.publish:
            return self._measured(real, args, kwargs)
        with self.store.building(skey) as tmp:
            found = self.store.lookup(skey, name)  # another builder finished while this one waited
            if found is not None:
                return self._from_store(found, name, kwargs)
            (tmp / name).mkdir()
            t0, c0 = time.monotonic(), _cpu_s()
            if self.candidate_dir is not None:
                # Through this host's keyed builds (building.shared_inline_builds, which `real` is wherever
                # there is a candidate folder): a call some earlier job built there (single-phase, or a
                # build worker of another store) is not compiled again. Copied, not linked, into the
                # store: a later rebuild in the keyed folder must not change a published entry's files.
                module = self._measured(real, args, kwargs)
                for f in (self.candidate_dir / name).iterdir():
                    if f.is_file() and f.name != "lock":
                        shutil.copy2(f, tmp / name / f.name)
            else:
                module = self._measured(real, args, {**kwargs, "build_directory": str(tmp / name)})
            self.built += 1
            self.store.publish(skey, tmp, name, {"toolchain": self.toolchain, "host": platform.node(),
                                                 "build_wall_s": round(time.monotonic() - t0, 3),
                                                 "build_cpu_s": round(_cpu_s() - c0, 3)})
            return module

    @contextmanager
    def active(self) -> Iterator["StoreBuilds"]:
        from torch.utils import cpp_extension

        real_inline, real_load = cpp_extension.load_inline, cpp_extension.load

        def inline(*args: Any, **kwargs: Any) -> Any:
            return self._inline(real_inline, args, kwargs)

        def load(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.unkeyed += self.store is not None
            return self._measured(real_load, args, kwargs)

        cpp_extension.load_inline, cpp_extension.load = inline, load
        self._entry = inline
        try:
            yield self
        finally:
            self._entry = None
            cpp_extension.load_inline, cpp_extension.load = real_inline, real_load
