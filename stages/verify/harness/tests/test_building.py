"""building.owned_build_dir: one worker at a time imports (builds) a given source, only while it imports.
building.shared_inline_builds: candidates whose load_inline calls are identical build the extension once.

Held for a worker's whole life (as it once was), the folder lock serialised workers with identical
sources end to end: the second waited for the first's correctness trials and timing, and that wait was
booked as its build time. Whoever holds the lock knows any torch lock file in the folder is a killed
build's, and removes it."""
from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import torch

import helpers  # noqa: F401
from kforge_harness import building
from kforge_harness.kernel_names import own_kernel_names
from kforge_harness.pch import lock_is_free


def flock_is_free(folder: Path) -> bool:
    return lock_is_free(folder / building.BUILD_FLOCK)


class OwnedBuildDirTest(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="kforge-building-")) / "abc"

    def test_held_while_importing_and_released_after(self):
        acquired: list[bool] = []
        with building.owned_build_dir(self.folder, lambda: acquired.append(True)):
            self.assertEqual(acquired, [True])
            self.assertFalse(flock_is_free(self.folder))  # another worker of this source waits
        self.assertTrue(flock_is_free(self.folder))  # and goes on once the import is done

    def test_released_when_the_import_raises(self):
        with self.assertRaises(RuntimeError):
            with building.owned_build_dir(self.folder, lambda: None):
                raise RuntimeError("compile error")
        self.assertTrue(flock_is_free(self.folder))

    def test_clears_the_lock_file_a_killed_build_left(self):
        stale = self.folder / "ext_name" / "lock"
        stale.parent.mkdir(parents=True)
        stale.write_text("")
        with building.owned_build_dir(self.folder, lambda: None):
            self.assertFalse(stale.exists())


SHARED_CPP = "#include <torch/extension.h>\ntorch::Tensor kf_shared_twice(torch::Tensor x) { return x * 2; }\n"
SHARED_CALL = ("from torch.utils.cpp_extension import load_inline\n"
               f"ext = load_inline(name='kf_shared_test', cpp_sources={SHARED_CPP!r}, functions=['kf_shared_twice'],"
               " verbose=False)\n")


class SharedInlineBuildsTest(unittest.TestCase):
    def test_keyed_by_every_argument_and_only_where_exact(self):
        key = building.inline_build_key
        base = key(("ext",), {"cpp_sources": SHARED_CPP, "functions": ["f"]})
        self.assertIsNotNone(base)
        self.assertEqual(key((), {"functions": ["f"], "cpp_sources": SHARED_CPP, "name": "ext"}),
                         key((), {"name": "ext", "cpp_sources": SHARED_CPP, "functions": ["f"]}))
        for other in (key(("ext",), {"cpp_sources": SHARED_CPP + " ", "functions": ["f"]}),
                      key(("ext2",), {"cpp_sources": SHARED_CPP, "functions": ["f"]}),
                      key(("ext",), {"cpp_sources": SHARED_CPP, "functions": ["f"], "extra_cflags": ["-O3"]})):
            self.assertNotEqual(other, base)
        # Not keyed (built in the candidate's own folder, as before): parameters past cpp_sources given by
        # position, an explicit build_directory, a value that is not plain data.
        self.assertIsNone(key(("ext", SHARED_CPP, None), {}))
        self.assertIsNone(key(("ext",), {"cpp_sources": SHARED_CPP, "build_directory": "/tmp/x"}))
        self.assertIsNone(key(("ext",), {"cpp_sources": SHARED_CPP, "functions": [object()]}))

    def test_candidates_differing_in_python_build_once_and_each_folder_shows_its_kernels(self):
        ext_root = Path(tempfile.mkdtemp(prefix="kforge-shared-builds-")) / "ext"
        scratch = Path(tempfile.mkdtemp(prefix="kforge-shared-scratch-"))
        sources = [SHARED_CALL + "A = 1\n", SHARED_CALL + "B = 2\n"]
        folders = [building.build_dir_for(s, ext_root) for s in sources]
        self.assertNotEqual(folders[0], folders[1])
        built: list[tuple[int, int]] = []
        # The keyed builds beside the per-source folders, whatever KFORGE_INLINE_BUILDS the suite runs under.
        self.enterContext(mock.patch.object(building, "_INLINE_BUILDS", None))
        for source, folder in zip(sources, folders):
            module, _ = building.import_candidate(source, scratch, building.FlagRecorder(), folder)
            self.assertEqual(module.ext.kf_shared_twice(torch.ones(2)).tolist(), [2.0, 2.0])
            shared = list((ext_root / building.INLINE_SHARED_DIR).rglob("kf_shared_test.so"))
            self.assertEqual(len(shared), 1)  # one build for both
            built.append((shared[0].stat().st_ino, shared[0].stat().st_mtime_ns))
            own = folder / "kf_shared_test" / "kf_shared_test.so"
            self.assertTrue(own.samefile(shared[0]))
            self.assertIn("kf_shared_twice", own_kernel_names(folder))  # what the profiler reads
        self.assertEqual(built[0], built[1])  # the second import compiled and linked nothing


