"""Tables for the real-world fidelity benchmark (fidelity.py) and its independent timing.

Verdict classes, in this order of precedence: `suspect` (a suspect flag rejected it), `numerical`
(fail_stage correctness), `build`, `accepted` (correct; a failed timing still counts as accepted),
`run` (load, run, timeout, crash: anything else). Every kernel in the dev set was accepted by
KernelBench v0, so every non-accepted row is listed with its reason and an empty column for the
reader's classification (true defect of the candidate / our false alarm).
"""
from __future__ import annotations

import json
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "harness"))
from kforge_harness.flags import SUSPECT_FLAGS  # noqa: E402

CLASSES = ("accepted", "suspect", "numerical", "build", "run")
SUB_MS = 1.0  # problems whose reference takes under this many ms are "short"
AGREE = 0.10  # speedups within ±10% of the independent measurement agree


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """Complete lines only: a line cut by a kill is dropped, as verify.py --resume does."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def verdict_class(r: dict[str, Any]) -> str:
    if r.get("suspect"):
        return "suspect"
    stage = r.get("fail_stage")
    if stage == "correctness":
        return "numerical"
    if stage == "build":
        return "build"
    return "accepted" if r.get("correct") else "run"


def reason(r: dict[str, Any], width: int = 140) -> str:
    head = " ".join((r.get("fail_message") or "").split())[:width]
    return head.replace("|", "\\|")


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def level_table(lines: list[dict[str, Any]], results: dict[str, dict[str, Any]]) -> list[str]:
    out = [_row(["level", "selected", "finished", *CLASSES, "not run", "build_rewrites"]), _row(["---"] * (len(CLASSES) + 5))]
    for level in sorted({int(x["level"]) for x in lines}):
        ids = [str(x["id"]) for x in lines if int(x["level"]) == level]
        done = [results[i] for i in ids if i in results]
        counts = Counter(verdict_class(r) for r in done)
        rewritten = sum(1 for r in done if r.get("build_rewrites"))
        out.append(_row([level, len(ids), len(done), *(counts[c] for c in CLASSES), len(ids) - len(done), rewritten]))
    return out


def flag_table(lines: list[dict[str, Any]], results: dict[str, dict[str, Any]]) -> list[str]:
    level_of = {str(x["id"]): int(x["level"]) for x in lines}
    levels = sorted(set(level_of.values()))
    per: dict[str, Counter[int]] = {}
    for cid, r in results.items():
        for f in r.get("flags") or []:
            per.setdefault(f, Counter())[level_of.get(cid, 0)] += 1
    out = [_row(["flag", "kind", *(f"level {lv}" for lv in levels), "all"]), _row(["---"] * (len(levels) + 3))]
    for f in sorted(per, key=lambda f: (f not in SUSPECT_FLAGS, -sum(per[f].values()), f)):
        kind = "suspect" if f in SUSPECT_FLAGS else "informative"
        out.append(_row([f"`{f}`", kind, *(per[f][lv] for lv in levels), sum(per[f].values())]))
    return out


def rejection_table(lines: list[dict[str, Any]], results: dict[str, dict[str, Any]]) -> list[str]:
    out = [_row(["id", "level", "problem", "model", "verdict", "stage", "suspect flags", "reason",
                 "v0 speedup", "classification"]), _row(["---"] * 10)]
    for x in lines:
        r = results.get(str(x["id"]))
        if r is None or verdict_class(r) == "accepted":
            continue
        flags = ", ".join(f for f in r.get("flags") or [] if f in SUSPECT_FLAGS) or "-"
        v0 = (x.get("kernelbench_v0") or {}).get("speedup")
        out.append(_row([x["id"], x["level"], x["problem_name"], x.get("model", ""), verdict_class(r),
                         r.get("fail_stage") or "-", flags, reason(r), "-" if v0 is None else f"{v0:.3g}", ""]))
    return out


def write_report(lines: list[dict[str, Any]], results_list: list[dict[str, Any]], path: Path) -> str:
    results = {str(r["candidate_id"]): r for r in results_list}
    parts = ["# Real-world fidelity: KernelBench-accepted kernels through the harness", "",
             "## Verdicts per level", "", *level_table(lines, results), "",
             "## Flags (every flag on a result, suspect first)", "", *flag_table(lines, results), "",
             "## Every rejection (KernelBench v0 accepted all of them)", "", *rejection_table(lines, results), ""]
    text = "\n".join(parts)
    path.write_text(text, encoding="utf-8")
    return text


def speedup_table(timings: list[dict[str, Any]], results: dict[str, dict[str, Any]],
                  key: str = "speedup", ref_key: str = "ref_ms") -> list[str]:
    """Harness speedup against an independent one (do_bench's by default), split at SUB_MS of the
    reference's time by that method."""
    groups: dict[str, list[float]] = {f"reference < {SUB_MS:g} ms": [], f"reference >= {SUB_MS:g} ms": []}
    for t in timings:
        r = results.get(str(t["id"])) or {}
        if not t.get(key) or not r.get("speedup") or not t.get(ref_key):
            continue
        group = list(groups)[0 if t[ref_key] < SUB_MS else 1]
        groups[group].append(float(r["speedup"]) / float(t[key]))
    out = [_row(["problems", "n", f"within ±{AGREE:.0%}", "median harness/independent", "min", "max"]), _row(["---"] * 6)]
    for name, ratios in groups.items():
        if not ratios:
            out.append(_row([name, 0, "-", "-", "-", "-"]))
            continue
        within = sum(1 for q in ratios if abs(q - 1.0) <= AGREE)
        out.append(_row([name, len(ratios), f"{within} ({within / len(ratios):.0%})", f"{statistics.median(ratios):.3f}",
                         f"{min(ratios):.3f}", f"{max(ratios):.3f}"]))
    return out


def kernel_share(t: dict[str, Any], r: dict[str, Any]) -> float | None:
    """The smaller of reference's and candidate's CUPTI kernel time over the harness's timed median."""
    try:
        return min(float(t["ref_kernel_sum_ms"]) / float(r["ref_time_ms"]),
                   float(t["kernel_kernel_sum_ms"]) / float(r["kernel_time_ms"]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def bound_table(timings: list[dict[str, Any]], results: dict[str, dict[str, Any]], share: float) -> list[str]:
    """Agreement split by how kernel-bound the forwards are (the harness's launch_bound rule, on CUPTI sums
    with the L2 flushed): kernel-bound when both spend at least `share` of the timed median in kernels."""
    rows: dict[str, list[tuple[float | None, float | None, float]]] = {}
    for t in timings:
        r = results.get(str(t["id"])) or {}
        k = kernel_share(t, r)
        if k is None or not r.get("speedup"):
            continue
        name = (f"kernel-bound (share >= {share:g})" if k >= share else f"launch-bound (share < {share:g})")
        name += ", reference < 1 ms" if float(r["ref_time_ms"]) < SUB_MS else ", reference >= 1 ms"
        q_db = float(r["speedup"]) / float(t["speedup"]) if t.get("speedup") else None
        q_k = float(r["speedup"]) / float(t["kernel_sum_speedup"]) if t.get("kernel_sum_speedup") else None
        rows.setdefault(name, []).append((q_db, q_k, k))
    out = [_row(["forwards", "n", f"within ±{AGREE:.0%} of do_bench", f"within ±{AGREE:.0%} of CUPTI sum"]),
           _row(["---"] * 4)]
    for name in sorted(rows):
        qs = rows[name]
        db = sum(1 for q, _, _ in qs if q is not None and abs(q - 1.0) <= AGREE)
        ku = sum(1 for _, q, _ in qs if q is not None and abs(q - 1.0) <= AGREE)
        out.append(_row([name, len(qs), db, ku]))
    return out


def timing_rows(timings: list[dict[str, Any]], results: dict[str, dict[str, Any]]) -> list[str]:
    out = [_row(["id", "harness ref ms", "harness kernel ms", "harness speedup", "do_bench ref ms",
                 "do_bench kernel ms", "do_bench speedup", "ratio", "CUPTI ref ms", "CUPTI kernel ms",
                 "CUPTI speedup", "ratio", "error"]), _row(["---"] * 13)]
    for t in timings:
        r = results.get(str(t["id"])) or {}

        def f(x: Any) -> str:
            return "-" if x is None else f"{x:.4g}"
        ratio = r["speedup"] / t["speedup"] if r.get("speedup") and t.get("speedup") else None
        kratio = r["speedup"] / t["kernel_sum_speedup"] if r.get("speedup") and t.get("kernel_sum_speedup") else None
        out.append(_row([t["id"], f(r.get("ref_time_ms")), f(r.get("kernel_time_ms")), f(r.get("speedup")),
                         f(t.get("ref_ms")), f(t.get("kernel_ms")), f(t.get("speedup")), f(ratio),
                         f(t.get("ref_kernel_sum_ms")), f(t.get("kernel_kernel_sum_ms")), f(t.get("kernel_sum_speedup")),
                         f(kratio), (t.get("error") or t.get("kernel_sum_error") or "")[:100].replace("|", "\\|")]))
    return out
