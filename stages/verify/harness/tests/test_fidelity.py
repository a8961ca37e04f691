"""stages/verify/gpu/fidelity.py and fidelity_report.py on a made-up dev set (no real data): which lines
are chosen, the jobs they become, and the tables (every rejection listed with its reason)."""
from __future__ import annotations

import sys
import tempfile
import unittest
from pathlib import Path

import helpers

sys.path.insert(0, str(helpers.REPO / "stages" / "verify" / "gpu"))
import fidelity  # noqa: E402
import fidelity_report  # noqa: E402
from kforge_harness.protocol import VerifyJob, empty_result  # noqa: E402

PROBLEM = "import torch\nclass Model(torch.nn.Module):\n    def forward(self, x):\n        return x\n"


def line(cid: str, level: int, pid: int) -> dict:
    return {"id": cid, "level": level, "problem_id": pid, "problem_name": f"{pid}_P", "problem_code": PROBLEM,
            "kernel_source": f"# {cid}\n", "model": "m", "kernelbench_v0": {"correct": True, "speedup": 1.5}}


DEV = [line("a1", 1, 1), line("a2", 1, 1), line("a3", 1, 1), line("b1", 1, 2), line("c1", 2, 7), line("d1", 3, 4)]


def result(cid: str, **fields) -> dict:
    r = empty_result(cid, "cuda", "loose", 1e-2, 1e-2)
    r.update(fields)
    return r


class SelectTest(unittest.TestCase):
    def test_levels_in_the_order_given_and_problems_round_robin(self):
        ids = [x["id"] for x in fidelity.select(DEV, [2, 1], 3)]
        self.assertEqual(ids, ["c1", "a1", "b1", "a2"])  # level 2 first; problem 2 before problem 1's second
        self.assertEqual(len(fidelity.select(DEV, [1, 2, 3], None)), 6)

    def test_jobs_follow_the_protocol_at_kernelbench_v0s_tolerance(self):
        job = VerifyJob.from_dict(fidelity.job_for(DEV[0]))
        self.assertEqual((job.candidate_id, job.problem_code, job.kernel_source), ("a1", PROBLEM, "# a1\n"))
        self.assertEqual((job.tolerance_policy, job.backend, job.trials, job.warmup, job.repeats),
                         ("loose", "cuda", 3, 3, 20))
        self.assertEqual(job.problem_key, "1_1")
        self.assertEqual(fidelity.job_for(DEV[0], "cpu")["backend"], "cpu")


class ReportTest(unittest.TestCase):
    def setUp(self) -> None:
        self.results = [
            result("a1", correct=True, compiled=True, speedup=2.0, flags=["library_ops_kept"]),
            result("a2", suspect=True, fail_stage="integrity", fail_message="suspect: ran_reference_op",
                   flags=["ran_reference_op", "library_ops_kept"]),
            result("b1", fail_stage="correctness", fail_message="trial 0: max_abs_error 0.5 | over tolerance"),
            result("c1", fail_stage="build", fail_message="nvcc fatal : Unsupported gpu architecture 'compute_70'"),
            result("d1", correct=True, fail_stage="timing", build_rewrites=["-arch=sm_70 -> sm_90"]),
        ]

    def test_classes(self):
        self.assertEqual([fidelity_report.verdict_class(r) for r in self.results],
                         ["accepted", "suspect", "numerical", "build", "accepted"])
        self.assertEqual(fidelity_report.verdict_class(result("x", fail_stage="timeout")), "run")

    def test_tables(self):
        path = Path(tempfile.mkdtemp(prefix="kforge-fidelity-")) / "fidelity.md"
        text = fidelity_report.write_report(fidelity.select(DEV, [1, 2, 3], None), self.results, path)
        self.assertEqual(path.read_text(), text)
        self.assertIn("| 1 | 4 | 3 | 1 | 1 | 1 | 0 | 0 | 1 | 0 |", text)  # a3 not run
        self.assertIn("| 3 | 1 | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |", text)  # one build rewritten
        self.assertIn("| `ran_reference_op` | suspect | 1 | 0 | 0 | 1 |", text)
        self.assertIn("| `library_ops_kept` | informative | 2 | 0 | 0 | 2 |", text)
        rejections = text.split("## Every rejection")[1]
        for cid in ("a2", "b1", "c1"):
            self.assertIn(f"| {cid} |", rejections)
        for cid in ("a1", "d1", "a3"):
            self.assertNotIn(f"| {cid} |", rejections)
        self.assertIn("max_abs_error 0.5 \\| over tolerance", rejections)  # a '|' cannot break the row
        self.assertIn("| 1.5 |  |", rejections)  # v0 speedup, then the empty classification column

    def test_speedups_split_at_one_millisecond(self):
        results = {"s": result("s", speedup=1.05), "t": result("t", speedup=2.0), "l": result("l", speedup=3.0)}
        timings = [{"id": "s", "ref_ms": 0.05, "speedup": 1.0}, {"id": "t", "ref_ms": 0.2, "speedup": 1.0},
                   {"id": "l", "ref_ms": 5.0, "speedup": 3.0}, {"id": "e", "error": "timed out"}]
        rows = fidelity_report.speedup_table(timings, results)
        self.assertIn("| reference < 1 ms | 2 | 1 (50%) |", rows[2])
        self.assertIn("| reference >= 1 ms | 1 | 1 (100%) | 1.000 |", rows[3])
        self.assertEqual(len(fidelity_report.timing_rows(timings, results)), 6)

    def test_agreement_by_kernel_share(self):
        # k: both forwards mostly kernels (agrees with both methods); h: the reference mostly launches.
        results = {"k": result("k", speedup=2.0, ref_time_ms=0.2, kernel_time_ms=0.1),
                   "h": result("h", speedup=4.0, ref_time_ms=0.1, kernel_time_ms=0.025)}
        timings = [{"id": "k", "speedup": 2.1, "ref_kernel_sum_ms": 0.19, "kernel_kernel_sum_ms": 0.095,
                    "kernel_sum_speedup": 2.0},
                   {"id": "h", "speedup": 2.0, "ref_kernel_sum_ms": 0.03, "kernel_kernel_sum_ms": 0.02,
                    "kernel_sum_speedup": 1.5}]
        rows = fidelity_report.bound_table(timings, results, 0.7)
        self.assertEqual(rows[2:], ["| kernel-bound (share >= 0.7), reference < 1 ms | 1 | 1 | 1 |",
                                    "| launch-bound (share < 0.7), reference < 1 ms | 1 | 0 | 0 |"])

    def test_the_share_is_the_harness_flags(self):
        import independent_timing
        from kforge_harness import profiling
        self.assertEqual(independent_timing.LAUNCH_BOUND_SHARE, profiling.LAUNCH_BOUND_SHARE)


if __name__ == "__main__":
    unittest.main()
