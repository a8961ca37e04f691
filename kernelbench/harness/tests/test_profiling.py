"""profiling: kernel-name normalisation, the candidate's own names from a real .so, CPU behaviour."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import torch

import helpers  # noqa: F401
from kforge_harness.kernel_names import base_name, is_library_kernel, own_kernel_names
from kforge_harness.profiling import profile_forward


class ProfilingTest(unittest.TestCase):
    def test_base_names(self):
        self.assertEqual(base_name("void relu_kernel<float>(float const*, float*, int)"), "relu_kernel")
        self.assertEqual(base_name("relu_kernel(float const*, float*, int)"), "relu_kernel")
        self.assertEqual(base_name("void ns::inner::k2(float*)"), "k2")
        self.assertEqual(base_name("void (anonymous namespace)::softmax_fwd<4>(float*)"), "softmax_fwd")
        self.assertEqual(base_name("ampere_sgemm_128x64_nn"), "ampere_sgemm_128x64_nn")

    def test_library_kernels(self):
        self.assertTrue(is_library_kernel("ampere_sgemm_128x64_nn"))
        self.assertTrue(is_library_kernel("void cutlass::Kernel2<cutlass_80_simt_sgemm_128x128_8x5_nn_align1>(x)"))
        self.assertTrue(is_library_kernel("void at::native::(anonymous namespace)::cunn_SoftMaxForward<4, float>(float*)"))
        self.assertFalse(is_library_kernel("void relu_kernel<float>(float const*, float*, int)"))

    @unittest.skipUnless(shutil.which("nm") and shutil.which("g++"), "needs nm and g++")
    def test_own_names_from_a_built_library_and_sources(self):
        d = Path(tempfile.mkdtemp(prefix="kforge-own-"))
        (d / "lib.cpp").write_text("namespace mine { void tile_kernel(float* p) { p[0] = 1; } }\n"
                                   "extern \"C\" void plain_kernel(float* p) { p[0] = 2; }\n")
        subprocess.run(["g++", "-shared", "-fPIC", "-o", str(d / "k.so"), str(d / "lib.cpp")], check=True)
        (d / "lib.cpp").unlink()
        (d / "cuda.cu").write_text("__global__ void __launch_bounds__(256) softmax_rows(float* x) {}\n"
                                   "template <int N> __global__ void vec4_relu(float* x) {}\n")
        own = own_kernel_names(d)
        for name in ("tile_kernel", "plain_kernel", "softmax_rows", "vec4_relu"):
            self.assertIn(name, own)
        self.assertNotIn("vectorized_elementwise_kernel", own)

    def test_cpu_forward_is_not_profiled(self):
        out = profile_forward(torch.nn.ReLU(), [torch.randn(4)], torch.device("cpu"), None)
        self.assertEqual(out, {"kernels_launched": [], "own_kernel_share": None, "flags": []})


if __name__ == "__main__":
    unittest.main()