class InlineBuildsRootTest(unittest.TestCase):
    """The keyed builds lie beside the per-source folders, or in one folder for the machine when the driver
    was given $KFORGE_INLINE_BUILDS (passed on to its workers)."""

    def test_beside_the_per_source_folders_by_default(self):
        with mock.patch.object(building, "_INLINE_BUILDS", None):
            self.assertEqual(building.inline_builds_root(Path("/b/ext/abc")), Path("/b/ext/inline"))

    def test_the_machine_wide_folder_when_given(self):
        with mock.patch.object(building, "_INLINE_BUILDS", "/shared/inline"):
            self.assertEqual(building.inline_builds_root(Path("/b/ext/abc")), Path("/shared/inline"))
        from kforge_harness import sandbox
        env = sandbox.worker_env({"KFORGE_INLINE_BUILDS": "/shared/inline"}, Path("/tmp/s"), Path("/b/ext/abc"), Path("/h"), 1,
                                 Path("/b/cache"))
        self.assertEqual(env["KFORGE_INLINE_BUILDS"], "/shared/inline")
        self.assertNotIn("KFORGE_INLINE_BUILDS", sandbox.worker_env({}, Path("/tmp/s"), Path("/b/ext/abc"), Path("/h"), 1,
                                                                    Path("/b/cache")))


class StoppedBuildTest(unittest.TestCase):
    """driver._kill_group: ninja starts each command in a process group of its own, so a group kill of the
    worker alone left its compiler running (~35 s of CPU on 2 cores, after every build stopped at its limit
    or by an interrupt). What is left of the worker's session goes too."""

    def test_a_command_ninja_started_dies_with_the_worker(self):
        import shutil
        import signal
        import subprocess
        import time
        from kforge_harness import driver
        if shutil.which("ninja") is None:
            self.skipTest("no ninja")
        work = Path(tempfile.mkdtemp(prefix="kforge-stopped-build-"))
        (work / "build.ninja").write_text("rule slow\n  command = sleep 60 && touch $out\nbuild out: slow\n")
        worker = subprocess.Popen(["ninja", "-C", str(work)], stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            while len(driver._session_members(worker.pid)) < 3 and time.monotonic() < deadline:  # ninja, sh, sleep
                time.sleep(0.05)
            members = driver._session_members(worker.pid)
            self.assertGreaterEqual(len(members), 3, members)
            self.assertTrue(any(os.getpgid(p) != worker.pid for p in members))  # the command's own group
            driver._kill_group(worker.pid)
            worker.wait(10)
            deadline = time.monotonic() + 10
            while driver._session_members(worker.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(driver._session_members(worker.pid), [])
        finally:
            for p in driver._session_members(worker.pid):
                os.kill(p, signal.SIGKILL)
            worker.kill()
            worker.wait()


if __name__ == "__main__":
    unittest.main()
