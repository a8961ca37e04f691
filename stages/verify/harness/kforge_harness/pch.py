"""A precompiled torch/extension.h for extension builds without CUDA sources: a speed feature only.

Why: on the 2-core dev machine a cpu extension of a few lines takes ~35 s of CPU to compile, about half of
it parsing torch/extension.h, which load_inline puts on main.cpp's first line. GCC loads that parse from a
precompiled header (a .gch file) in ~17 s instead. The object file is the same, byte for byte (measured:
GCC 12, torch 1.13), so builds keep their keys (keyed inline builds, the build store: the candidate's own
load_inline arguments).

How (`precompiled_header`, around the candidate's import):
- torch writes each build's compile command into build.ninja (`cpp_extension._write_ninja_file`). For a
  build of one main.cpp whose first line is `#include <torch/extension.h>` and no CUDA source, the harness
  appends `-I<root>/<key>` to those flags, where <key> digests the compiler, torch's header and the exact
  flags of the compile (all but the extension's name define, which torch's headers never read). That
  folder holds torch/extension.h.gch, made with exactly those flags, and torch/extension.h, one line:
  `#include_next <torch/extension.h>`. GCC looks for `torch/extension.h.gch` in each include folder before
  the header: it uses it where valid and otherwise (another compiler, flags it does not accept) silently
  goes on to the one-line header, that is to torch's own. A PCH that cannot be used costs time, never a
  different build.
- a .gch is made in the background, never while a build waits on it: the first compile with a set of
  flags only notes it (<key>.wanted); a later one starts a detached `python -m kforge_harness.pch`, which
  holds <key>.lock, compiles the header into a temporary folder and renames it to <key>/ (a reader sees
  all of it or nothing). Builds compile without it meanwhile. A flag set seen once costs nothing; one that
  recurs pays ~55 s of CPU and 650 MB of disk once and saves ~17 s a build after. At most MAX_HEADERS
  are made per folder; a flag set GCC cannot precompile with is noted (<key>.failed) and not tried again.
- a keyed build made before its PCH was ready keeps its command (ninja would rebuild a changed one).
- the record: compile_flags are what the candidate asked for; this is the harness's own addition to
  torch's flags; build_cpu_s / build_wall_s are what the build took, with the PCH where it had one (its
  generation is no child of the worker, so it is not in them).
- KFORGE_PCH=0 turns it off; KFORGE_PCH_DIR is the folder (default <build root>/ext/pch). Both are read
  at import, before any candidate runs, and passed on by the driver (sandbox.worker_env).
- `prewarm` makes the PCHs of named flag sets at once, for a machine that knows its builds' flags ahead
  (the test suite starts it when the tests start: a cold CI run had its first PCH only after 5 minutes).
"""
from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

ENV_SWITCH = "KFORGE_PCH"
DIR_ENV = "KFORGE_PCH_DIR"
_SWITCH = os.environ.get(ENV_SWITCH)  # read before any candidate code runs
_DIR = os.environ.get(DIR_ENV)

HEADER = "torch/extension.h"
FIRST_LINE = "#include <torch/extension.h>"  # what load_inline writes on main.cpp's first line
WRAPPER = "#include_next <torch/extension.h>\n"
NAME_DEFINE = "-DTORCH_EXTENSION_NAME="
MAX_HEADERS = 8  # ~650 MB each
GENERATE_TIMEOUT_S = 900
SHARED_DIR = "pch"

_launched: set[str] = set()  # keys this process started a generation for (once is enough)


def enabled() -> bool:
    return _SWITCH != "0"


def pch_root(candidate_dir: Path | None) -> Path | None:
    """$KFORGE_PCH_DIR, else <ext>/pch beside the per-source build folders (None: neither is known)."""
    if _DIR:
        return Path(_DIR)
    return candidate_dir.parent / SHARED_DIR if candidate_dir is not None else None


