"""profiling: kernel-name normalisation, the candidate's own names from a real .so, CPU behaviour."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import torch

import helpers  # noqa: F401
from kforge_harness.kernel_families import kernel_family
from kforge_harness.kernel_names import base_name, global_functions, in_library_namespace, own_kernel_names
from kforge_harness.profiling import judge_kernels, launch_bound, profile_forward

CLAMP = ("void at::native::vectorized_elementwise_kernel<4, at::native::(anonymous namespace)::launch_clamp_scalar("
         "at::TensorIteratorBase&, c10::Scalar, c10::Scalar, at::native::detail::ClampLimits)::{lambda()#1}::operator()() "
         "const::{lambda()#8}::operator()() const::{lambda(float)#1}, at::detail::Array<char*, 2> >(int)")
TANH = ("void at::native::vectorized_elementwise_kernel<4, at::native::tanh_kernel_cuda(at::TensorIteratorBase&)::"
        "{lambda()#2}::operator()() const::{lambda()#2}::operator()() const::{lambda(float)#1}, at::detail::Array<char*, 2> >(int)")
COPY = ("void at::native::elementwise_kernel<128, 2, at::native::gpu_kernel_impl_nocast<at::native::direct_copy_kernel_cuda("
        "at::TensorIteratorBase&)::{lambda()#3}::operator()() const::{lambda()#7}::operator()() const::{lambda(float)#1}>"
        "(at::TensorIteratorBase&)::{lambda(int)#1}>(int)")


class ProfilingTest(unittest.TestCase):
    def test_base_names(self):
        self.assertEqual(base_name("void relu_kernel<float>(float const*, float*, int)"), "relu_kernel")
        self.assertEqual(base_name("relu_kernel(float const*, float*, int)"), "relu_kernel")
        self.assertEqual(base_name("void ns::inner::k2(float*)"), "k2")
        self.assertEqual(base_name("void (anonymous namespace)::softmax_fwd<4>(float*)"), "softmax_fwd")
        self.assertEqual(base_name("ampere_sgemm_128x64_nn"), "ampere_sgemm_128x64_nn")

    def test_kernel_families(self):
        # Tile variants and engines of one library op are one family; aten's generic launchers are
        # named by the op in their template arguments.
        for name, family in [
            ("ampere_sgemm_128x64_nn", "gemm"),
            ("sm80_xmma_gemm_f32f32_f32f32_f32_tn_n_tilesize128x128x8_stage3_warpsize2x2x1_ffma_aligna4_alignc4_execute_kernel__5x_cublas", "gemm"),
            ("nvjet_tst_128x64_64x8_2x1_v_bz_TNT", "gemm"),
            ("void cutlass::Kernel2<cutlass_80_simt_sgemm_128x128_8x5_nn_align1>(cutlass_80_simt_sgemm_128x128_8x5_nn_align1::Params)", "gemm"),
            ("void splitKreduce_kernel<32, 16, int, float, float, float, float, true, false, false>(cublasSplitKParams<float>, float const*, float*)", "gemm"),
            ("void gemv2T_kernel_val<int, int, float, float, float, float, 128, 16, 4, 4, false, false, cublasGemvParamsEx<int> >(float, float)", "gemm"),
            ("sm90_xmma_fprop_implicit_gemm_f32f32_tf32f32_f32_nhwckrsc_nchw_tilesize128x128x16_warpgroupsize1x1x1_g1_execute_segment_k_off_kernel__5x_cudnn", "conv"),
            ("void cutlass__5x_cudnn::Kernel<cutlass_tensorop_s1688fprop_optimized_tf32_64x64_16x10_nhwc_align4>(cutlass_tensorop_s1688fprop_optimized_tf32_64x64_16x10_nhwc_align4::Params)", "conv"),
            ("void implicit_convolve_sgemm<float, float, 128, 5, 5, 3, 3, 3, 1, false, false, true>(int, int, int, float const*, int, float*)", "conv"),
            ("void cudnn::ops::nchwToNhwcKernel<float, float, float, false, true, (cudnnKernelDataType_t)2>(cudnn::ops::nchw2nhwc_params_t<float>, float const*, float*)", "conv"),
            ("void at::native::im2col_kernel<float>(long, float const*, long, long, float*)", "conv"),
            ("void cudnn::bn_fw_inf_1C11_kernel_NCHW<float, float, true, 1>(float, float, cudnnTensorStruct, float const*)", "cudnn:bn_fw_inf_1C11_kernel_NCHW"),
            ("void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<float>, at::detail::Array<char*, 3> >(int, at::native::CUDAFunctor_add<float>, at::detail::Array<char*, 3>)", "aten:add"),
            (CLAMP, "aten:clamp_scalar"),
            (COPY, "aten:direct_copy"),
            ("void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float, at::native::func_wrapper_t<float, at::native::sum_functor<float, float, float>::operator()(at::TensorIterator&)::{lambda(float, float)#1}>, unsigned int, float, 4> >(at::native::ReduceOp<float>)", "aten:sum"),
            ("void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float, at::native::MeanOps<float, float, float, float>, unsigned int, float, 4> >(at::native::ReduceOp<float>)", "aten:mean"),
            ("void at::native::vectorized_elementwise_kernel<4, at::native::AUnaryFunctor<float, float, float, at::native::binary_internal::MulFunctor<float> >, at::detail::Array<char*, 2> >(int)", "aten:mul"),
            ("void at::native::vectorized_elementwise_kernel<4, at::native::GeluCUDAKernelImpl(at::TensorIteratorBase&, at::native::GeluType)::{lambda()#2}::operator()() const::{lambda(float)#1}, at::detail::Array<char*, 2> >(int)", "aten:gelu"),
            ("void at::native::(anonymous namespace)::cunn_SoftMaxForward<4, float, float, float, at::native::(anonymous namespace)::SoftMaxForwardEpilogue>(float*, float const*, int)", "aten:cunn_SoftMaxForward"),
            ("void relu_kernel<float>(float const*, float*, int)", "relu_kernel"),
        ]:
            with self.subTest(name=name[:60]):
                self.assertEqual(kernel_family(name), family)

    def test_library_namespaces(self):
        self.assertTrue(in_library_namespace("void at::native::vectorized_elementwise_kernel<4, F>(int, F)"))
        self.assertTrue(in_library_namespace("void at::native::(anonymous namespace)::cunn_SoftMaxForward<4>(float*)"))
        self.assertTrue(in_library_namespace("void cub::DeviceReduceKernel<P>(float*)"))
        self.assertFalse(in_library_namespace("void relu_kernel<float>(float const*, float*, int)"))
        self.assertFalse(in_library_namespace("void (anonymous namespace)::softmax_rows(float*)"))
        self.assertFalse(in_library_namespace("kforge_byte_copy(unsigned char const*, unsigned char*, long long)"))
        # torch.compile's generated Triton kernels are never the candidate's; a Triton candidate's own kernel,
        # whatever its name, is (the GPU profiler shows a @triton.jit kernel by its function name).
        self.assertTrue(in_library_namespace("triton_poi_fused_relu_0"))
        self.assertTrue(in_library_namespace("triton_red_fused_sum_1"))
        self.assertFalse(in_library_namespace("triton_relu_kernel"))
        own = judge_kernels([("triton_relu_kernel", 5.0)], {"triton_relu_kernel"}, {CLAMP})
        self.assertEqual(own["flags"], [])

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
        copy = "kforge_byte_copy(unsigned char const*, unsigned char*, long long)"
        own = {"kforge_byte_copy", "my_relu"}
        honest = judge_kernels([("void my_relu<float>(float const*, float*, int)", 40.0)], own, {CLAMP})
        self.assertEqual(honest["flags"], [])
        self.assertEqual(honest["own_kernel_share"], 1.0)
        self.assertEqual(honest["reference_kernels_replaced"], ["aten:clamp_scalar"])
        self.assertEqual(honest["reference_kernels_kept"], [])
        self.assertAlmostEqual(honest["gpu_kernel_time_ms"], 0.04)
        # The reference wrapped with a copy slower than the op: own share 0.6, but nothing was replaced.
        wrapped = judge_kernels([(CLAMP, 40.0), (copy, 60.0)], own, {CLAMP})
        self.assertAlmostEqual(wrapped["own_kernel_share"], 0.6)
        self.assertEqual(wrapped["flags"], ["ran_reference_op"])
        self.assertEqual(wrapped["reference_kernels_kept"], ["aten:clamp_scalar"])
        self.assertEqual(judge_kernels([(CLAMP, 5.0)], own, {CLAMP})["flags"], ["no_own_kernel", "ran_reference_op"])

    def test_kept_library_gemm_with_an_own_epilogue_is_not_the_reference(self):
        # nn.Linear + ReLU: cuBLAS picked another tile variant for the candidate's bias-free GEMM, and
        # its own bias+ReLU kernel is a small share of the time. It replaced aten's ReLU and bias add.
        ref = {"sm90_xmma_gemm_f32f32_f32f32_f32_tn_n_tilesize128x128x8_stage3_warpsize2x2x1_ffma_aligna4_alignc4_execute_kernel__5x_cublas",
               "void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<float>, at::detail::Array<char*, 3> >(int)",
               CLAMP}
        events = [("nvjet_tst_128x64_64x8_2x1_v_bz_TNT", 96.0), ("void bias_relu(float*, float const*, int, int)", 4.0)]
        out = judge_kernels(events, {"bias_relu"}, ref)
        self.assertEqual(out["flags"], ["library_ops_kept"])
        self.assertEqual(out["reference_kernels_kept"], ["gemm"])
        self.assertEqual(out["reference_kernels_replaced"], ["aten:add", "aten:clamp_scalar"])
        self.assertAlmostEqual(out["own_kernel_share"], 0.04)
        # A cuDNN convolution kept under an own fused epilogue (the old share rule's false alarm).
        conv = "sm90_xmma_fprop_implicit_gemm_f32f32_tf32f32_f32_nhwckrsc_nchw_tilesize128x128x16_warpgroupsize1x1x1_g1_execute_segment_k_off_kernel__5x_cudnn"
        other_conv = "void cudnn::cnn::conv2d_grouped_direct_kernel<false, true, false, false, 0, 0, int, float>(cudnn::cnn::GroupedDirectFpropParams, float const*)"
        conv_out = judge_kernels([(other_conv, 900.0), ("void fused_bias_tanh_scale(float*, int)", 30.0)],
                                 {"fused_bias_tanh_scale"}, {conv, CLAMP, TANH})
        self.assertEqual(conv_out["flags"], ["library_ops_kept"])
        self.assertEqual(conv_out["reference_kernels_kept"], ["conv"])

    def test_some_launches_of_a_kept_family_replaced(self):
        # AlexNet as the real kernels write it: its two first linear layers (+ReLU) are the candidate's own
        # fused kernel, the last one still cuBLAS, the convolutions' ReLUs still aten's. Every family of the
        # reference still runs, but fewer times: it replaced launches, not families (a fidelity false alarm).
        gemm = "ampere_sgemm_128x64_tn"
        ref = ["void cudnn::conv_fprop(float*)"] * 5 + [CLAMP] * 7 + [gemm] * 3
        events = ([("void cudnn::conv_fprop(float*)", 100.0)] * 5 + [(CLAMP, 2.0)] * 5 + [(gemm, 10.0)]
                  + [("void fused_linear_relu_forward(float const*, float*)", 300.0)] * 2)
        out = judge_kernels(events, {"fused_linear_relu_forward"}, ref)
        self.assertEqual(out["reference_kernels_replaced"], ["aten:clamp_scalar", "gemm"])
        self.assertEqual(out["reference_kernels_kept"], ["aten:clamp_scalar", "conv", "gemm"])
        self.assertEqual(out["flags"], ["library_ops_kept"])
        # The same network wrapped whole, with a copy of its own: every launch is still there.
        wrapped = judge_kernels([(n, 10.0) for n in ref] + [("void own_copy(float*)", 200.0)], {"own_copy"}, ref)
        self.assertEqual(wrapped["reference_kernels_replaced"], [])
        self.assertIn("ran_reference_op", wrapped["flags"])

    def test_own_kernels_doing_no_work(self):
        # Convolution reached through unfold + matmul (another torch route to the library op), every aten
        # kernel of the reference kept, and a copy of its own: 1% of the time. It replaced only library work.
        ref = {"void implicit_convolve_sgemm<float, float, 128, 5, 5, 3, 3, 3, 1, false, false, true>(int, int)", TANH}
        events = [("void at::native::im2col_kernel<float>(long, float const*, float*)", 30.0),
                  ("ampere_sgemm_128x64_nn", 60.0), (TANH, 9.0), ("kforge_byte_copy(unsigned char const*)", 1.0)]
        out = judge_kernels(events, {"kforge_byte_copy"}, ref)
        self.assertEqual(out["reference_kernels_replaced"], [])  # im2col is the conv family
        self.assertIn("ran_reference_op", out["flags"])
        ref2 = {"void cudnn::cnn::conv2d_grouped_direct_kernel<false, true>(float const*)", TANH}
        events2 = [("ampere_sgemm_128x64_nn", 90.0), (TANH, 9.0), ("kforge_byte_copy(unsigned char const*)", 1.0)]
        out2 = judge_kernels(events2, {"kforge_byte_copy"}, ref2)
        self.assertEqual(out2["reference_kernels_replaced"], ["conv"])
        self.assertEqual(out2["flags"], ["ran_reference_op", "library_ops_kept"])
        # The same share with the reference's aten work replaced is an own epilogue: not suspect.
        events3 = [("ampere_sgemm_128x64_nn", 90.0), ("void own_tanh(float*)", 1.0)]
        self.assertEqual(judge_kernels(events3, {"own_tanh"}, ref2)["flags"], ["library_ops_kept"])
        # No profiled reference: only the own share can be judged.
        self.assertEqual(judge_kernels(events2, {"kforge_byte_copy"}, None)["flags"], ["ran_reference_op", "library_ops_kept"])
        self.assertEqual(judge_kernels([("ampere_sgemm_128x64_nn", 90.0), ("void own_tanh(float*)", 10.0)],
                                       {"own_tanh"}, None)["flags"], ["library_ops_kept"])

    def test_driver_memsets_and_copies_are_no_family(self):
        # A reference's cuBLAS call issues a memset the candidate's route to the same GEMM may not: were
        # memsets a family, the wrapped reference would read as having replaced one.
        gemm = "ampere_sgemm_128x64_nn"
        ref = {"Memset (Device)", gemm, CLAMP}
        wrapped = judge_kernels([(gemm, 90.0), (CLAMP, 5.0), ("void own_copy(float*)", 5.0)], {"own_copy"}, ref)
        self.assertEqual(wrapped["reference_kernels_replaced"], [])
        self.assertIn("ran_reference_op", wrapped["flags"])
        honest = judge_kernels([("Memcpy DtoD (Device -> Device)", 1.0), (gemm, 90.0), ("void own_clamp(float*)", 5.0)],
                               {"own_clamp"}, ref)
        self.assertEqual(honest["reference_kernels_replaced"], ["aten:clamp_scalar"])
        self.assertEqual(honest["reference_kernels_kept"], ["gemm"])
        self.assertNotIn("ran_reference_op", honest["flags"])

    def test_an_own_kernel_named_like_a_library_one_is_not_a_family(self):
        out = judge_kernels([("void my_sgemm_tiled<32>(float const*, float*)", 100.0)], {"my_sgemm_tiled"},
                            {"ampere_sgemm_128x64_nn"})
        self.assertEqual(out["flags"], [])
        self.assertEqual(out["reference_kernels_replaced"], ["gemm"])

    def test_cpu_forward_is_not_profiled(self):
        out = profile_forward(torch.nn.ReLU(), [torch.randn(4)], torch.device("cpu"), None)
        self.assertEqual(out, {"kernels_launched": [], "own_kernel_share": None, "gpu_kernel_time_ms": None,
                               "reference_kernels_replaced": [], "reference_kernels_kept": [], "flags": []})



class LaunchBoundTest(unittest.TestCase):
    """Figures as the H200 measured them (docs/gpu/session-6/independent-run3.md): a level-3 LeNet reference
    timed at 0.136 ms of which 0.030 ms were kernels; a level-1 matmul at 0.345 ms, 0.343 ms of kernels."""

    def test_a_reference_mostly_launches_is_flagged(self):
        self.assertEqual(launch_bound(0.0956, 0.083, 0.136, 0.030), ["launch_bound"])

    def test_a_candidate_mostly_gaps_is_flagged(self):
        self.assertEqual(launch_bound(0.0102, 0.0021, 0.0047, 0.0045), ["launch_bound"])

    def test_kernel_bound_forwards_are_not(self):
        self.assertEqual(launch_bound(3.188, 3.182, 0.345, 0.343), [])
        self.assertEqual(launch_bound(1.0, 0.7, 1.0, 0.7), [])  # at the share itself: kernel-bound

    def test_unknown_figures_say_nothing(self):
        self.assertEqual(launch_bound(None, 0.001, None, 0.001), [])
        self.assertEqual(launch_bound(1.0, None, 1.0, None), [])  # cpu, or the profiler saw nothing
        self.assertEqual(launch_bound(0.0, 0.0, 1.0, 0.9), [])


if __name__ == "__main__":
    unittest.main()
