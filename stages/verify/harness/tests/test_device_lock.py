"""device_lock.DeviceLock on real flocks between real processes: shared holders overlap, the exclusive one
waits for them and keeps new shared takers out while it waits (the turnstile), a holder going from shared
to exclusive does not deadlock with another, and a lock goes when its process does. Each holder is a
Python process that reports every step on stdout; the assertions are about order, never durations."""
from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

import helpers  # noqa: F401
from kforge_harness import device_lock, poisoning

GIB = 1 << 30

HOLDER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from pathlib import Path
    from kforge_harness.device_lock import DeviceLock
    say = lambda what: (print(what, flush=True))
    lock = DeviceLock(Path(sys.argv[2]), lambda: say("wait"), lambda: say("acquired " + lock.mode))
    for mode in sys.argv[3:]:
        name, _, share = mode.partition(":")
        lock.shared(int(share or 4)) if name == "shared" else lock.exclusive()
        sys.stdin.readline()  # the test says when to go on; EOF (killed parent, closed pipe) too
    busy, exclusive = lock.held_s()
    say(f"busy {busy:.6f} exclusive {exclusive:.6f}")
""")


class Holder:
    def __init__(self, path: Path, *modes: str):
        # Unbuffered bytes, read a byte at a time: select() then sees every line the holder has written
        # (a text reader's buffer could hold the next line where select cannot see it).
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(helpers.HARNESS), str(path), *modes],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)

    def next_line(self, limit_s: float = 60.0) -> str:
        """The holder's next step; a holder stuck waiting fails the test instead of hanging it."""
        line = b""
        while not line.endswith(b"\n"):
            if not select.select([self.proc.stdout], [], [], limit_s)[0]:
                raise AssertionError(f"holder said nothing for {limit_s:.0f} s (stuck waiting for a lock)")
            byte = self.proc.stdout.read(1)
            if not byte:
                raise AssertionError(f"holder exited ({self.proc.wait()}) without saying more")
            line += byte
        return line.decode().strip()

    def go_on(self) -> None:
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()

    def end(self) -> None:
        """The process exits: its locks go with it (never released by hand)."""
        self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()


