"""Builds off the GPU: verify.py --phase build into a build store, then --phase gpu from it.

The store's own guarantees are tested without a compiler (entries appear whole or not at all, a torn copy
is refused, a builder killed mid-build leaves nothing under the key, two publishers of a key leave one
good entry). The phases are tested end to end on the cpu backend with one real C++ build: two build
workers of the same job at once (one compiles, the other waits and takes the entry), then the gpu phase
with `ninja` and `c++` on PATH replaced by spies that log every call (no compiler may run), against a
single-phase run of the same job; and a compiler failure in the build phase, a final `build` verdict.
"""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

import helpers
from kforge_harness.build_store import BuildStore

VERIFY = helpers.HARNESS / "verify.py"
FIXTURES = helpers.REPO / "test" / "fixtures" / "candidates" / "cpu"
RELU = helpers.REPO / "kernelbench" / "builtin" / "level1" / "1001_ReLU.py"
# Shared with the vitest harness tests (test/harness/jobs.ts): a second run of a source is a cache hit.
SHARED_BUILD_ROOT = Path(tempfile.gettempdir()) / "kforge-test-builds"
# What must agree between a single-phase run and build-then-gpu (timings differ run to run, by nature,
# and so do the flags read off them: a 3-call ReLU timing on a loaded host can pass 10x either way).
VERDICT = ("compiled", "correct", "fail_stage", "trials_passed", "trials_run", "seeds", "passes_policies",
           "inputs_unchanged", "deterministic", "max_abs_error", "suspect", "static_findings",
           "compile_flags", "build_rewrites", "atol", "rtol", "verifier_version")
TIMING_FLAGS = {"speedup_over_10x", "faster_than_light"}


def verdict(r: dict) -> dict:
    return {**{k: r[k] for k in VERDICT}, "flags": sorted(set(r["flags"]) - TIMING_FLAGS)}


def job(candidate_id: str, source: str, backend: str = "cpu") -> dict:
    code = RELU.read_text(encoding="utf-8")
    return {"candidate_id": candidate_id, "problem": {"name": "1001_ReLU", "code": code, "key": "k"},
            "kernel_source": source, "backend": backend, "tolerance_policy": "default", "trials": 2,
            "timing": {"warmup": 1, "repeats": 3}, "timeout_s": 240, "seed": 7, "compile_reference": False}


def spy_path(folder: Path, log: Path) -> str:
    """A PATH whose ninja and c++/g++ log their call (and its arguments) to `log`, then run the real one."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool in ("ninja", "c++", "g++"):
        real = subprocess.run(["which", tool], capture_output=True, text=True, check=True).stdout.strip()
        script = folder / tool
        script.write_text(f"#!/bin/sh\necho {tool} \"$*\" >> {log}\nexec {real} \"$@\"\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return f"{folder}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"


def compiles(log: Path) -> list[str]:
    """The spied calls that build something (the store's key asks `c++ --version`: not a build)."""
    lines = log.read_text().splitlines() if log.exists() else []
    return [ln for ln in lines if not ln.endswith("--version")]


class Run:
    """verify.py on a jobs file, started now; `.results()` waits for it."""

    def __init__(self, work: Path, name: str, jobs: list[dict], args: list[str], env: dict | None = None):
        self.out = work / f"{name}.jsonl"
        jobs_file = work / f"{name}-jobs.jsonl"
        jobs_file.write_text("".join(json.dumps(j) + "\n" for j in jobs), encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, str(VERIFY), "--jobs", str(jobs_file), "--out", str(self.out),
                                      "--scratch-root", str(work / "scratch"), "--workers", "1", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})

    def results(self) -> dict[str, dict]:
        output = self.proc.communicate(timeout=900)[0].decode(errors="replace")
        assert self.proc.returncode == 0, output
        return {r["candidate_id"]: r for r in map(json.loads, self.out.read_text().splitlines())}


