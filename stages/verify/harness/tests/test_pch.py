"""pch.py: a precompiled torch/extension.h for cpu builds, used where valid, ignored where not.

Most tests use a stand-in torch include folder (a torch/extension.h of two lines), so GCC's side of it
(a valid PCH is used, one made with other flags is skipped for the header itself, through the one-line
wrapper) costs a second, not a torch parse. One test builds a real load_inline extension with the real
torch PCH (made once per machine in $KFORGE_PCH_DIR, where the test suite shares it with every build) and
asks GCC, with the build's own command, whether it used it."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
import time
import unittest
import uuid
from pathlib import Path
from unittest import mock

import torch
from torch.utils import cpp_extension

import helpers  # noqa: F401
from kforge_harness import building, pch, sandbox

CXX = "c++"


def fake_torch(value: int) -> tuple[Path, list[str]]:
    """An include folder whose torch/extension.h defines KF_PROBE as `value`; flags as torch writes them."""
    inc = Path(tempfile.mkdtemp(prefix="kforge-pch-inc-"))
    (inc / "torch").mkdir()
    (inc / pch.HEADER).write_text(f"#pragma once\n#define KF_PROBE {value}\n", encoding="utf-8")
    return inc, [f"-isystem {inc}", "-std=c++14", "-O2"]


def probe_value(flags: list[str], pch_folder: Path | None) -> int:
    """Compile and run a main.cpp that returns KF_PROBE, as ninja runs a command (one line, sh)."""
    work = Path(tempfile.mkdtemp(prefix="kforge-pch-probe-"))
    (work / "main.cpp").write_text(pch.FIRST_LINE + "\nint main() { return KF_PROBE; }\n", encoding="utf-8")
    extra = f" -I{pch_folder}" if pch_folder else ""
    subprocess.run(["/bin/sh", "-c", f"{CXX} {' '.join(flags)}{extra} main.cpp -o probe"], cwd=work, check=True)
    return subprocess.run([str(work / "probe")]).returncode


def own_children(marker: str) -> list[int]:
    """Pids of this process's children whose command line holds `marker` (Linux /proc)."""
    found = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid = int(Path(f"/proc/{name}/stat").read_bytes().rsplit(b")", 1)[1].split()[1])
            if ppid == os.getpid() and marker.encode() in Path(f"/proc/{name}/cmdline").read_bytes():
                found.append(int(name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def folder_of(root: Path, flags: list[str]) -> Path:
    spec = pch.header_spec(CXX, flags)
    assert spec is not None
    return root / pch.header_key(spec)


class GccSideTest(unittest.TestCase):
    def setUp(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kforge-pch-root-"))

    def test_a_ready_header_is_used_and_one_made_with_other_flags_is_not(self):
        inc, flags = fake_torch(1)
        other = [*flags[:-1], "-O0"]  # -O0 vs -O2: __OPTIMIZE__ differs, GCC refuses the PCH
        self.assertEqual(pch.generate(self.root, CXX, flags), "made")
        self.assertEqual(pch.generate(self.root, CXX, other), "made")
        made = folder_of(self.root, flags)
        self.assertTrue(pch.ready(made))
        # The header changes after the PCH was made (same size): what the compile sees tells which it read.
        (inc / pch.HEADER).write_text("#pragma once\n#define KF_PROBE 2\n", encoding="utf-8")
        self.assertEqual(probe_value(flags, made), 1)  # the precompiled header
        self.assertEqual(probe_value(flags, None), 2)  # the header
        # The -O0 one in the folder searched: GCC skips the .gch and reads the header through the wrapper.
        self.assertEqual(probe_value(flags, folder_of(self.root, other)), 2)

    def test_flags_gcc_cannot_precompile_with_are_noted_and_not_tried_again(self):
        _, flags = fake_torch(1)
        bad = [*flags, "-fkforge-no-such-flag"]
        self.assertEqual(pch.generate(self.root, CXX, bad), "failed")
        key = pch.header_key(pch.header_spec(CXX, bad) or {})
        self.assertIn("kforge-no-such-flag", json.loads((self.root / f"{key}.failed").read_text())["log"])
        self.assertEqual(pch.generate(self.root, CXX, bad), "failed before")
        self.assertFalse(any(p.name.startswith(".tmp-") for p in self.root.iterdir()))

    def test_made_in_the_background_by_no_child_of_the_build(self):
        _, flags = fake_torch(1)
        key = pch.header_key(pch.header_spec(CXX, flags) or {})
        self.enterContext(mock.patch.object(pch, "_launched", set()))
        pch._note(self.root, key, CXX, flags)  # first sighting: only noted
        self.assertTrue((self.root / f"{key}.wanted").exists())
        time.sleep(0.5)
        self.assertFalse((self.root / key).exists())
        pch._note(self.root, key, CXX, flags)  # the flags recur: generation starts, detached
        self.assertEqual(own_children("kforge_harness.pch"), [])  # none of it is ours (nor in our rusage)
        deadline = time.monotonic() + 60
        while not pch.ready(self.root / key) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertTrue(pch.ready(self.root / key))


class CommandTest(unittest.TestCase):
    """cflags_for: what goes into build.ninja."""

    def setUp(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kforge-pch-root-"))
        self.build = Path(tempfile.mkdtemp(prefix="kforge-pch-build-"))
        (self.build / "main.cpp").write_text(pch.FIRST_LINE + "\nint f();\n", encoding="utf-8")
        _, self.flags = fake_torch(1)
        self.launches: list[list[str]] = []
        self.enterContext(mock.patch.object(pch, "_launched", set()))
        self.enterContext(mock.patch.object(pch, "_launch", lambda *a: self.launches.append([str(x) for x in a])))

    def cflags(self, flags: list[str], name: str = "ext", sources: list[str] | None = None, cuda: bool = False) -> list[str]:
        return pch.cflags_for(str(self.build / "build.ninja"), [f"-DTORCH_EXTENSION_NAME={name}", *flags],
                              sources or [str(self.build / "main.cpp")], f"{name}.so", cuda, self.root, CXX)

    def make_ready(self, flags: list[str]) -> Path:
        folder = folder_of(self.root, flags)
        (folder / "torch").mkdir(parents=True)
        (folder / pch.HEADER).write_text(pch.WRAPPER)
        (folder / (pch.HEADER + ".gch")).write_text("")
        return folder

    def test_without_a_ready_header_unchanged_and_generated_once_the_flags_recur(self):
        plain = ["-DTORCH_EXTENSION_NAME=ext", *self.flags]
        self.assertEqual(self.cflags(self.flags), plain)
        self.assertEqual(self.launches, [])  # seen once: nothing made for it
        self.assertEqual(self.cflags(self.flags, name="other"), ["-DTORCH_EXTENSION_NAME=other", *self.flags])
        self.assertEqual(len(self.launches), 1)
        self.assertEqual(self.launches[0], [str(self.root), CXX, str(self.flags)])  # no name define
        self.cflags(self.flags)
        self.assertEqual(len(self.launches), 1)  # one start per process

    def test_with_a_ready_header_its_folder_is_searched_whatever_the_extension_name(self):
        folder = self.make_ready(self.flags)
        for name in ("ext", "another_ext"):
            self.assertEqual(self.cflags(self.flags, name=name), [f"-DTORCH_EXTENSION_NAME={name}", *self.flags, f"-I{folder}"])
        self.assertEqual(self.cflags([*self.flags, "-march=native"])[-1], "-march=native")  # other flags: not that one

    def test_a_build_made_before_the_header_was_ready_keeps_its_command(self):
        plain = ["-DTORCH_EXTENSION_NAME=ext", *self.flags]
        (self.build / "build.ninja").write_text(f"cxx = c++\ncflags = {' '.join(plain)}\n")
        (self.build / "ext.so").write_text("")
        self.make_ready(self.flags)
        self.assertEqual(self.cflags(self.flags), plain)  # ninja: same command, nothing rebuilt
        (self.build / "ext.so").unlink()  # that build failed or was killed: this one compiles, with it
        self.assertEqual(self.cflags(self.flags)[-1][:2], "-I")

    def test_left_alone_where_it_does_not_apply(self):
        self.make_ready(self.flags)
        other = self.build / "kernel.cpp"
        other.write_text(pch.FIRST_LINE + "\n")
        (self.build / "sub").mkdir()
        late = self.build / "sub" / "main.cpp"
        late.write_text("#include <vector>\n" + pch.FIRST_LINE + "\n")
        own = Path(tempfile.mkdtemp(prefix="kforge-pch-own-"))
        (own / "torch").mkdir()
        (own / pch.HEADER).write_text("")
        for kwargs in ({"cuda": True}, {"sources": [str(other)]}, {"sources": [str(late)]},
                       {"sources": [str(self.build / "main.cpp"), str(other)]}):
            self.assertEqual(self.cflags(self.flags, **kwargs), ["-DTORCH_EXTENSION_NAME=ext", *self.flags], kwargs)
        # A torch/extension.h of the candidate's own (-I, searched first) is not torch's.
        self.assertIsNone(pch.header_spec(CXX, [f"-I{own}", *self.flags]))
        self.assertIsNone(pch.header_spec("ccache c++", self.flags))

    def test_switched_off_and_passed_on_to_workers(self):
        real = cpp_extension._write_ninja_file
        with mock.patch.object(pch, "_SWITCH", "0"), pch.precompiled_header(self.build / "x"):
            self.assertIs(cpp_extension._write_ninja_file, real)
        with pch.precompiled_header(self.build / "x"):
            self.assertIsNot(cpp_extension._write_ninja_file, real)
        self.assertIs(cpp_extension._write_ninja_file, real)
        env = sandbox.worker_env({"KFORGE_PCH": "0", "KFORGE_PCH_DIR": "/p"}, Path("/s"), Path("/b/ext/a"), Path("/h"), 1,
                                 Path("/b/cache"))
        self.assertEqual((env["KFORGE_PCH"], env["KFORGE_PCH_DIR"]), ("0", "/p"))
        with mock.patch.object(pch, "_DIR", None):
            self.assertEqual(pch.pch_root(Path("/b/ext/abc")), Path("/b/ext/pch"))


class TorchBuildTest(unittest.TestCase):
    def test_a_load_inline_build_compiles_with_the_torch_header_and_works(self):
        root = Path(os.environ.get(pch.DIR_ENV) or tempfile.mkdtemp(prefix="kforge-pch-root-"))
        flags = pch.torch_cflags(["-O3"], "kf_pch_probe")
        # What a recurring flag set gets in the background; here made (or waited for) by the test itself.
        # The test suite's fixtures compile with these flags too: it is theirs, made once per machine.
        self.assertIn(pch.generate(root, CXX, flags, wait=True), ("made", "ready"))
        cpp = (f"#include <torch/extension.h>\n// {uuid.uuid4().hex}: a fresh build\n"
               "torch::Tensor kf_pch_twice(torch::Tensor x) { return x * 2; }\n")
        source = ("from torch.utils.cpp_extension import load_inline\n"
                  f"ext = load_inline(name='kf_pch_probe', cpp_sources={cpp!r}, functions=['kf_pch_twice'],"
                  " extra_cflags=['-O3'], verbose=False)\n")
        ext_root = Path(tempfile.mkdtemp(prefix="kforge-pch-builds-")) / "ext"
        folder = building.build_dir_for(source, ext_root)
        recorder = building.FlagRecorder()
        with mock.patch.object(pch, "_DIR", str(root)), mock.patch.object(building, "_INLINE_BUILDS", None):
            module, _ = building.import_candidate(source, Path(tempfile.mkdtemp()), recorder, folder)
        self.assertEqual(module.ext.kf_pch_twice(torch.arange(3.0)).tolist(), [0.0, 2.0, 4.0])
        self.assertEqual(recorder.as_string(), "-O3")  # compile_flags: what the candidate asked for
        ninja = next((ext_root / building.INLINE_SHARED_DIR).rglob("build.ninja"))
        cflags = pch._ninja_cflags(str(ninja)) or ""
        self.assertTrue(cflags.endswith(f" -I{folder_of(root, flags)}"), cflags)
        # GCC, asked with the build's own command, says it read the .gch ("!"; "x" where it is not valid).
        shown = subprocess.run(["/bin/sh", "-c", f"{CXX} {cflags} -H -fsyntax-only {shlex.quote(str(ninja.parent / 'main.cpp'))}"],
                               capture_output=True, text=True, check=True).stderr.splitlines()
        self.assertTrue(shown and shown[0].startswith("! ") and shown[0].endswith(".gch"), shown[:3])

    def test_prewarm_makes_the_header_a_build_with_those_flags_uses(self):
        # The same shared folder as above: the test suite's global setup prewarms these sets there, so this
        # waits for that generation or finds it made, instead of paying for another.
        root = Path(os.environ.get(pch.DIR_ENV) or tempfile.mkdtemp(prefix="kforge-pch-root-"))
        self.assertIn(pch.prewarm(root, [["-O3"]], CXX)[0], ("made", "ready"))
        flags = pch.torch_cflags(["-O3"], "kf_any_name")
        self.assertTrue(pch.ready(folder_of(root, flags)))
        self.assertNotIn("-O3", pch.torch_cflags([], "kf_any_name"))
        self.assertEqual(flags[-1], "-O3")  # the candidate's flags last, as torch writes them


if __name__ == "__main__":
    unittest.main()
