"""Workers forked from the driver's fork server (fork_server.py, fork_child.py) are as isolated as
spawned ones: a session of their own, only the allow-listed environment (nothing of the driver's, nor
of the server's), the job's scratch folder as working and temp directory, the address-space limit, a
command line that names the worker, the log for their output; a death by signal and a time-out read as
they do for a spawned worker. Each candidate here reports what it sees from inside the worker."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

import helpers
from kforge_harness import fork_server
from kforge_harness.driver import Driver, DriverOptions
from kforge_harness.protocol import VerifyJob

RELU = (helpers.REPO / "kernelbench" / "builtin" / "level1" / "1001_ReLU.py").read_text(encoding="utf-8")
MEMORY_MB = 12288


def probe_candidate(report: Path, tail: str = "") -> str:
    """A correct ReLU whose import writes, to `report`, what its process looks like."""
    return textwrap.dedent(f"""\
        import json, os, resource, sys, tempfile
        import torch
        import torch.nn as nn
        with open({str(report)!r}, "w") as f:
            json.dump({{
                "pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0), "pgid": os.getpgid(0),
                "cwd": os.getcwd(), "tempdir": tempfile.gettempdir(), "env": sorted(os.environ),
                "rlimit_as": resource.getrlimit(resource.RLIMIT_AS)[0],
                "cmdline": open("/proc/self/cmdline", "rb").read().replace(b"\\0", b" ").decode(),
                "stdin": sys.stdin.read(),
            }}, f)

        class ModelNew(nn.Module):
            def forward(self, x):  # after the import (whose output is the build log): into the worker's log
                print("kforge-probe to stdout")
                print("kforge-probe to stderr", file=sys.stderr)
                return torch.relu(x)
        """) + tail


class ForkedWorkerTest(unittest.TestCase):
    def setUp(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="kforge-fork-"))

    def driver(self, **env: str) -> Driver:
        parent_env = {**os.environ, "KFORGE_TEST_SECRET": "do-not-leak", **env}
        return Driver(DriverOptions(build_root=self.work / "builds", scratch_root=self.work / "scratch",
                                    lock_dir=self.work / "locks", workers=1, memory_mb=MEMORY_MB, keep_scratch=True,
                                    network_isolation=False, parent_env=parent_env))

    def job(self, source: str, name: str = "probe", timeout_s: float = 120) -> VerifyJob:
        return VerifyJob.from_dict({"candidate_id": name, "problem": {"name": "1001_ReLU", "code": RELU},
                                    "kernel_source": source, "backend": "cpu", "trials": 1,
                                    "timing": {"warmup": 1, "repeats": 2}, "timeout_s": timeout_s, "seed": 3})

    def test_a_forked_worker_is_isolated_as_a_spawned_one(self):
        report = self.work / "forked.json"
        result = self.driver().run_one(self.job(probe_candidate(report)))
        self.assertTrue(result["correct"], result["fail_message"])
        seen = json.loads(report.read_text())
        self.assertNotEqual(seen["ppid"], os.getpid(), "forked from the server, not spawned by the driver")
        self.assertEqual((seen["sid"], seen["pgid"]), (seen["pid"], seen["pid"]))  # the group the driver kills
        self.assertNotIn("KFORGE_TEST_SECRET", seen["env"])
        self.assertIn("TORCH_EXTENSIONS_DIR", seen["env"])
        scratch = Path(seen["cwd"])
        self.assertEqual(scratch.parent, self.work / "scratch")
        self.assertEqual(seen["tempdir"], str(scratch / "tmp"))
        self.assertEqual(seen["rlimit_as"], MEMORY_MB * 1024 * 1024)  # set in the worker, not inherited:
        self.assertNotEqual(resource.getrlimit(resource.RLIMIT_AS)[0], MEMORY_MB * 1024 * 1024)
        self.assertIn("kforge_harness.worker", seen["cmdline"])
        self.assertEqual(seen["stdin"], "")
        log = (scratch / "worker.log").read_text()
        self.assertIn("kforge-probe to stdout", log)
        self.assertIn("kforge-probe to stderr", log)

    def test_switched_off_the_driver_spawns_its_worker(self):
        report = self.work / "spawned.json"
        result = self.driver(**{fork_server.ENV_SWITCH: "0"}).run_one(self.job(probe_candidate(report)))
        self.assertTrue(result["correct"], result["fail_message"])
        seen = json.loads(report.read_text())
        self.assertEqual(seen["ppid"], os.getpid())
        self.assertNotIn("KFORGE_TEST_SECRET", seen["env"])

    def test_a_death_by_signal_is_a_crash_named_by_its_signal(self):
        source = probe_candidate(self.work / "segv.json", "\nimport signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
        result = self.driver().run_one(self.job(source, "segv"))
        self.assertEqual(result["fail_stage"], "crash")
        self.assertIn("SIGSEGV", result["fail_message"])

    def test_a_hang_times_out_and_its_process_is_gone(self):
        report = self.work / "hang.json"
        source = probe_candidate(report, "\nimport time\nwhile True:\n    time.sleep(1)\n")
        result = self.driver().run_one(self.job(source, "hang", timeout_s=3))
        self.assertEqual(result["fail_stage"], "timeout")
        pid = json.loads(report.read_text())["pid"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        self.assertFalse(_alive(pid))

    def test_the_environment_is_described_as_verify_py_describes_it(self):
        printed = subprocess.run([sys.executable, str(helpers.HARNESS / "verify.py"), "--environment", "--backend", "cpu"],
                                 capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        self.assertEqual(self.driver().describe("cpu"), json.loads(printed))  # from a fork
        self.assertEqual(self.driver(**{fork_server.ENV_SWITCH: "0"}).describe("cpu"), json.loads(printed))

    def test_a_backend_without_its_device_is_an_error_naming_it(self):
        import torch
        if torch.cuda.is_available():
            self.skipTest("this host has a GPU")
        with self.assertRaisesRegex(fork_server.DescribeError, "cuda"):
            self.driver().describe("cuda")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


if __name__ == "__main__":
    unittest.main()