class StoreTest(unittest.TestCase):
    def setUp(self) -> None:
        self.store = BuildStore(Path(tempfile.mkdtemp(prefix="kforge-store-")))

    def built(self, key: str, payload: bytes = b"\x7fELF built") -> bool:
        with self.store.building(key) as tmp:
            (tmp / "ext").mkdir()
            (tmp / "ext" / "ext.so").write_bytes(payload)
            return self.store.publish(key, tmp, "ext", {"build_cpu_s": 1.0})

    def test_an_entry_is_used_only_whole(self):
        self.assertTrue(self.built("k1"))
        found = self.store.lookup("k1", "ext")
        self.assertEqual(found, self.store.root / "k1" / "ext")
        self.assertIsNone(self.store.lookup("k1", "other_name"))
        (found / "ext.so").write_bytes(b"\x7fELF bu")  # torn: a copy from an object store cut short
        self.assertIsNone(self.store.lookup("k1", "ext"))
        (self.store.root / "k2" / "ext").mkdir(parents=True)  # a folder without its entry.json
        (self.store.root / "k2" / "ext" / "ext.so").write_bytes(b"x")
        self.assertIsNone(self.store.lookup("k2", "ext"))

    def test_two_publishers_of_one_key_leave_one_good_entry(self):
        self.assertTrue(self.built("k"))
        self.assertFalse(self.built("k", b"\x7fELF a second build"))  # the rename refuses: first one stays
        self.assertEqual((self.store.lookup("k", "ext") / "ext.so").read_bytes(), b"\x7fELF built")
        self.assertEqual(list((self.store.root / ".tmp").iterdir()), [])  # the loser cleaned up

    def test_a_builder_killed_mid_build_leaves_nothing_under_the_key(self):
        code = textwrap.dedent(f"""
            import os, sys
            sys.path.insert(0, {str(helpers.HARNESS)!r})
            from pathlib import Path
            from kforge_harness.build_store import BuildStore
            with BuildStore(Path({str(self.store.root)!r})).building("k") as tmp:
                (tmp / "ext").mkdir()
                (tmp / "ext" / "ext.so").write_bytes(b"half")
                print("building", flush=True)
                os.kill(os.getpid(), 9)
        """)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        self.assertIn("building", proc.stdout)
        self.assertEqual(len(list((self.store.root / ".tmp").iterdir())), 1)  # its half build stays there
        self.assertIsNone(self.store.lookup("k", "ext"))
        self.assertTrue(self.built("k"))  # the next builder is not blocked (the flock died with it)
        self.assertIsNotNone(self.store.lookup("k", "ext"))


class PhasesTest(unittest.TestCase):
    def test_build_then_gpu_gives_the_single_phase_verdict_without_compiling(self):
        work = Path(tempfile.mkdtemp(prefix="kforge-phases-"))
        store = work / "store"
        log = work / "spy.log"
        env = {"PATH": spy_path(work / "spy", log)}
        relu = job("relu_ok", (FIXTURES / "relu_ok.py").read_text(encoding="utf-8"))
        broken = job("bad_flag", (FIXTURES / "relu_ok.py").read_text(encoding="utf-8").replace(
            "extra_cflags=['-O3']", "extra_cflags=['-fkforge-no-such-flag']"))
        cuda = job("cuda_no_arch", relu["kernel_source"], backend="cuda")
        build = ["--phase", "build", "--build-store", str(store)]
        # Two build workers of one job at once (own build roots, as on two hosts), the single-phase run beside.
        runs = [Run(work, "build_a", [relu, broken, cuda], build + ["--build-root", str(work / "a")], env),
                Run(work, "build_b", [relu], build + ["--build-root", str(work / "b")], env),
                Run(work, "single", [relu], ["--build-root", str(SHARED_BUILD_ROOT)])]
        built_a, built_b, single = (r.results() for r in runs)
        pair = [built_a["relu_ok"], built_b["relu_ok"]]
        for r in pair:
            self.assertEqual((r["phase"], r["fail_stage"], r["compiled"]), ("build", None, True), r["fail_message"])
            self.assertEqual(len(r["build_store_keys"]), 1)
        self.assertEqual(sorted(r["build_source"] for r in pair), ["built_here", "store"])  # one compiled
        self.assertTrue(compiles(log))  # the spies see a compiler when one runs
        key = pair[0]["build_store_keys"][0]
        self.assertEqual(pair[1]["build_store_keys"], [key])
        self.assertIsNotNone(BuildStore(store).lookup(key, "relu_cpu"))
        self.assertGreater(next(r for r in pair if r["build_source"] == "built_here")["build_cpu_s"], 0)

        # A compiler failure is final, as in a single-phase run; a CUDA job without a target arch waits.
        bad = built_a["bad_flag"]
        self.assertEqual((bad["phase"], bad["fail_stage"], bad["compiled"], bad["correct"]), ("build", "build", False, False))
        self.assertIn("kforge-no-such-flag", bad["compile_log"])
        self.assertEqual((built_a["cuda_no_arch"]["build_source"], built_a["cuda_no_arch"]["fail_stage"]), ("deferred", None))
        self.assertIn("--cuda-arch", built_a["cuda_no_arch"]["fail_message"])

        log.unlink()
        gpu = Run(work, "gpu", [relu], ["--phase", "gpu", "--build-store", str(store), "--build-root", str(work / "g")],
                  env).results()["relu_ok"]
        self.assertEqual(compiles(log), [], "a compiler or ninja ran in the gpu phase")
        self.assertEqual((gpu["phase"], gpu["build_source"], gpu["build_store_keys"]), ("gpu", "store", [key]))
        self.assertEqual(gpu["build_cpu_s"], next(r for r in pair if r["build_source"] == "built_here")["build_cpu_s"])
        self.assertIsNotNone(gpu["load_s"])
        self.assertIsNotNone(gpu["gpu_busy_s"])
        self.assertEqual(gpu["gpu_busy_s"], gpu["gpu_exclusive_s"])  # device share 1: all of it exclusive
        self.assertEqual(single["relu_ok"]["phase"], "all")
        self.assertEqual(verdict(gpu), verdict(single["relu_ok"]))
        self.assertTrue(gpu["correct"])


if __name__ == "__main__":
    unittest.main()
