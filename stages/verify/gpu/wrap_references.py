"""Wrap KernelBench references as trivially correct CUDA candidates (issue 3, GPU check (b)).

Each candidate inlines its problem's reference (class renamed), builds it with the same constructor
arguments (so the benchmark's seeding gives identical weights), runs it, and passes the output through
one kernel of its own: a byte copy. Every candidate shares one copy extension, built once into a fixed
folder, so 200 candidates cost one build. A verifier that works should find these correct (numerically),
and its proof-of-work check should notice that almost all GPU time is the reference's own ops.

    python3 stages/verify/gpu/wrap_references.py --problems problems.jsonl --levels 1 2 --out DIR [--twice 1:19 ...]
    python3 stages/verify/gpu/wrap_references.py --prebuild    # build the shared copy extension once, up front

Prebuild before a time-boxed sweep: otherwise the first candidates build it while the others wait on
torch's build lock, their time limits running, and a builder killed at its limit leaves that lock behind.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

COPY_EXTENSION = r'''
import torch
from torch.utils.cpp_extension import load_inline

_CUDA = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>

__global__ void kforge_byte_copy(const unsigned char* __restrict__ src, unsigned char* __restrict__ dst, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (; i < n; i += stride) dst[i] = src[i];
}

torch::Tensor kforge_copy(torch::Tensor x) {
    auto src = x.contiguous();
    auto dst = torch::empty_like(src);
    long long n = (long long)src.numel() * src.element_size();
    if (n > 0) {
        int threads = 256;
        long long blocks = (n + threads - 1) / threads;
        if (blocks > 65535LL * 8) blocks = 65535LL * 8;
        kforge_byte_copy<<<(unsigned)blocks, threads>>>((const unsigned char*)src.data_ptr(), (unsigned char*)dst.data_ptr(), n);
    }
    return dst;
}
"""
_CPP = "torch::Tensor kforge_copy(torch::Tensor x);"

import os
_DIR = "/tmp/kforge-wrap-copy-v1"
os.makedirs(_DIR, exist_ok=True)
_ext = load_inline(name="kforge_wrap_copy_v1", cpp_sources=_CPP, cuda_sources=_CUDA, functions=["kforge_copy"],
                   build_directory=_DIR, extra_cuda_cflags=["-O3"], verbose=False)
'''

COPY_DIR = "/tmp/kforge-wrap-copy-v1"  # the _DIR above

MODEL_NEW = '''

class ModelNew(nn.Module):
    """The reference, unchanged, then one kernel of our own (a copy) on its output."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.ref = _KforgeReference(*args, **kwargs)

    def forward(self, *args):
        return _ext.kforge_copy(self.ref(*args))
'''


def wrap(code: str) -> str:
    renamed = re.sub(r"\bModel\b", "_KforgeReference", code)
    if "import torch.nn as nn" not in renamed:
        renamed = "import torch.nn as nn\n" + renamed
    return COPY_EXTENSION + "\n# ---- the reference, verbatim but for its class name ----\n" + renamed + MODEL_NEW


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prebuild", action="store_true", help="build the shared copy extension and exit")
    ap.add_argument("--problems", type=Path)
    ap.add_argument("--levels", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--ids", type=int, nargs="*", help="only these problem ids")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--twice", nargs="*", default=[], help="LEVEL:ID problems to write a second identical copy of")
    ap.add_argument("--only-twice", action="store_true", help="write only the --twice problems (both copies)")
    args = ap.parse_args()
    if args.prebuild:
        exec(compile(COPY_EXTENSION, "<kforge wrap copy extension>", "exec"), {})
        print(f"copy extension built in {COPY_DIR}")
        return
    if not (args.problems and args.out):
        ap.error("--problems and --out are needed (or --prebuild)")
    args.out.mkdir(parents=True, exist_ok=True)
    twice = {tuple(int(x) for x in t.split(":")) for t in args.twice}
    count = 0
    for line in args.problems.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        p = json.loads(line)
        if p["level"] not in args.levels or (args.ids and p["problem_id"] not in args.ids):
            continue
        if args.only_twice and (p["level"], p["problem_id"]) not in twice:
            continue
        source = wrap(p["code"])
        (args.out / f"{p['level']}_{p['problem_id']}_wrap_a.py").write_text(source, encoding="utf-8")
        count += 1
        if (p["level"], p["problem_id"]) in twice:
            (args.out / f"{p['level']}_{p['problem_id']}_wrap_b.py").write_text(source, encoding="utf-8")
            count += 1
    print(f"wrote {count} candidate(s) to {args.out}")


if __name__ == "__main__":
    main()
