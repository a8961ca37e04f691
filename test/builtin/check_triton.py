"""Run rendered builtin Triton candidates in Triton's CPU interpreter (TRITON_INTERPRET=1) against the
reference: one JSON line per case on stdout. Reads a JSON list of {problem, candidate, precision} paths.

fp32: reference and candidate on fp32 inputs and weights, allclose at 1e-4. fp16: the inputs and weights
are rounded to fp16 and the reference runs in fp32 on them (torch 1.13 has no CPU fp16 kernels for relu,
softmax, layer_norm or matmul), the candidate in fp16, allclose at 1e-2. bf16 is not run here: the
Triton 3.2 interpreter truncates fp32 -> bf16 stores and its bf16 tl.dot returns garbage; the GPU runs it.
Usage: python3 check_triton.py < cases.json   (with `import triton` working)
"""
import json
import os
import sys

os.environ["TRITON_INTERPRET"] = "1"  # before triton is imported
import torch  # noqa: E402

from check_kernel import load  # noqa: E402  (this folder is on sys.path: the script's own)


def check(case):
    prob = load(case["problem"], "kf_problem")
    cand = load(case["candidate"], "kf_candidate")
    dtype = {"fp32": torch.float32, "fp16": torch.float16}[case["precision"]]
    init = prob.get_init_inputs()
    torch.manual_seed(0)
    ref = prob.Model(*init)
    torch.manual_seed(0)
    new = cand.ModelNew(*init).to(dtype=dtype)
    ref = ref.to(dtype=dtype).float()  # the same rounded weights, computed in fp32
    torch.manual_seed(1)
    xs = [x.to(dtype) if x.is_floating_point() else x for x in prob.get_inputs()]
    with torch.no_grad():
        expected = ref(*[x.float() if x.is_floating_point() else x for x in xs])
        out = new(*xs)
    tol = 1e-4 if dtype == torch.float32 else 1e-2
    same = out.shape == expected.shape and out.dtype == dtype
    ok = same and torch.allclose(out.float(), expected.to(dtype).float(), atol=tol, rtol=tol)
    err = (out.float() - expected).abs().max().item() if same else None
    return {"candidate": case["candidate"], "precision": case["precision"], "ok": bool(ok), "max_abs_error": err,
            "dtype": str(out.dtype)}


def main():
    for case in json.load(sys.stdin):
        try:
            line = check(case)
        except Exception as e:  # one broken candidate must not hide the others
            line = {"candidate": case["candidate"], "precision": case["precision"], "ok": False, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
