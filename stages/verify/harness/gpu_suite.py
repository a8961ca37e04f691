#!/usr/bin/env python3
"""Run the exploit/honest fixture suite (test/fixtures/candidates/suite.json) through the harness
driver and say, per exploit class, whether it was caught, and per honest candidate, whether it was
left unflagged. Meant for a GPU host (cuda, cpu and triton entries); `--backends cpu` works anywhere, and
`--backends triton` on a host without a GPU with TRITON_INTERPRET=1 (Triton's CPU interpreter; entries are
then judged by their `expected_interpreted` where they have one).

    python3 stages/verify/harness/gpu_suite.py --json /tmp/suite.json [--backends cuda,cpu,triton] [--only relu]

Prints a markdown table to stdout; exit status 0 when every expectation held, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

HARNESS = Path(__file__).resolve().parent
REPO = HARNESS.parent.parent.parent
sys.path.insert(0, str(HARNESS))

from kforge_harness.backends import triton_interpreting  # noqa: E402
from kforge_harness.driver import Driver, DriverOptions  # noqa: E402
from kforge_harness.discovery import problem_key  # noqa: E402
from kforge_harness.protocol import VerifyJob  # noqa: E402

MANIFEST = REPO / "test" / "fixtures" / "candidates" / "suite.json"


def job_for(entry: dict[str, Any], manifest_dir: Path) -> VerifyJob:
    code = (REPO / entry["problem"]).read_text(encoding="utf-8")
    cuda = entry["backend"] == "cuda" or (entry["backend"] == "triton" and not triton_interpreting())
    return VerifyJob(
        candidate_id=entry["file"], problem_name=Path(entry["problem"]).stem, problem_code=code,
        problem_key=problem_key(code), kernel_source=(manifest_dir / entry["file"]).read_text(encoding="utf-8"),
        backend=entry["backend"], tolerance_policy=entry["tolerance_policy"], trials=3,
        warmup=3 if cuda else 1, repeats=20 if cuda else 5, timeout_s=float(entry.get("timeout_s", 300)),
        seed=7, compile_reference=False)


def expectation(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry's expected verdict here: a triton entry run in Triton's CPU interpreter, where the GPU-only
    defences cannot apply, has its own (`expected_interpreted`) where it differs."""
    if entry["backend"] == "triton" and triton_interpreting() and "expected_interpreted" in entry:
        return entry["expected_interpreted"]
    return entry["expected"]


def judge(entry: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """What differs from the expectation (empty: as expected)."""
    exp, problems = expectation(entry), []
    if result.get("correct") != exp["correct"]:
        problems.append(f"correct={result.get('correct')} (expected {exp['correct']})")
    stage = exp.get("fail_stage")
    allowed = stage if isinstance(stage, list) else [stage]
    if result.get("fail_stage") not in allowed:
        problems.append(f"fail_stage={result.get('fail_stage')} (expected {stage})")
    missing = [f for f in exp.get("flags", []) if f not in result.get("flags", [])]
    if missing:
        problems.append(f"missing flags {missing}")
    if "suspect" in exp and result.get("suspect") != exp["suspect"]:
        problems.append(f"suspect={result.get('suspect')} (expected {exp['suspect']})")
    if "build_rewritten" in exp and bool(result.get("build_rewrites")) != exp["build_rewritten"]:
        problems.append(f"build_rewrites={result.get('build_rewrites')} (expected {'some' if exp['build_rewritten'] else 'none'})")
    for policy in exp.get("not_passes", []):
        if policy in result.get("passes_policies", []):
            problems.append(f"passes policy {policy!r}")
    reasons = (result.get("problem_facts") or {}).get("weak_reasons") or []
    for reason in exp.get("weak_reasons", []):
        if reason not in reasons:
            problems.append(f"weak_reasons lacks {reason!r} (got {reasons})")
    return problems


def verdict(r: dict[str, Any]) -> str:
    word = "SUSPECT" if r.get("suspect") else ("PASS" if r.get("correct") else "FAIL")
    return f"{word} {r.get('fail_stage') or ''}".strip()


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| kind | class | fixture | backend | verdict | flags | as expected |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        e, r = row["entry"], row["result"]
        label = ("caught" if row["ok"] else "MISSED") if e["kind"] == "exploit" else \
            ("unflagged" if row["ok"] else "WRONGLY FLAGGED/FAILED")
        note = "" if row["ok"] else " — " + "; ".join(row["problems"])
        cls = f"{e['class']} {e.get('short', '')}" if e["kind"] == "exploit" else "-"
        lines.append(f"| {e['kind']} | {cls} | {Path(e['file']).name} | {e['backend']} | {verdict(r)} | "
                     f"{', '.join(r.get('flags', [])) or '-'} | {label}{note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", type=Path, required=True, help="where to write the rows and raw results")
    p.add_argument("--manifest", type=Path, default=MANIFEST)
    p.add_argument("--backends", default="cuda,cpu")
    p.add_argument("--only", default="", help="comma-separated: run fixtures whose file contains one of these")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--device-share", type=int, default=1,
                   help="candidates whose correctness checks share a device at once (the driver's option)")
    p.add_argument("--build-root", type=Path, default=Path(tempfile.gettempdir()) / "kforge-suite-builds")
    args = p.parse_args(argv)
    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    backends = {b.strip() for b in args.backends.split(",") if b.strip()}
    only = [o for o in args.only.split(",") if o] or [""]
    entries = [e for e in manifest["fixtures"] if e["backend"] in backends and any(o in e["file"] for o in only)]
    jobs = [job_for(e, args.manifest.parent) for e in entries]
    driver = Driver(DriverOptions(build_root=args.build_root.resolve(),
                                  scratch_root=Path(tempfile.mkdtemp(prefix="kforge-suite-")), workers=args.workers,
                                  device_share=max(1, args.device_share)))
    results: dict[str, dict[str, Any]] = {}

    def on_result(r: dict[str, Any]) -> None:
        results[r["candidate_id"]] = r
        print(f"  {r['candidate_id']}: {verdict(r)} {r.get('flags')}", file=sys.stderr, flush=True)

    def terminate(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, terminate)  # a time-boxed run still writes the table of what finished
    interrupted = False
    try:
        driver.run_many(jobs, on_result)
    except KeyboardInterrupt:
        interrupted = True
        print(f"interrupted: {len(results)} of {len(jobs)} fixtures finished; the rest are marked not run",
              file=sys.stderr, flush=True)
    rows = []
    for e in entries:
        r = results.get(e["file"], {})
        problems = judge(e, r) if r else ["not run (interrupted)"]
        rows.append({"entry": e, "result": r, "ok": not problems, "problems": problems})
    print(table(rows))
    env = next((r.get("env") for r in results.values() if r.get("env", {}).get("torch_version")), None)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"env": env, "rows": rows, "interrupted": interrupted}, indent=1), encoding="utf-8")
    failed = [row for row in rows if not row["ok"]]
    print(f"\n{len(rows) - len(failed)}/{len(rows)} as expected", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