class DeviceLockTest(unittest.TestCase):
    def setUp(self):
        self.path = Path(tempfile.mkdtemp(prefix="kforge-lock-")) / "device-cuda-all.lock"
        self.holders: list[Holder] = []

    def tearDown(self):
        for h in self.holders:
            h.end()

    def holder(self, *modes: str) -> Holder:
        h = Holder(self.path, *modes)
        self.holders.append(h)
        return h

    def test_shared_holders_overlap_and_the_exclusive_one_waits_for_them(self):
        a, b = self.holder("shared"), self.holder("shared")
        self.assertEqual(a.next_line(), "acquired shared")
        self.assertEqual(b.next_line(), "acquired shared")  # no "wait": both hold it at once
        timer = self.holder("exclusive")
        self.assertEqual(timer.next_line(), "wait")
        a.end()
        b.end()
        self.assertEqual(timer.next_line(), "acquired exclusive")

    def test_at_most_share_candidates_check_at_once(self):
        # Either holder's slot freeing lets the waiter in (it once waited on one slot, the pid's pick).
        for leaving in (0, 1):
            holders = [self.holder("shared:2"), self.holder("shared:2")]
            self.assertEqual([h.next_line() for h in holders], ["acquired shared", "acquired shared"])
            third = self.holder("shared:2")
            self.assertEqual(third.next_line(), "wait")  # both slots taken
            holders[leaving].end()
            self.assertEqual(third.next_line(), "acquired shared")
            for h in (*holders, third):
                h.end()

    def test_a_slot_goes_when_its_holder_turns_to_timing(self):
        a = self.holder("shared:1", "exclusive")
        self.assertEqual(a.next_line(), "acquired shared")
        slot = os.open(self.path.with_name(self.path.name + ".slot0"), os.O_RDWR)
        turn = os.open(self.path.with_name(self.path.name + ".turn"), os.O_RDWR)
        try:
            with self.assertRaises(BlockingIOError):
                fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a's
            fcntl.flock(turn, fcntl.LOCK_EX)  # holds a at the turnstile on its way to timing
            a.go_on()
            self.assertEqual(a.next_line(), "wait")
            fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: a dropped it before queueing
            fcntl.flock(slot, fcntl.LOCK_UN)
            fcntl.flock(turn, fcntl.LOCK_UN)
            self.assertEqual(a.next_line(), "acquired exclusive")
        finally:
            os.close(slot)
            os.close(turn)

    def test_a_waiting_exclusive_taker_keeps_new_shared_takers_out(self):
        checking = self.holder("shared")
        self.assertEqual(checking.next_line(), "acquired shared")
        timer = self.holder("exclusive")
        self.assertEqual(timer.next_line(), "wait")
        late = self.holder("shared")
        self.assertEqual(late.next_line(), "wait")  # the device is shared now, but a timer is queued
        checking.end()
        self.assertEqual(timer.next_line(), "acquired exclusive")
        timer.end()
        self.assertEqual(late.next_line(), "acquired shared")

    def test_two_holders_going_from_shared_to_exclusive_both_get_it(self):
        a, b = self.holder("shared", "exclusive"), self.holder("shared", "exclusive")
        self.assertEqual([a.next_line(), b.next_line()], ["acquired shared", "acquired shared"])
        a.go_on()
        self.assertEqual(a.next_line(), "wait")  # b still checks
        b.go_on()  # b drops its shared lock and queues behind a: no deadlock
        self.assertEqual(a.next_line(), "acquired exclusive")
        self.assertEqual(b.next_line(), "wait")
        a.end()
        self.assertEqual(b.next_line(), "acquired exclusive")

    def test_busy_counts_both_modes_exclusive_only_the_last(self):
        h = self.holder("shared", "exclusive")
        self.assertEqual(h.next_line(), "acquired shared")
        h.go_on()
        self.assertEqual(h.next_line(), "acquired exclusive")
        h.go_on()
        _, busy, _, exclusive = h.next_line().split()
        self.assertGreater(float(busy), float(exclusive))
        self.assertGreater(float(exclusive), 0.0)

    def test_exclusive_alone_is_the_old_whole_measurement_lock(self):
        h = self.holder("exclusive")
        self.assertEqual(h.next_line(), "acquired exclusive")
        other = self.holder("shared")
        self.assertEqual(other.next_line(), "wait")
        h.go_on()
        _, busy, _, exclusive = h.next_line().split()
        self.assertEqual(busy, exclusive)
        self.assertEqual(other.next_line(), "acquired shared")  # h's process ended: its lock went with it

    def test_lock_paths_per_backend_and_devices(self):
        d = Path("/locks")
        self.assertEqual(device_lock.lock_path(d, "cpu", "0"), d / "device-cpu.lock")
        self.assertEqual(device_lock.lock_path(d, "cuda", "0,1"), d / "device-cuda-0_1.lock")
        self.assertEqual(device_lock.lock_path(d, "triton", None), d / "device-cuda-all.lock")


class FillBudgetTest(unittest.TestCase):
    def test_alone_all_free_memory_but_the_margin(self):
        self.assertEqual(poisoning.fresh_fill_budget(100 * GIB, 140 * GIB, 1), 100 * GIB - poisoning.POISON_MARGIN_BYTES)

    def test_shared_at_most_its_slice(self):
        self.assertEqual(poisoning.fresh_fill_budget(100 * GIB, 140 * GIB, 4), 35 * GIB - poisoning.POISON_MARGIN_BYTES)
        self.assertEqual(poisoning.fresh_fill_budget(10 * GIB, 140 * GIB, 4), 10 * GIB - poisoning.POISON_MARGIN_BYTES)

    def test_never_negative(self):
        self.assertEqual(poisoning.fresh_fill_budget(GIB, 140 * GIB, 1), 0)
        self.assertEqual(poisoning.fresh_fill_budget(100 * GIB, 2 * GIB, 4), 0)


if __name__ == "__main__":
    unittest.main()
