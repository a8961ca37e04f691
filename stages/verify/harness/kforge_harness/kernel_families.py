"""Kernel families: which op a profiled kernel does, so a reference's and a candidate's kernels compare.

A library picks among many kernels for one op (cuBLAS/CUTLASS tile variants, cuDNN's fprop engines and
their layout transforms, split-K reductions) and which one it picks depends on shapes, strides and the
library version: the candidate calling the same op can land on another variant. Families fold these:
every GEMM-like library kernel is `gemm`, every convolution one `conv`; other cuDNN kernels are
`cudnn:<name>`. aten's generic launchers (`vectorized_elementwise_kernel`, `reduce_kernel`...) carry the
op only in their template arguments, so their family is the op named there (`aten:add`, `aten:sum`);
other aten kernels are `aten:<function>`. Anything else (the candidate's own kernels) is its base name.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from .kernel_names import base_name, in_library_namespace

GEMM, CONV = "gemm", "conv"
# Convolution first: cuDNN's implicit-GEMM engines have 'gemm' in their names too. The layout
# transforms (nchwToNhwc) and im2col/vol2col belong to the convolution the library runs around them.
_CONV = re.compile(r"fprop|dgrad|wgrad|convolve|conv(?!ert)|winograd|fft\w*(?:r2c|c2r)|nchwToNhwc|nhwcToNchw|"
                   r"im2col|col2im|vol2col|col2vol", re.I)
_GEMM = re.compile(r"gemm|gemv|nvjet|splitKreduce|cublas|cutlass|xmma|magma|cutensor", re.I)
_CUDNN = re.compile(r"cudnn", re.I)
# A conv-looking name is a library convolution when a library marks it (e.g. cutlass__5x_cudnn::Kernel<..fprop..>).
_LIBRARY_MARK = re.compile(r"cudnn|xmma|cutlass|gemm|cublas|^sm\d+_", re.I)
# aten launchers that are generic: the op is in their template arguments.
_GENERIC_ATEN = re.compile(r"elementwise_kernel|reduce_kernel|index_elementwise|distribution_|gpu_kernel", re.I)
# Where aten names the op inside a launcher's template arguments, most specific first.
_OP_CARRIERS = (
    re.compile(r"CUDAFunctor_?([A-Za-z]\w*?)<"),            # CUDAFunctor_add<float>
    re.compile(r"launch_([A-Za-z]\w*?)(?:_kernel)?\("),     # launch_clamp_scalar(...)
    re.compile(r"\b([a-z]\w*?)_kernel_cuda\b"),             # sigmoid_kernel_cuda, direct_copy_kernel_cuda
    re.compile(r"\b([a-z]\w*?)_kernel_impl\b"),             # where_kernel_impl (gpu_kernel_impl skipped)
    re.compile(r"\b([a-z]\w*?)_cuda_out\b"),                # arange_cuda_out
    re.compile(r"\b([A-Za-z]\w*?)_?CUDAKernel(?:Impl)?\b"),  # GeluCUDAKernelImpl
    re.compile(r"\b(?!AUnary|BUnary|Binary|Unary)([A-Za-z]\w*?)_?[Ff]unctor\b"),  # MulFunctor, sum_functor
    re.compile(r"\b([A-Z]\w*?)Ops<"),                        # MeanOps, WelfordOps, NormTwoOps
    re.compile(r"\b([a-z]\w*?)_kernel\b"),                   # the first named kernel function inside
)


def _aten_op(name: str) -> str:
    """The op a generic aten launcher runs: the earliest op name in its template arguments."""
    body = name[name.find("<") + 1:] if "<" in name else ""
    found: list[tuple[int, str]] = []
    for pattern in _OP_CARRIERS:
        for m in pattern.finditer(body):
            if m.group(1) and not _GENERIC_ATEN.search(m.group(1) + "_kernel"):
                found.append((m.start(), m.group(1)))
                break
    if not found:
        return base_name(name)
    return min(found)[1].lower()


def kernel_family(name: str) -> str:
    """The family of one profiled kernel name that is not the candidate's own (see the module docstring).

    Only for kernels someone else compiled: a candidate's own `my_gemm_kernel` would read as `gemm`."""
    base = base_name(name)
    if _CONV.search(base) or (_CONV.search(name) and _LIBRARY_MARK.search(name)):
        return CONV
    if _GEMM.search(name):
        return GEMM
    if in_library_namespace(name):  # at::, c10::, cub::, thrust::
        return "aten:" + (_aten_op(name) if _GENERIC_ATEN.search(base) else base)
    if _CUDNN.search(name):
        return "cudnn:" + base
    return base


def is_library_family(family: str) -> bool:
    """cuBLAS / cuDNN / CUTLASS work (as opposed to aten's own kernels or the candidate's)."""
    return family in (GEMM, CONV) or family.startswith("cudnn:")


def is_aten_family(family: str) -> bool:
    return family.startswith("aten:")


# Driver copies and fills (profiled as "Memset (Device)", "Memcpy DtoD (Device -> Device)") are no op of
# the problem's: counted, a reference's memset that the candidate happens not to issue would read as a
# replaced family, and a wrapped reference would pass for replacing something.
_TRANSFER = re.compile(r"^(?:Memset|Memcpy)\b")


def family_counts(names: Iterable[str]) -> Counter[str]:
    """Launches per family: a reference that runs its GEMM three times and a candidate that runs it once
    (its own kernels doing the other two) share the family, but the candidate replaced two of them."""
    return Counter(kernel_family(n) for n in names if not _TRANSFER.match(n))
