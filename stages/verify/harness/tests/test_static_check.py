"""static_check.check_source on small sources: each pattern is found, honest code is not flagged."""
from __future__ import annotations

import unittest

import helpers  # noqa: F401  (puts the harness on sys.path)
from kforge_harness.flags import FLAG_DOCS, SUSPECT_FLAGS
from kforge_harness.static_check import check_source

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nfrom torch.utils.cpp_extension import load_inline\n"
EXT = "ext = load_inline(name='k', cpp_sources=SRC, functions=['run'])\n"
CPP_OK = 'SRC = """\n#include <torch/extension.h>\ntorch::Tensor run(torch::Tensor x) { return x; }\n"""\n'


def model_new(forward_body: str, init_body: str = "        super().__init__()\n", extra: str = "") -> str:
    return (HEAD + CPP_OK + EXT + extra + "class ModelNew(nn.Module):\n    def __init__(self):\n" + init_body
            + "    def forward(self, x):\n" + forward_body)


HONEST = model_new("        y = torch.empty_like(x)\n        return ext.run(x.contiguous().view(-1)).view_as(x)\n")


class StaticCheckTest(unittest.TestCase):
    def flags(self, source: str, backend: str = "cpu") -> list[str]:
        found = check_source(source, backend)
        self.assertEqual(found, sorted(set(found)))
        for f in found:
            self.assertIn(f, FLAG_DOCS)
        return found

    def test_honest_source_has_no_flags(self):
        self.assertEqual(self.flags(HONEST), [])

    def test_torch_op_in_forward(self):
        for body in ("        return torch.relu(x)\n", "        return F.softmax(x, dim=1)\n",
                     "        return x @ x.t()\n", "        return x.sum(dim=1, keepdim=True)\n",
                     "        return torch.matmul(x, x)\n"):
            with self.subTest(body=body):
                self.assertIn("static:torch_op_in_forward", self.flags(model_new(body)))
        sub = model_new("        return self.lin(x)\n", "        super().__init__()\n        self.lin = nn.Linear(4, 4)\n")
        self.assertIn("static:torch_op_in_forward", self.flags(sub))
        cpp = HONEST.replace("return x; }", "return at::matmul(x, x); }")
        self.assertIn("static:torch_op_in_forward", self.flags(cpp))
        self.assertNotIn("static:torch_op_in_forward", self.flags(HONEST))

    def test_try_except_fallback(self):
        body = "        try:\n            return ext.run(x)\n        except Exception:\n            return torch.relu(x)\n"
        self.assertIn("static:try_except_fallback", self.flags(model_new(body)))
        build = HEAD + CPP_OK + "try:\n    ext = load_inline(name='k', cpp_sources=SRC, functions=['run'])\nexcept Exception:\n    ext = None\n"
        self.assertIn("static:try_except_fallback", self.flags(build))
        reraise = "        try:\n            return ext.run(x)\n        except Exception as e:\n            raise RuntimeError('x') from e\n"
        self.assertNotIn("static:try_except_fallback", self.flags(model_new(reraise)))

    def test_uses_reference(self):
        sub = HEAD + "class Model(nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\n" \
            + "class ModelNew(Model):\n    pass\n"
        self.assertIn("static:uses_reference", self.flags(sub))
        call = model_new("        return Model()(x)\n")
        self.assertIn("static:uses_reference", self.flags(call))
        imp = "from kforge_reference import Model as Ref\n" + HONEST
        self.assertIn("static:uses_reference", self.flags(imp))

    def test_streams_and_threads(self):
        for extra in ("import threading\n", "from concurrent.futures import ThreadPoolExecutor\n", "import asyncio\n",
                      "import multiprocessing as mp\n"):
            with self.subTest(extra=extra):
                self.assertIn("static:streams_or_threads", self.flags(extra + HONEST))
        stream = model_new("        s = torch.cuda.Stream()\n        with torch.cuda.stream(s):\n            return ext.run(x)\n")
        self.assertIn("static:streams_or_threads", self.flags(stream, "cuda"))
        cpp = HONEST.replace("return x; }", "cudaStream_t s; cudaStreamCreateWithFlags(&s, 1); return x; }")
        self.assertIn("static:streams_or_threads", self.flags(cpp, "cuda"))
        cpp = HONEST.replace("return x; }", "std::thread t([]{}); t.detach(); return x; }")
        self.assertIn("static:streams_or_threads", self.flags(cpp))

    def test_patches_harness(self):
        for extra in ("torch.allclose = lambda *a, **k: True\n", "import time\ntime.perf_counter = lambda: 0.0\n",
                      "torch.cuda.synchronize = lambda *a: None\n", "import builtins\n",
                      "import sys\nsys.modules['kforge_harness'] = None\n", "import kforge_harness.timing\n",
                      "setattr(torch, 'equal', lambda a, b: True)\n", "import sys\nf = sys._getframe(1)\n",
                      "import time as tm\ntm.perf_counter = tm.time\n"):
            with self.subTest(extra=extra):
                self.assertIn("static:patches_harness", self.flags(HONEST + extra))
        # Configuration that is not the harness's business.
        self.assertNotIn("static:patches_harness", self.flags(HONEST + "torch.backends.cudnn.benchmark = True\n"))

    def test_cross_call_cache(self):
        cases = {
            "module dict": ("        k = (x.data_ptr(), tuple(x.shape))\n        if k in CACHE:\n            return CACHE[k]\n"
                            "        CACHE[k] = ext.run(x)\n        return CACHE[k]\n", "CACHE = {}\n"),
            "counter": ("        self.calls += 1\n        return ext.run(x)\n", ""),
            "stored output": ("        self.last = ext.run(x)\n        return self.last\n", ""),
            "shape key on self": ("        self.cache[x.shape] = ext.run(x)\n        return self.cache[x.shape]\n", ""),
        }
        for name, (body, extra) in cases.items():
            with self.subTest(name=name):
                self.assertIn("static:cross_call_cache", self.flags(model_new(body, extra=extra)))
        # nn.BatchNorm's running statistics, updated the way the reference does in training mode (lb-1-33):
        # a registered buffer blended with this call's statistics is no cache. The same blend into a plain
        # attribute, a buffer overwritten with a result, or a buffer counted up still is.
        bn_init = ("        super().__init__()\n        self.register_buffer('running_mean', torch.zeros(4))\n"
                   "        self.register_buffer('calls', torch.zeros(()))\n")
        running = ("        mean = x.mean(dim=0)\n        self.running_mean = 0.9 * self.running_mean + 0.1 * mean\n"
                   "        return ext.run(x)\n")
        self.assertNotIn("static:cross_call_cache", self.flags(model_new(running, init_body=bn_init)))
        self.assertIn("static:cross_call_cache", self.flags(model_new(running)))  # not a buffer
        for body in ("        self.running_mean = ext.run(x)\n        return self.running_mean\n",
                     "        self.calls = self.calls + 1\n        return ext.run(x)\n",
                     "        self.calls += 1\n        return ext.run(x)\n"):
            with self.subTest(body=body):
                self.assertIn("static:cross_call_cache", self.flags(model_new(body, init_body=bn_init)))
        cpp = HONEST.replace("return x; }", "static torch::Tensor cached; return x; }")
        self.assertIn("static:cross_call_cache", self.flags(cpp))
        cpp = HONEST.replace("return x; }", "static int64_t calls = 0; calls++; return x; }")
        self.assertIn("static:cross_call_cache", self.flags(cpp))
        # A memoised device property (assigned once, never counted up) is honest.
        sm_count = HONEST.replace("return x; }", "static int sms = 0; if (sms == 0) { sms = 132; } return x; }")
        self.assertNotIn("static:cross_call_cache", self.flags(sm_count))
        aligned = model_new("        assert x.data_ptr() % 16 == 0\n        return ext.run(x)\n")
        self.assertNotIn("static:cross_call_cache", self.flags(aligned))
        helper = HONEST.replace("torch::Tensor run(", "static torch::Tensor helper(torch::Tensor x) { return x; }\ntorch::Tensor run(")
        self.assertNotIn("static:cross_call_cache", self.flags(helper))
        # Building (or memoising the build of) an extension lazily is not a result cache.
        lazy = (HEAD + CPP_OK + "_EXT = {}\n\ndef get_ext(kind):\n    if kind not in _EXT:\n"
                "        _EXT[kind] = load_inline(name=kind, cpp_sources=SRC, functions=['run'])\n    return _EXT[kind]\n\n"
                "class ModelNew(nn.Module):\n    def forward(self, x):\n        return get_ext('k').run(x)\n")
        self.assertNotIn("static:cross_call_cache", self.flags(lazy))
        memo = (HEAD + CPP_OK + "import functools\n\n@functools.lru_cache(None)\ndef ext():\n"
                "    return load_inline(name='k', cpp_sources=SRC, functions=['run'])\n\n"
                "class ModelNew(nn.Module):\n    def forward(self, x):\n        return ext().run(x)\n")
        self.assertNotIn("static:cross_call_cache", self.flags(memo))
        memo_result = memo.replace("def ext():\n    return load_inline(name='k', cpp_sources=SRC, functions=['run'])",
                                   "def result(key):\n    return None").replace("return ext().run(x)", "return result(x.shape) or x")
        self.assertIn("static:cross_call_cache", self.flags(memo_result))

    def test_precision_lowered(self):
        for src in (model_new("        return ext.run(x.half()).float()\n"),
                    model_new("        return ext.run(x.to(torch.bfloat16)).float()\n"),
                    HONEST + "torch.backends.cuda.matmul.allow_tf32 = True\n",
                    HONEST.replace("return x; }", "__half h = __float2half(1.0f); return x; }"),
                    HONEST.replace("functions=['run']", "functions=['run'], extra_cuda_cflags=['--use_fast_math']"),
                    HONEST.replace("return x; }", "return x.to(at::kHalf); }")):
            with self.subTest(src=src[-200:]):
                found = self.flags(src, "cuda")
                self.assertIn("precision_lowered", found)
                self.assertFalse(set(found) & SUSPECT_FLAGS, found)

    def test_tensor_subclass(self):
        sub = HONEST + "class Lazy(torch.Tensor):\n    @classmethod\n    def __torch_function__(cls, f, t, a=(), k=None):\n        return f(*a)\n"
        self.assertIn("static:tensor_subclass", self.flags(sub))
        self.assertIn("static:tensor_subclass", self.flags(HONEST + "y = torch.Tensor._make_subclass(torch.Tensor, torch.zeros(1))\n"))

    def test_triton_spellings(self):
        """A Triton candidate: kernel[grid](...) launches, tl.* inside kernels, triton's own names."""
        fixtures = helpers.REPO / "test/fixtures/candidates"
        honest = (fixtures / "honest/triton/relu_blocks.py").read_text(encoding="utf-8")
        self.assertEqual(self.flags(honest, "triton"), [])
        matmul = (fixtures / "honest/triton/matmul_tl_dot.py").read_text(encoding="utf-8")
        self.assertEqual(self.flags(matmul, "triton"), [])  # tl.dot(..., input_precision="ieee")
        for tf32 in ('tl.dot(a, b)', 'tl.dot(a, b, input_precision="tf32")', 'tl.dot(a, b, allow_tf32=True)'):
            with self.subTest(dot=tf32):
                self.assertIn("precision_lowered", self.flags(matmul.replace('tl.dot(a, b, input_precision="ieee")', tf32)))
        self.assertIn("precision_lowered", self.flags(honest.replace("tl.maximum(x, 0.0)", "tl.maximum(x.to(tl.float16), 0.0)")))
        # The launch path is where the harness counts launches: replacing it is patching the harness.
        patched = honest + "\ntriton.runtime.jit.JITFunction.run = lambda self, *a, **k: None\n"
        self.assertIn("static:patches_harness", self.flags(patched))
        # The output, allocated from the input and written by a launch, kept on self for the next call.
        cached = (fixtures / "exploits/triton/06_cached_result.py").read_text(encoding="utf-8")
        self.assertIn("static:cross_call_cache", self.flags(cached))
        launch = "        relu_kernel[(triton.cdiv(n, 8192),)](x, y, n, BLOCK=8192)\n"
        fallback = honest.replace(launch, "        try:\n    " + launch + "        except Exception:\n            y = torch.relu(x)\n")
        self.assertIn("static:try_except_fallback", self.flags(fallback))
        side = (fixtures / "exploits/triton/08_side_stream.py").read_text(encoding="utf-8")
        self.assertIn("static:streams_or_threads", self.flags(side))

    def test_unparsable_source_still_read(self):
        broken = "import threading\nclass ModelNew(Model:\n    torch.allclose = 1\n"
        found = self.flags(broken)
        self.assertIn("static:streams_or_threads", found)

    def test_flag_sets(self):
        from kforge_harness.flags import INFORMATIVE_FLAGS
        self.assertFalse(SUSPECT_FLAGS & INFORMATIVE_FLAGS)
        for f in ("speedup_over_10x", "precision_lowered", "static:torch_op_in_forward", "library_ops_kept",
                  "nondeterministic_within_tolerance", "launch_bound"):
            self.assertIn(f, INFORMATIVE_FLAGS)
        for f in ("inputs_modified", "nondeterministic", "output_not_plain_tensor", "timing_phase_mismatch",
                  "event_host_time_mismatch", "cuda_error_after_forward", "harness_tampered", "no_own_kernel",
                  "ran_reference_op", "faster_than_light"):
            self.assertIn(f, SUSPECT_FLAGS)
        self.assertEqual(set(FLAG_DOCS), SUSPECT_FLAGS | INFORMATIVE_FLAGS)


if __name__ == "__main__":
    unittest.main()
