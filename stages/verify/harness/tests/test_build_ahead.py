"""A candidate's several load_inline calls build side by side (build_ahead.py).

No compiler runs here: torch's load_inline (below every layer of the import's chain) is replaced by a stand-in
that writes a build's files, burns a little CPU, sleeps, and logs which process built what and when; the
.so loader by one that hands back a module. What is real: the forks, the probe's isolation from this process,
wait4's CPU seconds, the build store, the keyed folders, the recorder. The real compile of several calls
runs where it matters, in the fleet runs on the GPU host (docs/fleet.md).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
import time
import types
import unittest
from pathlib import Path

import helpers  # noqa: F401  (puts the harness on sys.path)
from kforge_harness import build_ahead, building
from kforge_harness.build_store import BuildStore
from kforge_harness.store_builds import StoreBuilds, toolchain_id

THREE_CALLS = textwrap.dedent('''
    import torch
    from torch.utils.cpp_extension import load_inline
    a = load_inline(name="ext_a", cpp_sources="int a();", functions=["a"], extra_cflags=("-O3",))
    b = load_inline(name="ext_b", cpp_sources="int b();", functions=["b"])
    c = load_inline("ext_c", "int c();", functions=["c"])

    class ModelNew(torch.nn.Module):
        def forward(self, x):
            return a.a(x) + b.b(x) + c.c(x)
''')


def _keyable(call: build_ahead.Call) -> bool:
    return building.inline_build_key(*call) is not None


class ProbeTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kforge-ahead-"))

    def test_the_calls_before_the_first_use_of_an_extension_come_back(self):
        calls = build_ahead.probe_calls(THREE_CALLS, self.dir, _keyable)
        self.assertEqual([k.get("name", a[0] if a else None) for a, k in calls], ["ext_a", "ext_b", "ext_c"])
        self.assertEqual(calls[0][1]["extra_cflags"], ["-O3"])  # a tuple reads back as a list: same key
        self.assertEqual(calls[2][0], ("ext_c", "int c();"))

    def test_the_probe_stops_at_a_use_and_leaves_this_process_alone(self):
        source = textwrap.dedent('''
            import torch
            from torch.utils.cpp_extension import load_inline
            torch._kforge_probe_marker = True
            a = load_inline(name="ext_a", cpp_sources="int a();")
            forward = a.forward          # needs the built extension: the probe ends here
            b = load_inline(name="ext_b", cpp_sources="int b();")
        ''')
        import torch
        from torch.utils import cpp_extension
        before, module_before = cpp_extension.load_inline, sys.modules.get(build_ahead.MODULE_NAME)
        calls = build_ahead.probe_calls(source, self.dir, _keyable)
        self.assertEqual([k["name"] for _, k in calls], ["ext_a"])
        self.assertFalse(hasattr(torch, "_kforge_probe_marker"))  # it ran in a child
        self.assertIs(cpp_extension.load_inline, before)
        self.assertIs(sys.modules.get(build_ahead.MODULE_NAME), module_before)

    def test_unkeyable_calls_and_a_failing_module_give_what_was_collected(self):
        source = textwrap.dedent('''
            from torch.utils.cpp_extension import load_inline
            a = load_inline(name="ext_a", cpp_sources="int a();", build_directory="/tmp/mine")
            b = load_inline(name="ext_b", cpp_sources="int b();")
            raise RuntimeError("needs a GPU")
        ''')
        calls = build_ahead.probe_calls(source, self.dir, _keyable)
        self.assertEqual([k["name"] for _, k in calls], ["ext_b"])

    def test_a_module_too_slow_to_probe_gives_nothing_and_is_killed(self):
        source = "import time\nfrom torch.utils.cpp_extension import load_inline\ntime.sleep(60)\n"
        started = time.monotonic()
        self.assertEqual(build_ahead.probe_calls(source, self.dir, _keyable, limit_s=1.0), [])
        self.assertLess(time.monotonic() - started, 30)

    def test_only_a_source_naming_load_inline_twice_is_probed(self):
        self.assertTrue(build_ahead.worth_probing(THREE_CALLS))
        self.assertFalse(build_ahead.worth_probing("from torch.utils.cpp_extension import load_inline\nx = 1\n"))


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


class BuildAllTest(unittest.TestCase):
    def test_calls_build_in_children_at_once_and_their_cpu_is_counted(self):
        log = Path(tempfile.mkdtemp(prefix="kforge-ahead-")) / "log"

        def build(args, kwargs) -> bool:
            start = time.time()
            _burn(0.3)
            time.sleep(1.0)
            with open(log, "a") as f:
                f.write(json.dumps({"pid": os.getpid(), "start": start, "end": time.time()}) + "\n")
            return kwargs["name"] != "found"

        calls = [((), {"name": "x"}), ((), {"name": "y"}), ((), {"name": "found"})]
        report = build_ahead.build_all(calls, build, parallel=3)
        rows = [json.loads(ln) for ln in log.read_text().splitlines()]
        self.assertEqual(len(rows), 3)
        self.assertNotIn(os.getpid(), {r["pid"] for r in rows})
        self.assertLess(max(r["start"] for r in rows), min(r["end"] for r in rows))  # all three at once
        self.assertEqual((report.built, report.found, report.failed), (2, 1, 0))
        self.assertGreaterEqual(report.cpu_s, 0.8)  # 3 x 0.3 s of the children's CPU, from wait4

    def test_a_failing_build_is_counted_and_left_to_the_import(self):
        def build(args, kwargs) -> bool:
            raise RuntimeError("Error building extension")

        report = build_ahead.build_all([((), {"name": "x"}), ((), {"name": "y"})], build, parallel=1)
        self.assertEqual((report.built, report.failed), (0, 2))


class FakeTorchBuild:
    """torch's load_inline and .so loader, stood in for: the build writes its files where it is told and
    logs (pid, name, start, end); the loader returns a module naming the folder it was loaded from."""

    def __init__(self, log: Path):
        self.log = log

    def load_inline(self, name, cpp_sources=None, *args, build_directory=None, **kwargs):
        start = time.time()
        time.sleep(0.8)
        folder = Path(build_directory)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.so").write_bytes(b"\x7fELF " + str(cpp_sources).encode())
        with open(self.log, "a") as f:
            f.write(json.dumps({"pid": os.getpid(), "name": name, "start": start, "end": time.time()}) + "\n")
        return types.SimpleNamespace(name=name, folder=str(folder))

    def import_library(self, name, folder, is_python_module=True):
        return types.SimpleNamespace(name=name, folder=folder)

    def rows(self) -> list[dict]:
        return [json.loads(ln) for ln in self.log.read_text().splitlines()] if self.log.exists() else []


class ImportTest(unittest.TestCase):
    """import_candidate with the build store and the keyed folders, as the build phase runs it."""

    def setUp(self) -> None:
        from torch.utils import cpp_extension
        self.work = Path(tempfile.mkdtemp(prefix="kforge-ahead-"))
        self.fake = FakeTorchBuild(self.work / "builds.log")
        saved = cpp_extension.load_inline, cpp_extension._import_module_from_library
        cpp_extension.load_inline, cpp_extension._import_module_from_library = self.fake.load_inline, self.fake.import_library
        self.addCleanup(lambda: setattr(cpp_extension, "load_inline", saved[0]))
        self.addCleanup(lambda: setattr(cpp_extension, "_import_module_from_library", saved[1]))
        self.events: list[str] = []

    def run_import(self, source: str, store: BuildStore | None, publish: bool) -> tuple[types.ModuleType, StoreBuilds, building.FlagRecorder]:
        recorder = building.FlagRecorder(lambda: self.events.append("start"), lambda: self.events.append("end"))
        scratch = self.work / f"scratch-{len(self.events)}"
        scratch.mkdir()
        build_dir = self.work / "ext" / "cand"
        builds = StoreBuilds(store, build_dir, publish, toolchain_id("cpu") if store is not None else None)
        module, _output = building.import_candidate(source, scratch, recorder, build_dir, builds.active())
        return module, builds, recorder

    def test_the_build_phase_builds_every_call_at_once_and_the_import_takes_them_from_the_store(self):
        store = BuildStore(self.work / "store")
        module, builds, recorder = self.run_import(THREE_CALLS, store, publish=True)
        rows = self.fake.rows()
        self.assertEqual(sorted(r["name"] for r in rows), ["ext_a", "ext_b", "ext_c"])  # each built once
        self.assertNotIn(os.getpid(), {r["pid"] for r in rows})
        self.assertLess(max(r["start"] for r in rows), min(r["end"] for r in rows))
        self.assertEqual((builds.calls, builds.hits, builds.ahead_built), (3, 3, 3))
        self.assertEqual(builds.source(), "built_here")
        self.assertTrue(builds.built_here)
        self.assertEqual(len(builds.keys), 3)
        self.assertTrue(all(store.lookup(k, n) for k, n in zip(builds.keys, ("ext_a", "ext_b", "ext_c"))))
        self.assertEqual(recorder.names, ["ext_a", "ext_b", "ext_c"])  # the import's own calls, once each
        self.assertEqual(recorder.flags, ["-O3"])
        self.assertEqual(self.events.count("start"), self.events.count("end"))
        self.assertEqual(module.a.name, "ext_a")
        self.assertGreater(builds.wall_s, 0.5)

        # The GPU phase of the same candidate: everything in the store, nothing built, nothing probed.
        _module, again, _ = self.run_import(THREE_CALLS, store, publish=False)
        self.assertEqual(len(self.fake.rows()), 3)
        self.assertEqual((again.hits, again.ahead_built, again.source()), (3, 0, "store"))

    def test_without_a_store_the_keyed_folders_are_built_ahead(self):
        module, builds, recorder = self.run_import(THREE_CALLS, None, publish=False)
        rows = self.fake.rows()
        # Three children built, then the import's own calls ran through the keyed folders (torch's
        # up-to-date check there; the stand-in builds again, in this process).
        children = [r for r in rows if r["pid"] != os.getpid()]
        self.assertEqual(sorted(r["name"] for r in children), ["ext_a", "ext_b", "ext_c"])
        self.assertLess(max(r["start"] for r in children), min(r["end"] for r in children))
        self.assertEqual(builds.ahead_built, 3)
        self.assertEqual(builds.source(), "built_here")

    def test_a_single_call_is_not_probed(self):
        source = "from torch.utils.cpp_extension import load_inline\nm = load_inline(name='only', cpp_sources='int f();')\n"
        _module, builds, _ = self.run_import(source, BuildStore(self.work / "store"), publish=True)
        self.assertEqual([r["pid"] for r in self.fake.rows()], [os.getpid()])
        self.assertEqual((builds.ahead_built, builds.built), (0, 1))


if __name__ == "__main__":
    unittest.main()