def _file_id(path: str) -> list[Any]:
    st = os.stat(path)
    return [os.path.realpath(path), st.st_size, st.st_mtime_ns]


def _include_dirs(flags: Sequence[str]) -> list[tuple[str, str]]:
    """(-I or -isystem, folder) in command-line order, as torch writes them ('-isystem /x', '-I/x')."""
    out = []
    for f in flags:
        for opt in ("-isystem", "-I"):
            if f.startswith(opt):
                folder = f[len(opt):].strip()
                if folder:
                    out.append((opt, folder))
                break
    return out


def header_spec(cxx: str, flags: Sequence[str]) -> dict[str, Any] | None:
    """What decides a precompiled torch/extension.h for a compile with `flags` (its name define removed),
    or None where the harness makes none: a compiler command that is not one program on PATH, or a
    torch/extension.h that is not torch's own in a system include folder (the candidate's -I first)."""
    compiler = shutil.which(cxx) if cxx and not any(c.isspace() for c in cxx) else None
    if compiler is None:
        return None
    dirs = _include_dirs(flags)
    # -I folders are searched before -isystem ones: a torch/extension.h in one of them is not torch's.
    if any(os.path.isfile(os.path.join(d, HEADER)) for o, d in dirs if o == "-I"):
        return None
    found = next((os.path.join(d, HEADER) for o, d in dirs if os.path.isfile(os.path.join(d, HEADER))), None)
    if found is None:
        return None
    return {"cxx": cxx, "compiler": _file_id(compiler), "header": _file_id(found), "flags": list(flags)}


