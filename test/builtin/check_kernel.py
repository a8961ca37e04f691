"""Check a builtin candidate against its reference on the CPU: build it, compare on random inputs
(allclose atol=rtol=1e-4 for fp32) over a few seeds, and time both with perf_counter.

Usage: python3 check_kernel.py PROBLEM.py CANDIDATE.py  -> one JSON line on stdout.
The reference and the candidate are built after the same seed, as KernelBench does, so parameters match.
"""
import importlib.util
import json
import statistics
import sys
import time

import torch


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def timed(fn, inputs, repeats):
    fn(*inputs)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(*inputs)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    problem_path, candidate_path = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    out = {"compiled": False, "correct": False, "max_abs_error": None}
    try:
        prob = load(problem_path, "kf_problem")
        t = time.perf_counter()
        cand = load(candidate_path, "kf_candidate")
        out["build_s"] = round(time.perf_counter() - t, 1)
        out["compiled"] = True
        init = prob.get_init_inputs()
        torch.manual_seed(42)
        ref = prob.Model(*init)
        torch.manual_seed(42)
        new = cand.ModelNew(*init)
        worst = 0.0
        ok = True
        with torch.no_grad():
            for seed in (1, 2, 3):
                torch.manual_seed(seed)
                inputs = prob.get_inputs()
                clones = [x.clone() for x in inputs]
                expected = ref(*inputs)
                got = new(*clones)
                if got.shape != expected.shape or got.dtype != expected.dtype:
                    ok = False
                    out["fail"] = "shape/dtype %s %s vs %s %s" % (got.shape, got.dtype, expected.shape, expected.dtype)
                    break
                worst = max(worst, (got - expected).abs().max().item())
                ok = ok and torch.allclose(got, expected, atol=1e-4, rtol=1e-4)
                ok = ok and all(torch.equal(a, b) for a, b in zip(inputs, clones))
            out["max_abs_error"] = worst
            out["correct"] = bool(ok)
            if ok:
                torch.manual_seed(7)
                inputs = prob.get_inputs()
                out["ref_ms"] = timed(ref, inputs, repeats)
                out["kernel_ms"] = timed(new, inputs, repeats)
                out["speedup"] = out["ref_ms"] / out["kernel_ms"]
    except Exception as e:  # noqa: BLE001 - the verdict is the output
        out["fail"] = "%s: %s" % (type(e).__name__, str(e)[-2000:])
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
