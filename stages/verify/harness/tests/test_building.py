"""building.owned_build_dir: one worker at a time imports (builds) a given source, only while it imports.

Held for a worker's whole life (as it once was), the folder lock serialised workers with identical
sources end to end: the second waited for the first's correctness trials and timing, and that wait was
booked as its build time. Whoever holds the lock knows any torch lock file in the folder is a killed
build's, and removes it."""
from __future__ import annotations

import fcntl
import os
import tempfile
import unittest
from pathlib import Path

import helpers  # noqa: F401
from kforge_harness import building


def flock_is_free(folder: Path) -> bool:
    fd = os.open(folder / building.BUILD_FLOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


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


if __name__ == "__main__":
    unittest.main()