def header_key(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def ready(folder: Path) -> bool:
    return (folder / (HEADER + ".gch")).is_file() and (folder / HEADER).is_file()


def _ninja_cflags(ninja_file: str) -> str | None:
    """The `cflags = ...` line torch wrote into this build.ninja last time, or None."""
    try:
        with open(ninja_file, encoding="utf-8") as f:
            for line in f:
                if line.startswith("cflags = "):
                    return line[len("cflags = "):].rstrip("\n")
    except OSError:
        pass
    return None


def _first_line(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError):
        return None


def cflags_for(ninja_file: str, cflags: Sequence[str], sources: Sequence[str], library_target: str | None,
               with_cuda: bool, root: Path, cxx: str) -> list[str]:
    """The cflags torch is to write into `ninja_file`: with -I<the PCH's folder> where a PCH for exactly
    these flags is ready, else unchanged (and the flag set noted, its PCH started once it recurs)."""
    flags = [str(f).strip() for f in cflags]  # as torch's _write_ninja_file sanitises them
    if with_cuda or len(sources) != 1 or os.path.basename(str(sources[0])) != "main.cpp":
        return flags
    if _first_line(str(sources[0])) != FIRST_LINE:
        return flags
    spec = header_spec(cxx, [f for f in flags if not f.startswith(NAME_DEFINE)])
    if spec is None:
        return flags
    key = header_key(spec)
    folder = root / key
    if shlex.quote(str(folder)) != str(folder):  # ninja hands the line to sh: no quoting games
        return flags
    with_pch = [*flags, f"-I{folder}"]
    previous = _ninja_cflags(ninja_file)
    built = bool(library_target) and os.path.exists(os.path.join(os.path.dirname(ninja_file), str(library_target)))
    if built and previous == " ".join(flags):
        return flags  # built without the PCH: the same command is a no-op for ninja, a changed one a rebuild
    if ready(folder):
        return with_pch
    _note(root, key, cxx, spec["flags"])  # a compile is about to run without it
    return flags


def _note(root: Path, key: str, cxx: str, flags: list[str]) -> None:
    """First compile with these flags: mark them wanted. A later one: start the generation (detached)."""
    wanted = root / f"{key}.wanted"
    if not wanted.exists():
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".{key}.wanted.{os.getpid()}"
        tmp.write_text(json.dumps({"cxx": cxx, "flags": flags}), encoding="utf-8")
        os.replace(tmp, wanted)
        return
    if key in _launched or (root / f"{key}.failed").exists() or _busy(root, key):
        return
    _launched.add(key)
    _launch(root, cxx, flags)


def _launch(root: Path, cxx: str, flags: list[str]) -> None:
    harness = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": harness, "TMPDIR": str(root)}
    # The launched process forks and exits at once (waited for here: no zombie); the generation is its
    # child, in a session of its own, so no worker's group kill or rusage includes it.
    subprocess.run([sys.executable, "-m", "kforge_harness.pch", str(root), cxx, json.dumps(flags)],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env, cwd=str(root), start_new_session=True, timeout=60, check=False)


def _busy(root: Path, key: str) -> bool:
    """Whether another process is making this key's PCH now (holds <key>.lock)."""
    try:
        return not lock_is_free(root / f"{key}.lock")
    except OSError:
        return True


def lock_is_free(path: Path) -> bool:
    """Whether nobody holds the flock on `path` (created if missing); takes and drops it to ask."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def generate(root: Path, cxx: str, flags: list[str], wait: bool = False) -> str:
    """Make <root>/<key>/ for a compile with `flags` (name define removed); what happened, in a word.
    Another process making it: "busy", or with `wait` (the tests), wait for it."""
    spec = header_spec(cxx, flags)
    if spec is None:
        return "unkeyed"
    key = header_key(spec)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fds = [fd]
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return "busy"
        if ready(root / key):
            return "ready"
        if (root / f"{key}.failed").exists():
            return "failed before"
        # One generation at a time per folder (they wait here, detached): two at once on a 2-core host
        # make both ready late (~4 min under load each, measured, instead of one in half that).
        fds.append(os.open(root / ".generating.lock", os.O_RDWR | os.O_CREAT, 0o644))
        fcntl.flock(fds[-1], fcntl.LOCK_EX)
        if sum(1 for d in root.iterdir() if d.is_dir() and ready(d)) >= MAX_HEADERS:
            return "full"
        for stale in root.glob(f".tmp-{key}-*"):  # a killed generation's (we hold the key's lock)
            shutil.rmtree(stale, ignore_errors=True)
        tmp = root / f".tmp-{key}-{os.getpid()}"
        (tmp / "torch").mkdir(parents=True)
        (tmp / HEADER).write_text(WRAPPER, encoding="utf-8")
        # The PCH's source is main.cpp's first line, not the header as the main file (GCC warns about its
        # #pragma once there, an error under -Werror).
        source = tmp / "source.h"
        source.write_text(FIRST_LINE + "\n", encoding="utf-8")
        out = tmp / (HEADER + ".gch")
        # The flags joined as torch joins them into build.ninja, run by sh as ninja runs them.
        command = f"{cxx} {' '.join(flags)} -x c++-header {shlex.quote(str(source))} -o {shlex.quote(str(out))}"
        t0, c0 = time.monotonic(), _children_cpu_s()
        try:
            r = subprocess.run(["/bin/sh", "-c", command], stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, cwd=str(tmp), env={**os.environ, "TMPDIR": str(tmp)},
                               timeout=GENERATE_TIMEOUT_S, check=False)
            log, ok = r.stdout + r.stderr, r.returncode == 0
        except subprocess.TimeoutExpired:
            log, ok = f"timed out after {GENERATE_TIMEOUT_S} s", False
        if not ok or not out.is_file():
            (root / f"{key}.failed").write_text(json.dumps({"command": command, "log": log[-4000:]}), encoding="utf-8")
            shutil.rmtree(tmp, ignore_errors=True)
            return "failed"
        took = {"wall_s": round(time.monotonic() - t0, 1), "cpu_s": round(_children_cpu_s() - c0, 1)}
        (tmp / "pch.json").write_text(json.dumps({**spec, "command": command, **took}, indent=1), encoding="utf-8")
        try:
            os.rename(tmp, root / key)
        except OSError:  # there already (cannot happen under the lock, but a reader must never see a torn one)
            shutil.rmtree(tmp, ignore_errors=True)
        return "made"
    finally:
        for f in fds:
            os.close(f)


def torch_cflags(extra_cflags: Sequence[str], name: str = "kforge_pch") -> list[str]:
    """The cflags torch writes into build.ninja for a cpu load_inline build with these extra_cflags, less
    the extension's name define: what a PCH's key is made of (torch's own code; nothing is compiled)."""
    from torch.utils import cpp_extension

    real = cpp_extension._write_ninja_file
    seen: dict[str, Any] = {}

    def capture(*args: Any, **kwargs: Any) -> None:
        seen.update(inspect.signature(real).bind(*args, **kwargs).arguments)

    cpp_extension._write_ninja_file = capture
    try:
        cpp_extension._write_ninja_file_to_build_library(
            path="/nonexistent/build.ninja", name=name, sources=["/nonexistent/main.cpp"],
            extra_cflags=list(extra_cflags), extra_cuda_cflags=[], extra_ldflags=[], extra_include_paths=[],
            with_cuda=False, is_standalone=False)
    finally:
        cpp_extension._write_ninja_file = real
    flags = [str(f).strip() for f in seen.get("cflags") or []]  # as cflags_for sees them
    return [f for f in flags if not f.startswith(NAME_DEFINE)]


def prewarm(root: Path, flag_sets: Sequence[Sequence[str]], cxx: str | None = None) -> list[str]:
    """Make, in order and now, the PCH of each set of extra_cflags (as a candidate passes them to
    load_inline): for a machine that knows which flag sets its builds are about to use (the test suite,
    test/support/global-setup.ts), so the first builds get it too, not only those after a set recurred.
    What happened to each set, in a word (generate's)."""
    compiler = cxx or os.environ.get("CXX", "c++")
    return [generate(root, compiler, torch_cflags(s), wait=True) for s in flag_sets]


def _children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


@contextmanager
def precompiled_header(candidate_dir: Path | None) -> Iterator[None]:
    """While the candidate imports: its cpu builds' commands get the PCH (cflags_for) where one is ready.
    Never a reason for a build to fail: any error here leaves torch's flags as they are."""
    root = pch_root(candidate_dir)
    from torch.utils import cpp_extension

    real = getattr(cpp_extension, "_write_ninja_file", None)
    if not enabled() or root is None or real is None or os.name != "posix":
        yield
        return
    signature = inspect.signature(real)

    def write(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
            a = bound.arguments
            a["cflags"] = cflags_for(a["path"], a.get("cflags") or [], a.get("sources") or [], a.get("library_target"),
                                     bool(a.get("with_cuda")), root, os.environ.get("CXX", "c++"))
            args, kwargs = bound.args, bound.kwargs
        except Exception:  # noqa: BLE001  (speed only)
            pass
        return real(*args, **kwargs)

    cpp_extension._write_ninja_file = write
    try:
        yield
    finally:
        cpp_extension._write_ninja_file = real


def _main(argv: list[str]) -> None:
    """`python -m kforge_harness.pch ROOT CXX FLAGS_JSON`: fork, and make the PCH in the child.
    `python -m kforge_harness.pch --prewarm ROOT SETS_JSON`: prewarm (in this process: its caller detaches it)."""
    if argv[0] == "--prewarm":
        if enabled():
            prewarm(Path(argv[1]), [[str(f) for f in s] for s in json.loads(argv[2])])
        return
    root, cxx, flags = Path(argv[0]), argv[1], json.loads(argv[2])
    if os.fork() != 0:
        os._exit(0)  # the worker waits for this process only
    generate(root, cxx, [str(f) for f in flags])
    os._exit(0)


if __name__ == "__main__":
    _main(sys.argv[1:])
