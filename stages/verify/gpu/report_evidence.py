#!/usr/bin/env python3
"""Tables for docs/verification-gpu.md from one GPU session's outputs (run_evidence.sh's files).

    python3 stages/verify/gpu/report_evidence.py docs/gpu/session-2026-11-22b > /tmp/tables.md

Reads what is there: builtin.jsonl (issue 2), suite.json and suite-cpu.json (issue 3 a), wrap.jsonl and pairs.jsonl
(issue 3 b), wrap-*.jsonl (reruns of part of the sweep), env.txt (the peaks, issue 3 c).
"""
from __future__ import annotations

import collections
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if path.exists() else []


def num(x: Any, fmt: str = ".3g") -> str:
    return "-" if x is None else format(x, fmt)


def verdict(r: dict[str, Any]) -> str:
    if r.get("suspect"):
        return f"suspect ({r.get('fail_stage')})"
    return "correct" if r.get("correct") else f"failed ({r.get('fail_stage')})"


def numerically_correct(r: dict[str, Any]) -> bool:
    return r.get("trials_run", 0) > 0 and r.get("trials_passed") == r.get("trials_run") and \
        r.get("fail_stage") in (None, "integrity")


def builtin_table(rows: list[dict[str, Any]]) -> str:
    out = ["| candidate | verdict | trials | max abs err | ref ms | kernel ms | speedup | floor fraction | flags |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['candidate_id']} | {verdict(r)} | {r['trials_passed']}/{r['trials_run']} | "
                   f"{num(r.get('max_abs_error'))} | {num(r.get('ref_time_ms'), '.3f')} | "
                   f"{num(r.get('kernel_time_ms'), '.3f')} | {num(r.get('speedup'), '.2f')} | "
                   f"{num(r.get('sol_fraction'), '.2f')} | {', '.join(r.get('flags') or []) or '-'} |")
    return "\n".join(out)


def suite_table(doc: dict[str, Any]) -> str:
    out = ["| kind | class | fixture | verdict | flags | as expected |", "|---|---|---|---|---|---|"]
    for row in doc.get("rows", []):
        e, r = row["entry"], row["result"]
        label = ("caught" if row["ok"] else "MISSED") if e["kind"] == "exploit" else \
            ("unflagged" if row["ok"] else "WRONGLY FLAGGED")
        cls = f"{e['class']} {e.get('short', '')}" if e["kind"] == "exploit" else "-"
        out.append(f"| {e['kind']} | {cls} | {Path(e['file']).name} | {verdict(r) if r else 'not run'} | "
                   f"{', '.join(r.get('flags') or []) or '-'} | {label} |")
    ok = sum(1 for row in doc.get("rows", []) if row["ok"])
    out.append(f"\n{ok}/{len(doc.get('rows', []))} as expected.")
    return "\n".join(out)


def level_of(cid: str) -> int:
    return int(cid.split("_", 1)[0])


def sweep_summary(rows: list[dict[str, Any]]) -> str:
    out = ["| level | candidates | numerically correct | verdict correct | suspect | failed |", "|---|---|---|---|---|---|"]
    for level in sorted({level_of(r["candidate_id"]) for r in rows}):
        rs = [r for r in rows if level_of(r["candidate_id"]) == level]
        out.append(f"| {level} | {len(rs)} | {sum(numerically_correct(r) for r in rs)} | "
                   f"{sum(1 for r in rs if r.get('correct'))} | {sum(1 for r in rs if r.get('suspect'))} | "
                   f"{sum(1 for r in rs if not r.get('correct') and not r.get('suspect'))} |")
    flags = collections.Counter(f for r in rows for f in r.get("flags") or [])
    out.append("\nFlags over the sweep: " + ", ".join(f"`{f}` {n}" for f, n in flags.most_common()) + ".")
    failed = [r for r in rows if not numerically_correct(r)]
    if failed:
        out.append("\nNot numerically correct:\n")
        for r in failed:
            msg = (r.get("fail_message") or "").splitlines()[0][:220]
            reasons = (r.get("problem_facts") or {}).get("weak_reasons") or []
            out.append(f"- {r['candidate_id']}: {r.get('fail_stage')}: {msg} (weak reasons: {', '.join(reasons) or 'none'})")
    oom = [r for r in rows if "out of device memory" in (r.get("fail_message") or "")]
    out.append(f"\nHarness out of device memory: {len(oom)} of {len(rows)}.")
    return "\n".join(out)


def weak_table(rows: list[dict[str, Any]], names: dict[str, str]) -> str:
    seen: dict[str, list[str]] = {}
    for r in rows:
        key = "_".join(r["candidate_id"].split("_")[:2])
        facts = r.get("problem_facts") or {}
        if facts.get("weak_problem") and key not in seen:
            seen[key] = facts.get("weak_reasons") or []
    out = ["| problem | reasons |", "|---|---|"]
    for key, reasons in sorted(seen.items(), key=lambda kv: tuple(int(x) for x in kv[0].split("_"))):
        out.append(f"| L{key.replace('_', ' #')} {names.get(key, '')} | {', '.join(reasons)} |")
    out.append(f"\n{len(seen)} weak problems.")
    return "\n".join(out)


