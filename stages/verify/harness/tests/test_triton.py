"""The triton backend with the real Triton, in its CPU interpreter (TRITON_INTERPRET=1): launch counting
(the proof of work without a GPU profiler), kernel ownership, the JIT warm-up as the build, tampering with
the launch path; a triton job on a host with neither a GPU nor the interpreter; and through the real driver,
a host without Triton (`load`). Skipped, saying why, only where triton cannot be imported.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import unittest
from pathlib import Path

import helpers  # noqa: F401,E402  (puts the harness on sys.path)
import torch  # noqa: E402

from kforge_harness import backends, evaluation, loading, sandbox, triton_launches, triton_support  # noqa: E402
from kforge_harness.driver import Driver, DriverOptions  # noqa: E402
from kforge_harness.protocol import VerifyJob  # noqa: E402

HAS_TRITON = importlib.util.find_spec("triton") is not None
SKIP = "triton is not importable here: bash scripts/setup.sh installs triton==3.2.0 (CI runs these tests)"

KERNEL = '''
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)
'''
LAUNCHES = KERNEL + '''

class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), BLOCK=256)
        return y
'''
NEVER_LAUNCHES = KERNEL + '''

class ModelNew(nn.Module):
    def forward(self, x):
        return torch.relu(x)
'''
BAD_KERNEL = '''
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bad_kernel(x_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(x_ptr + offs, tl.load(x_ptr + offs) + tl.zeros((BLOCK, 3), dtype=tl.float32))


class ModelNew(nn.Module):
    def forward(self, x):
        bad_kernel[(1,)](x, BLOCK=16)
        return x
'''
RELU_PROBLEM = (helpers.REPO / "test/fixtures/candidates/problems/small_relu.py").read_text(encoding="utf-8")


_SAVED_INTERPRET: list[str | None] = []


def setUpModule() -> None:  # noqa: N802
    # @triton.jit reads it when it decorates (at each candidate's import here); only for this module's
    # tests, so other modules' torch.compile on a GPU host keeps compiling.
    _SAVED_INTERPRET.append(os.environ.get("TRITON_INTERPRET"))
    os.environ["TRITON_INTERPRET"] = "1"


def tearDownModule() -> None:  # noqa: N802
    saved = _SAVED_INTERPRET.pop()
    if saved is None:
        os.environ.pop("TRITON_INTERPRET", None)
    else:
        os.environ["TRITON_INTERPRET"] = saved


def _import(source: str, name: str):
    module = loading.import_source(source, name, Path(tempfile.mkdtemp(prefix="kforge-triton-test-")))
    sys.modules.pop(name, None)
    return module


@unittest.skipUnless(HAS_TRITON, SKIP)
class TritonLaunchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        triton_support.require()

    def test_own_launch_counted_and_judged(self):
        model = _import(LAUNCHES, triton_launches.CANDIDATE_MODULE).ModelNew()
        x = torch.randn(1000)
        out, counts = triton_launches.launches_during(lambda: model(x))
        self.assertTrue(torch.equal(out, torch.relu(x)))
        self.assertEqual(dict(counts), {("relu_kernel", True): 1})
        self.assertEqual(triton_launches.judge_launches(counts)["flags"], [])
        self.assertEqual(triton_launches.judge_launches(counts)["kernels_launched"], ["relu_kernel"])

    def test_no_launch_and_foreign_launch_are_no_own_kernel(self):
        idle = _import(NEVER_LAUNCHES, triton_launches.CANDIDATE_MODULE).ModelNew()
        _, counts = triton_launches.launches_during(lambda: idle(torch.randn(64)))
        self.assertEqual(triton_launches.judge_launches(counts)["flags"], ["no_own_kernel"])
        foreign = _import(LAUNCHES, "some_library").ModelNew()  # a kernel, but not defined by the candidate
        _, counts = triton_launches.launches_during(lambda: foreign(torch.randn(64)))
        self.assertEqual(dict(counts), {("relu_kernel", False): 1})
        self.assertEqual(triton_launches.judge_launches(counts)["flags"], ["no_own_kernel"])

    def test_kernel_names_of_the_candidate(self):
        module = _import(LAUNCHES + "\nfrom triton.language import sum as imported_sum\n", "kforge_candidate")
        self.assertEqual(triton_support.module_kernels(module), {"relu_kernel"})
        self.assertEqual(triton_support.declared_kernels(LAUNCHES), {"relu_kernel"})
        autotuned = "import triton\n@triton.autotune(configs=[], key=[])\n@triton.jit\ndef k(x):\n    pass\n"
        self.assertEqual(triton_support.declared_kernels(autotuned), {"k"})

    def test_warm_up_is_the_build(self):
        model = _import(LAUNCHES, triton_launches.CANDIDATE_MODULE).ModelNew()
        log = triton_support.warm_up(lambda: model(torch.randn(512)), "3.x", interpreting=True)
        self.assertIn("kernels launched: relu_kernel", log)
        # As the worker makes it: the forward through evaluation.call, the build events around it.
        bad = _import(BAD_KERNEL, triton_launches.CANDIDATE_MODULE).ModelNew()
        events, result = [], {"compile_log": None}
        with self.assertRaises(evaluation.Stop) as caught:
            triton_support.build(lambda: evaluation.call(bad, [torch.randn(16)], torch.device("cpu"), "forward"),
                                 "3.x", result, events.append)
        self.assertEqual(caught.exception.stage, "build")
        self.assertIn("bad_kernel", result["compile_log"])
        self.assertEqual(events, ["build_start", "build_end"])

        def not_triton():
            raise ValueError("the candidate's own bug")
        with self.assertRaises(evaluation.Stop) as caught:  # not a Triton error: the forward's 'run' failure
            triton_support.build(lambda: evaluation.call(not_triton, [], torch.device("cpu"), "forward"),
                                 "3.x", result, events.append)
        self.assertEqual(caught.exception.stage, "run")

    def test_replacing_the_launch_path_is_tampering(self):
        from triton.runtime.interpreter import GridExecutor
        self.assertEqual(triton_launches.tampered(), [])
        ours = GridExecutor.__call__
        GridExecutor.__call__ = lambda self, *a, **k: None
        try:
            self.assertEqual(triton_launches.tampered(), ["GridExecutor.__call__"])
        finally:
            GridExecutor.__call__ = ours


class TritonCacheDirTest(unittest.TestCase):
    def test_triton_jobs_get_a_cache_per_source(self):
        ext = Path("/tmp/ext/abc")
        env = sandbox.worker_env({}, Path("/tmp/s"), ext, Path("/h"), 1, Path("/tmp/cache"), own_triton_cache=True)
        self.assertEqual(env["TRITON_CACHE_DIR"], str(ext / "triton"))
        env = sandbox.worker_env({"TRITON_INTERPRET": "1"}, Path("/tmp/s"), ext, Path("/h"), 1, Path("/tmp/cache"))
        self.assertEqual(env["TRITON_CACHE_DIR"], "/tmp/cache/triton")  # torch.compile's, shared
        self.assertEqual(env["TRITON_INTERPRET"], "1")


class TritonUnavailableTest(unittest.TestCase):
    def test_no_gpu_and_no_interpreter_says_what_to_do(self):
        with self.assertRaises(backends.BackendUnavailable) as caught:
            backends.device_type("triton", cuda_available=False, env={})
        self.assertIn("TRITON_INTERPRET=1", str(caught.exception))
        self.assertEqual(backends.device_type("triton", cuda_available=False, env={"TRITON_INTERPRET": "1"}), "cpu")
        self.assertEqual(backends.device_type("triton", cuda_available=True, env={}), "cuda")

    def test_host_without_triton_fails_at_load(self):
        """A real worker whose Python cannot import triton (a package on PYTHONPATH that raises ImportError)."""
        root = Path(tempfile.mkdtemp(prefix="kforge-triton-driver-"))
        fake = root / "fake" / "triton"
        fake.mkdir(parents=True)
        (fake / "__init__.py").write_text("raise ImportError(\"No module named 'triton'\")\n", encoding="utf-8")
        job = VerifyJob(candidate_id="missing", problem_name="small_relu", problem_code=RELU_PROBLEM, problem_key="k",
                        kernel_source=LAUNCHES, backend="triton", tolerance_policy="default", trials=1,
                        warmup=1, repeats=1, timeout_s=300.0, seed=7, compile_reference=False)
        env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONPATH": str(fake.parent)}
        driver = Driver(DriverOptions(build_root=root / "builds", scratch_root=root / "scratch", workers=1,
                                      lock_dir=root / "locks", parent_env=env))
        results = []
        driver.run_many([job], results.append)
        self.assertEqual(results[0]["fail_stage"], "load", results[0]["fail_message"])
        self.assertIn("Triton is not installed", results[0]["fail_message"])
        self.assertIn("pip install triton", results[0]["fail_message"])


if __name__ == "__main__":
    unittest.main()
