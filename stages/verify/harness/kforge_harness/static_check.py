"""Static read of a candidate's source: flags for the exploit patterns of VERIFICATION.md.

Python is read with `ast` (forward, and whatever forward reaches inside the file); embedded C++/CUDA
(every string literal) is read with regexes. Nothing is executed. A static flag is evidence, not
proof: the suspect ones (see flags.py) mark patterns honest kernels have no reason to contain, the
informative ones ('static:torch_op_in_forward', 'precision_lowered') are confirmed or not at run time.
"""
from __future__ import annotations

import ast
import re

from .precision import LOWP_KINDS, lowered_by
from .static_python import PythonScan

# Embedded native code (string literals). Comments inside those strings can match: acceptable for
# patterns this specific.
# Reduced-precision arithmetic in native code, by kind: which kinds are 'precision_lowered' depends on
# the run's precision (precision.lowered_by: at fp16, fp16 code lowers nothing and fp8 does).
_LOWP_NATIVE: dict[str, re.Pattern[str]] = {
    "fp16": re.compile(r"__half2?\b|__float2half|__half2float|__hmul|__hadd|\b(?:at|c10)::Half\b|"
                       r"\b(?:at|torch|c10)::k(?:Half|Float16)\b"),
    "bf16": re.compile(r"__nv_bfloat162?\b|__float2bfloat16|__bfloat162float|__bfloat1622float2|"
                       r"\b(?:at|c10)::BFloat16\b|\b(?:at|torch|c10)::kBFloat16\b"),
    "fastmath": re.compile(r"-?-use_fast_math|-ffast-math"),
    "tf32": re.compile(r"wmma::precision::tf32|__float_to_tf32|cvt\.rna\.tf32"),
    "fp8": re.compile(r"__nv_fp8\w*|\b(?:at|torch|c10)::kFloat8\w*|\be4m3\b|\be5m2\b"),
    "int8": re.compile(r"__dp4a|__dp2a|\b(?:at|torch|c10)::kChar\b|wmma::precision::s8|\bmma\.\w*\.s8\b"),
}

_NATIVE: dict[str, re.Pattern[str]] = {
    "static:streams_or_threads": re.compile(
        r"cudaStreamCreate|getStreamFromPool|std::thread|std::jthread|std::async|pthread_create|"
        r"cudaLaunchHostFunc|cudaStreamAddCallback"),
    "static:cross_call_cache": re.compile(
        r"\bstatic\s+(?:thread_local\s+)?(?:std::)?(?:unordered_map|map|vector|set|unordered_set)\s*<[^;(){}]*>\s*\w+\s*[;={]|"
        r"\bstatic\s+(?:thread_local\s+)?(?:torch|at)::Tensor\s+\w+\s*[;={]|"
        # A static scalar (memoised SM count, device id) is the commonest honest pattern and cannot hold an
        # output; call counting is caught at run time (timing_phase_mismatch), so scalars are not matched.
        r"\bstatic\s+(?:thread_local\s+)?(?:const\s+)?(?:void|float|double|int|char|__half|uint8_t)\s*\*\s*\w+\s*[=;]"),
    "static:torch_op_in_forward": re.compile(
        r"\b(?:torch|at)::(?:matmul|mm|bmm|addmm|baddbmm|linear|relu|softmax|log_softmax|layer_norm|"
        r"sum|mean|conv[123]d|convolution|sigmoid|tanh|gelu|native_layer_norm|_softmax|einsum|"
        r"max_pool[123]d|avg_pool[123]d|batch_norm|group_norm|cumsum)\s*\(|"
        r"\bcublas\w*(?:gemm|Gemm)\w*\s*\(|\bcublasLt\w*\s*\(|\bcudnn\w+\s*\("),
    "static:tensor_subclass": re.compile(r"__torch_function__|__torch_dispatch__|_make_subclass|_make_wrapper_subclass"),
}

_STATIC_SCALAR = re.compile(
    r"\bstatic\s+(?:thread_local\s+)?(?:std::)?(?:int|long|unsigned|size_t|int64_t|uint64_t|std::atomic<\w+>)\s+(\w+)\s*[;=]")


def _counts_calls(native: str) -> bool:
    """A static integer that is incremented is a call counter; one only assigned (a memoised SM count) is not."""
    for name in _STATIC_SCALAR.findall(native):
        n = re.escape(name)
        if re.search(rf"(?:\+\+\s*{n}\b|\b{n}\s*\+\+|\b{n}\s*[+-]=)", native):
            return True
    return False


# Used when the Python does not parse (the build will fail anyway; still say what is visible).
_PY_FALLBACK: dict[str, re.Pattern[str]] = {
    "static:uses_reference": re.compile(r"class\s+ModelNew\s*\(\s*Model\s*\)|kforge_reference"),
    "static:streams_or_threads": re.compile(r"\b(?:import|from)\s+(?:threading|multiprocessing|asyncio|concurrent)|torch\.cuda\.Stream"),
    "static:patches_harness": re.compile(r"^\s*(?:torch|time|builtins|sys)\.[\w.]+\s*=[^=]|kforge_harness|sys\._getframe", re.M),
}
_PY_FALLBACK_LOWP: dict[str, re.Pattern[str]] = {
    "fp16": re.compile(r"\.half\(\)|torch\.(?:float16|half)\b|tl\.float16\b"),
    "bf16": re.compile(r"\.bfloat16\(\)|torch\.bfloat16\b|tl\.bfloat16\b"),
    "tf32": re.compile(r"allow_tf32\s*=\s*True"),
    "fp8": re.compile(r"float8_?e[45]m\w*|tl\.float8\w*"),
}


def embedded_native(tree: ast.AST) -> str:
    """Every string literal of the module, joined: where load_inline sources and flags live."""
    parts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return "\n".join(parts)


def _strip_cpp_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def check_source(source: str, backend: str, precision: str = "fp32") -> list[str]:
    """Sorted, unique flags found by reading `source` (the patterns are the same for every backend, a
    CUDA stream in a cpu candidate is as suspect as in a cuda one). 'precision_lowered' is judged
    against the run's `precision`."""
    found: set[str] = set()
    try:
        tree: ast.AST | None = ast.parse(source)
    except (SyntaxError, ValueError):
        tree = None
    native = _strip_cpp_comments(embedded_native(tree) if tree is not None else source)
    for flag, pattern in _NATIVE.items():
        if pattern.search(native):
            found.add(flag)
    for kind, pattern in _LOWP_NATIVE.items():
        if pattern.search(native):
            found.add(f"lowp:{kind}")
    if _counts_calls(native):
        found.add("static:cross_call_cache")
    if tree is None:
        for flag, pattern in _PY_FALLBACK.items():
            if pattern.search(source):
                found.add(flag)
        found |= {f"lowp:{kind}" for kind, pattern in _PY_FALLBACK_LOWP.items() if pattern.search(source)}
    else:
        found |= PythonScan(tree).run()
    kinds = {f.split(":", 1)[1] for f in found if f.startswith("lowp:")}
    found = {f for f in found if not f.startswith("lowp:")}
    if kinds & lowered_by(precision):
        found.add("precision_lowered")
    if _NATIVE["static:tensor_subclass"].search(source):
        found.add("static:tensor_subclass")
    return sorted(found)
