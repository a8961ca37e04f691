"""profiling: kernel-name normalisation, the candidate's own names from a real .so, CPU behaviour."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import torch

import helpers  # noqa: F401
from kforge_harness.kernel_names import base_name, global_functions, in_library_namespace, is_library_kernel, own_kernel_names
from kforge_harness.profiling import judge_kernels, profile_forward


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

    def test_library_namespaces(self):
        self.assertTrue(in_library_namespace("void at::native::vectorized_elementwise_kernel<4, F>(int, F)"))
        self.assertTrue(in_library_namespace("void at::native::(anonymous namespace)::cunn_SoftMaxForward<4>(float*)"))
        self.assertTrue(in_library_namespace("void cub::DeviceReduceKernel<P>(float*)"))
        self.assertFalse(in_library_namespace("void relu_kernel<float>(float const*, float*, int)"))
        self.assertFalse(in_library_namespace("void (anonymous namespace)::softmax_rows(float*)"))
        self.assertFalse(in_library_namespace("kforge_byte_copy(unsigned char const*, unsigned char*, long long)"))

    def test_global_functions_declared_in_a_source(self):
        src = ("_CUDA = r\"\"\"\n__global__ void kforge_byte_copy(const unsigned char* s) {}\n"
               "template <int N> __global__ void __launch_bounds__(128) tile(float* x) {}\n"
               "__device__ float helper(float x) { return x; }\n\"\"\"\n")
        self.assertEqual(global_functions(src), {"kforge_byte_copy", "tile"})

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

    def test_judging_ownership_and_the_reference_op(self):
        relu = "void at::native::vectorized_elementwise_kernel<4, at::native::relu_functor<float>>(int, F)"
        copy = "kforge_byte_copy(unsigned char const*, unsigned char*, long long)"
        gemm = "sm90_xmma_gemm_f32f32_f32f32_f32_nn_n_tilesize128x128x8"
        own = {"kforge_byte_copy", "my_relu"}
        honest = judge_kernels([("void my_relu<float>(float const*, float*, int)", 40.0)], own, {relu})
        self.assertEqual(honest["flags"], [])
        self.assertEqual(honest["own_kernel_share"], 1.0)
        # The reference wrapped with a copy slower than the op: own share 0.6 passes the share rule,
        # but every reference kernel ran too.
        wrapped = judge_kernels([(relu, 40.0), (copy, 60.0)], own, {relu})
        self.assertAlmostEqual(wrapped["own_kernel_share"], 0.6)
        self.assertEqual(wrapped["flags"], ["ran_reference_op"])
        # cuBLAS under an own epilogue: most time in the library, own share under half.
        mostly_library = judge_kernels([(gemm, 90.0), ("void my_relu<float>(float*)", 10.0)], own, None)
        self.assertEqual(mostly_library["flags"], ["ran_reference_op"])
        # Part of a two-kernel reference reused, own kernel doing most of the time: allowed.
        partial = judge_kernels([(gemm, 20.0), ("void my_relu<float>(float*)", 80.0)], own, {gemm, relu})
        self.assertEqual(partial["flags"], [])
        self.assertEqual(judge_kernels([(relu, 5.0)], own, {relu})["flags"], ["no_own_kernel", "ran_reference_op"])

    def test_cpu_forward_is_not_profiled(self):
        out = profile_forward(torch.nn.ReLU(), [torch.randn(4)], torch.device("cpu"), None)
        self.assertEqual(out, {"kernels_launched": [], "own_kernel_share": None, "flags": []})


if __name__ == "__main__":
    unittest.main()
