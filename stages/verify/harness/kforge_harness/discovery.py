"""Jobs from a folder of candidates and KernelBench's problems JSONL (for GPU hosts without Node).

A candidate is a file `{level}_{problem_id}_*.py`, or any `.py` inside a folder named
`{level}_{problem_id}` or `{level}_{problem_id}_*` (at any depth). candidate_id = its path
relative to the candidates folder.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterator

from .protocol import VerifyJob

_NAME = re.compile(r"^(\d+)_(\d+)(?:_.*)?$")


def normalise_code(code: str) -> str:
    """Same as kernelbench/problem.ts normaliseCode: drop comments and all whitespace."""
    lines = []
    for line in re.split(r"\r?\n", code):
        quote = None
        i, cut = 0, len(line)
        while i < len(line):
            c = line[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote = None
            elif c in ("'", '"'):
                quote = c
            elif c == "#":
                cut = i
                break
            i += 1
        lines.append(line[:cut])
    return re.sub(r"\s+", "", "".join(lines))


def problem_key(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("utf-8")).hexdigest()


def load_problems(path: Path) -> dict[tuple[int, int], dict[str, Any]]:
    problems: dict[tuple[int, int], dict[str, Any]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                p = json.loads(line)
                problems[(int(p["level"]), int(p["problem_id"]))] = p
    return problems


def _level_and_id(path: Path, root: Path) -> tuple[int, int] | None:
    m = _NAME.match(path.stem)
    if m:
        return int(m.group(1)), int(m.group(2))
    for parent in path.relative_to(root).parents:
        m = _NAME.match(parent.name)
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def discover(candidates: Path) -> Iterator[tuple[Path, tuple[int, int] | None]]:
    for path in sorted(candidates.rglob("*.py")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path, _level_and_id(path, candidates)


def build_jobs(problems_path: Path, candidates: Path, settings: dict[str, Any],
               warn: Any = print) -> list[VerifyJob]:
    problems = load_problems(problems_path)
    jobs = []
    for path, key in discover(candidates):
        if key is None:
            warn(f"skipping {path}: name does not start with {{level}}_{{problem_id}}")
            continue
        problem = problems.get(key)
        if problem is None:
            warn(f"skipping {path}: no problem level {key[0]} id {key[1]} in {problems_path}")
            continue
        jobs.append(VerifyJob.from_dict({
            "candidate_id": str(path.relative_to(candidates)),
            "problem": {"name": problem["name"], "code": problem["code"], "key": problem_key(problem["code"])},
            "kernel_source": path.read_text(encoding="utf-8"),
            **settings,
        }))
    return jobs
