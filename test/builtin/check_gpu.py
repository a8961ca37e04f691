"""Run rendered builtin CUDA candidates on a GPU host: for each problem folder (problem.py plus
cand_*.py, as render-gpu-candidates.ts writes them), build every candidate (in parallel, to fill the
torch extension cache), then check each against the reference (allclose atol=rtol=1e-4, one input
draw: KernelBench inputs reach 6 GiB) and time both with CUDA events (median). One JSON line per candidate.

Usage: python3 check_gpu.py CANDIDATE_ROOT [--jobs 12] [--repeats 20] [--only SUBSTRING]
This is a quick lead-side check, not the verification harness (no L2 flush, no anti-cheat checks).
"""
import argparse
import glob
import importlib.util
import json
import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import torch


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build(path):
    r = subprocess.run([sys.executable, "-c", "import importlib.util,sys; s=importlib.util.spec_from_file_location('m', sys.argv[1]); "
                        "m=importlib.util.module_from_spec(s); s.loader.exec_module(m)", path], capture_output=True, text=True)
    return path, r.returncode, r.stderr[-1500:]


def timed(fn, inputs, repeats):
    for _ in range(3):
        fn(*inputs)
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn(*inputs)
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--jobs", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dirs = sorted(d for d in glob.glob(os.path.join(args.root, "*")) if os.path.isdir(d) and args.only in d)
    cands = [c for d in dirs for c in sorted(glob.glob(os.path.join(d, "cand_*.py")))]
    with ThreadPoolExecutor(args.jobs) as pool:
        built = {p: (rc, err) for p, rc, err in pool.map(build, cands)}
    for d in dirs:
        prob = load(os.path.join(d, "problem.py"), "kf_problem")
        init = prob.get_init_inputs()
        torch.manual_seed(42)
        ref = prob.Model(*init).cuda()
        torch.manual_seed(1)
        inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in prob.get_inputs()]
        with torch.no_grad():
            expected = ref(*inputs)
            ref_ms = timed(ref, inputs, args.repeats)
        for c in sorted(glob.glob(os.path.join(d, "cand_*.py"))):
            out = {"problem": os.path.basename(d), "candidate": os.path.basename(c), "ref_ms": ref_ms}
            rc, err = built[c]
            if rc != 0:
                out.update(compiled=False, error=err)
                print(json.dumps(out), flush=True)
                continue
            try:
                mod = load(c, "kf_cand")
                torch.manual_seed(42)
                new = mod.ModelNew(*init).cuda()
                with torch.no_grad():
                    got = new(*inputs)
                    torch.cuda.synchronize()
                    err_abs = (got - expected).abs().max().item()
                    ok = got.shape == expected.shape and torch.allclose(got, expected, atol=1e-4, rtol=1e-4)
                    del got
                    out.update(compiled=True, correct=bool(ok), max_abs_error=err_abs)
                    if ok:
                        k = timed(new, inputs, args.repeats)
                        out.update(kernel_ms=k, speedup=ref_ms / k)
            except Exception as e:  # noqa: BLE001 - report and go on
                out.update(compiled=True, correct=False, error="%s: %s" % (type(e).__name__, str(e)[-800:]))
            print(json.dumps(out), flush=True)
            torch.cuda.empty_cache()
        del expected, inputs, ref
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