def pair_spread(rows: list[dict[str, Any]]) -> list[tuple[str, float, float, float]]:
    by = {r["candidate_id"]: r for r in rows}
    spreads = []
    for cid in sorted(by):
        if cid.endswith("_b.py") and cid.replace("_b.py", "_a.py") in by:
            a, b = by[cid.replace("_b.py", "_a.py")], by[cid]
            if a.get("speedup") and b.get("speedup"):
                sa, sb = a["speedup"], b["speedup"]
                spreads.append((cid[: -len("_wrap_b.py")], sa, sb, abs(sa - sb) / min(sa, sb)))
    return spreads


def spread_table(sweep: list[dict[str, Any]], recheck: list[dict[str, Any]]) -> str:
    first = {k: (a, b, s) for k, a, b, s in pair_spread(sweep)}
    second = {k: (a, b, s) for k, a, b, s in pair_spread(recheck)}
    out = ["| problem | sweep: speedup a / b | spread | recheck (interleaved): speedup a / b | spread |",
           "|---|---|---|---|---|"]
    for k in sorted(set(first) | set(second), key=lambda k: tuple(int(x) for x in k.split("_"))):
        f, s = first.get(k), second.get(k)
        cell = lambda t: (f"{t[0]:.4f} / {t[1]:.4f}", f"{100 * t[2]:.2f}%") if t else ("-", "-")  # noqa: E731
        out.append(f"| L{k.replace('_', ' #')} | {cell(f)[0]} | {cell(f)[1]} | {cell(s)[0]} | {cell(s)[1]} |")
    for label, d in (("sweep", first), ("recheck", second)):
        if d:
            spreads = [v[2] for v in d.values()]
            out.append(f"\n{label}: max spread {100 * max(spreads):.2f}%, median {100 * statistics.median(spreads):.2f}%, "
                       f"{sum(1 for x in spreads if x <= 0.05)}/{len(spreads)} within 5%.")
    return "\n".join(out)


def sol_summary(rows: list[dict[str, Any]]) -> str:
    fr = sorted(r["sol_fraction"] for r in rows if isinstance(r.get("sol_fraction"), (int, float)))
    if not fr:
        return "no floor fractions"
    q = statistics.quantiles(fr, n=4) if len(fr) >= 4 else fr
    return (f"{len(fr)} records with a floor: fraction min {fr[0]:.3f}, quartiles {', '.join(f'{x:.3f}' for x in q)}, "
            f"max {fr[-1]:.3f}; flagged faster_than_light: "
            f"{sum(1 for r in rows if 'faster_than_light' in (r.get('flags') or []))}.")


def peaks(env: Path) -> str:
    text = env.read_text(encoding="utf-8") if env.exists() else ""
    m = re.search(r"peaks:\s*(\{.*\})", text, re.S)
    if not m:
        return "no peaks recorded"
    p = json.loads(m.group(1))
    return (f"bandwidth {p['bandwidth_bytes_per_s'] / 1e12:.2f} TB/s (read + write), fp32 {p['fp32_flops_per_s'] / 1e12:.1f}, "
            f"TF32 {p['tf32_flops_per_s'] / 1e12:.0f}, bf16 {p['bf16_flops_per_s'] / 1e12:.0f} TFLOP/s ({p['method']}; {p['device']}, "
            f"torch {p['torch_version']})")


def main() -> None:
    d = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("stages/verify/gpu/data/problems.jsonl")
    names = {f"{p['level']}_{p['problem_id']}": p["name"] for p in load(problems)}
    sweep, recheck = load(d / "wrap.jsonl"), load(d / "pairs.jsonl")
    print("## Builtin and wrong candidates (issue 2)\n\n" + builtin_table(load(d / "builtin.jsonl")))
    if (d / "suite.json").exists():
        print("\n## Suites, cuda fixtures (issue 3 a)\n\n" + suite_table(json.loads((d / "suite.json").read_text())))
    if (d / "suite-cpu.json").exists():
        print("\n## Suites, cpu fixtures (issue 3 a)\n\n" + suite_table(json.loads((d / "suite-cpu.json").read_text())))
    print("\n## Wrapped references (issue 3 b)\n\n" + sweep_summary(sweep))
    print("\n### Weak problems\n\n" + weak_table(sweep, names))
    print("\n### Speedup spread of identical code\n\n" + spread_table(sweep, recheck))
    for extra in sorted(d.glob("wrap-*.jsonl")):
        rows = load(extra)
        flags = collections.Counter(f for r in rows for f in r.get("flags") or [])
        print(f"\n### {extra.name}\n\n{len(rows)} candidates; verdicts: "
              + ", ".join(f"{v} {n}" for v, n in collections.Counter(verdict(r) for r in rows).most_common())
              + "; flags: " + ", ".join(f"`{f}` {n}" for f, n in flags.most_common()))
    print("\n## Speed of light (issue 3 c)\n\nPeaks: " + peaks(d / "env.txt"))
    print("\nBuiltin records: " + sol_summary(load(d / "builtin.jsonl")) + "\n\nWrapped references: " + sol_summary(sweep))


if __name__ == "__main__":
    main()
