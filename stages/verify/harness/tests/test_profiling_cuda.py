"""profiling on a real GPU (skipped without CUDA): an own kernel is recognised, cuBLAS is not."""
from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path

import torch

import helpers  # noqa: F401
from kforge_harness.profiling import profile_forward

CUDA_SRC = r'''
#include <torch/extension.h>
#include <c10/cuda/CUDAStream.h>
__global__ void kf_test_scale(const float* x, float* y, int64_t n) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) y[i] = 2.f * x[i];
}
__global__ void kf_test_bias_relu(float* y, const float* b, int64_t n, int64_t cols) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) y[i] = fmaxf(y[i] + b[i % cols], 0.f);
}
torch::Tensor bias_relu(torch::Tensor y, torch::Tensor b) {
  int64_t n = y.numel();
  kf_test_bias_relu<<<(n + 255) / 256, 256, 0, c10::cuda::getCurrentCUDAStream()>>>(y.data_ptr<float>(), b.data_ptr<float>(), n, b.numel());
  return y;
}
torch::Tensor scale(torch::Tensor x) {
  auto y = torch::empty_like(x);
  int64_t n = x.numel();
  kf_test_scale<<<(n + 255) / 256, 256, 0, c10::cuda::getCurrentCUDAStream()>>>(x.data_ptr<float>(), y.data_ptr<float>(), n);
  return y;
}
'''


@unittest.skipUnless(torch.cuda.is_available(), "needs a CUDA device")
class CudaProfilingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from torch.utils.cpp_extension import load_inline
        cls.build = Path(tempfile.mkdtemp(prefix="kforge-prof-"))
        os.environ["TORCH_EXTENSIONS_DIR"] = str(cls.build)
        cls.ext = load_inline(name="kf_prof_test", cpp_sources="torch::Tensor scale(torch::Tensor x);\ntorch::Tensor bias_relu(torch::Tensor y, torch::Tensor b);",
                              cuda_sources=CUDA_SRC, functions=["scale", "bias_relu"], verbose=False)
        cls.dev = torch.device("cuda")

    def test_own_kernel_is_recognised(self):
        ext = self.ext

        class Own(torch.nn.Module):
            def forward(self, x):
                return ext.scale(x)

        out = profile_forward(Own(), [torch.randn(1 << 20, device=self.dev)], self.dev, self.build)
        self.assertTrue(any("kf_test_scale" in k for k in out["kernels_launched"]), out)
        self.assertGreater(out["own_kernel_share"], 0.99)
        self.assertEqual(out["flags"], [])

    def test_kernel_built_outside_the_build_folder_is_own_by_its_source(self):
        # The wrapped-reference experiment builds its copy kernel into a shared folder: no symbols
        # under the candidate's build folder, but its source declares the __global__ it launches.
        ext, empty = self.ext, Path(tempfile.mkdtemp(prefix="kforge-prof-empty-"))

        class Own(torch.nn.Module):
            def forward(self, x):
                return ext.scale(x)

        x = [torch.randn(1 << 20, device=self.dev)]
        self.assertIn("no_own_kernel", profile_forward(Own(), x, self.dev, empty)["flags"])
        out = profile_forward(Own(), x, self.dev, empty, kernel_source=CUDA_SRC)
        self.assertEqual(out["flags"], [])
        self.assertGreater(out["own_kernel_share"], 0.99)

    def test_declaring_an_aten_kernel_name_does_not_own_aten(self):
        class Lib(torch.nn.Module):
            def forward(self, x):
                return torch.relu(x)

        fake = "__global__ void vectorized_elementwise_kernel(float* x) {}\n__global__ void elementwise_kernel(float* x) {}"
        out = profile_forward(Lib(), [torch.randn(1 << 20, device=self.dev)], self.dev, self.build, kernel_source=fake)
        self.assertIn("no_own_kernel", out["flags"])

    def test_cublas_matmul_is_not_own(self):
        class Lib(torch.nn.Module):
            def forward(self, a, b):
                return torch.matmul(a, b)

        a = torch.randn(512, 512, device=self.dev)
        out = profile_forward(Lib(), [a, a], self.dev, self.build, reference_model=Lib())
        self.assertEqual(out["own_kernel_share"], 0.0)
        self.assertIn("no_own_kernel", out["flags"])
        self.assertIn("ran_reference_op", out["flags"])

    def test_library_gemm_kept_under_an_own_epilogue(self):
        # The commonest honest level-2 kernel: cuBLAS does the GEMM, an own kernel the bias and ReLU.
        ext = self.ext
        ref = torch.nn.Sequential(torch.nn.Linear(1024, 1024), torch.nn.ReLU()).to(self.dev)

        class Fused(torch.nn.Module):
            def forward(self, x):
                return ext.bias_relu(torch.nn.functional.linear(x, ref[0].weight), ref[0].bias)

        x = [torch.randn(512, 1024, device=self.dev)]
        out = profile_forward(Fused(), x, self.dev, self.build, reference_model=ref, kernel_source=CUDA_SRC)
        self.assertEqual(out["flags"], ["library_ops_kept"], out)
        self.assertEqual(out["reference_kernels_kept"], ["gemm"], out)
        self.assertTrue(out["reference_kernels_replaced"], out)
        self.assertGreater(out["gpu_kernel_time_ms"], 0.0)

    def test_reference_wrapped_with_an_own_copy(self):
        ext = self.ext
        ref = torch.nn.Sequential(torch.nn.Linear(1024, 1024), torch.nn.ReLU()).to(self.dev)

        class Wrapped(torch.nn.Module):
            def forward(self, x):
                return ext.scale(ref(x)) * 0.5

        out = profile_forward(Wrapped(), [torch.randn(512, 1024, device=self.dev)], self.dev, self.build,
                              reference_model=ref, kernel_source=CUDA_SRC)
        self.assertEqual(out["reference_kernels_replaced"], [], out)
        self.assertIn("ran_reference_op", out["flags"])

    def test_mixed_forward_share(self):
        ext = self.ext

        class Mixed(torch.nn.Module):
            def forward(self, x, a):
                return ext.scale(x), torch.matmul(a, a)

        out = profile_forward(Mixed(), [torch.randn(1 << 16, device=self.dev), torch.randn(2048, 2048, device=self.dev)],
                              self.dev, self.build)
        self.assertGreater(out["own_kernel_share"], 0.0)
        self.assertLess(out["own_kernel_share"], 0.5)
        self.assertNotIn("no_own_kernel", out["flags"])
        self.assertIn("ran_reference_op", out["flags"])


if __name__ == "__main__":
    unittest.main()
