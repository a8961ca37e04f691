"""The names the static check's walks look for (which torch calls and tensor methods compute, which
calls build an extension...) and `_dotted`, in a module of their own so that static_python and
static_forward import these instead of each other (static_python -> static_forward -> static_names).
"""
from __future__ import annotations

import ast

# Torch names that allocate, reshape or describe; calling them in forward does none of the problem's work.
_ALLOWED_TORCH = {
    "empty", "empty_like", "empty_strided", "zeros", "zeros_like", "ones", "ones_like", "full", "full_like",
    "tensor", "as_tensor", "from_numpy", "arange", "device", "Size", "is_tensor", "numel", "get_default_dtype",
    "no_grad", "inference_mode", "enable_grad", "set_grad_enabled", "is_grad_enabled", "manual_seed",
    "finfo", "iinfo", "Tensor", "dtype", "cat", "stack", "pad", "broadcast_tensors", "chunk", "split",
    "current_stream", "current_device", "get_device_properties", "is_available", "device_count",
}
_ALLOWED_NN = {"Parameter", "ParameterList", "ParameterDict", "Module", "ModuleList", "ModuleDict", "Identity",
               "Buffer", "init"}
# Tensor methods that compute (vs .view/.contiguous/.size/.to ...).
_COMPUTE_METHODS = {
    "relu", "relu_", "softmax", "log_softmax", "matmul", "mm", "bmm", "addmm", "baddbmm", "sum", "mean",
    "exp", "tanh", "sigmoid", "clamp", "clamp_min", "clamp_", "clamp_min_", "norm", "var", "std",
    "cumsum", "prod", "layer_norm", "conv2d", "linear", "gelu", "logsumexp", "einsum", "amax", "argmax",
}
_THREAD_MODULES = ("threading", "_thread", "multiprocessing", "concurrent", "asyncio", "torch.multiprocessing")
_STREAM_NAMES = {"torch.cuda.Stream", "torch.cuda.stream", "torch.cuda.ExternalStream", "torch.Stream",
                 "torch.cuda.StreamContext", "os.fork", "os.forkpty", "subprocess.Popen"}
# triton: its launch path is where the harness counts a Triton candidate's launches (triton_launches).
_PATCH_ROOTS = ("torch", "time", "builtins", "sys", "kforge_harness", "numpy", "gc", "__builtins__", "triton")
_INSPECT = {"sys._getframe", "inspect.stack", "inspect.currentframe", "inspect.getouterframes",
            "gc.get_objects", "gc.get_referrers", "gc.get_referents"}
_FRAME_ATTRS = {"f_back", "f_globals", "f_locals", "tb_frame"}
# Reduced-precision dtypes by kind (precision.py decides which kinds are lower than the run's).
_LOW_DTYPES = {"torch.float16": "fp16", "torch.half": "fp16", "torch.bfloat16": "bf16",
               "torch.float8_e4m3fn": "fp8", "torch.float8_e5m2": "fp8", "torch.int8": "int8",
               "tl.float16": "fp16", "tl.bfloat16": "bf16", "tl.float8e4nv": "fp8", "tl.float8e5": "fp8",
               "tl.int8": "int8", "triton.language.float16": "fp16", "triton.language.bfloat16": "bf16"}
# tl.dot's input_precision values as exact as fp32 (its default on the GPU, "tf32", is not; 3.x spelling).
_FP32_DOT_PRECISIONS = {"ieee", "tf32x3"}
_CONTAINER_CALLS = {"dict", "list", "set", "collections.OrderedDict", "collections.defaultdict",
                    "OrderedDict", "defaultdict", "weakref.WeakValueDictionary", "WeakValueDictionary"}
_MUTATORS = {"update", "setdefault", "append", "__setitem__", "add", "insert", "extend"}
_BUILD_CALLS = {"load_inline", "load", "compile"}


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None
