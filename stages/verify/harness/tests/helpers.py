"""Shared by the harness unit tests: import a problem from source text, the core's input maker."""
from __future__ import annotations

import importlib.util
import sys
import tempfile
import uuid
from pathlib import Path

HARNESS = Path(__file__).resolve().parent.parent
REPO = HARNESS.parent.parent.parent
if str(HARNESS) not in sys.path:
    sys.path.insert(0, str(HARNESS))

_TMP = Path(tempfile.mkdtemp(prefix="kforge-tests-"))


def import_problem(code: str):
    name = f"kforge_test_problem_{uuid.uuid4().hex[:8]}"
    path = _TMP / f"{name}.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def builtin_problem(rel: str):
    return import_problem((REPO / "kernelbench" / "builtin" / rel).read_text(encoding="utf-8"))
