"""Load the problem's reference module and the candidate's module from source text.

Both are written to files in the candidate's scratch dir and imported from there, so tracebacks
and `inspect` work, and torch's load_inline sees a real `__file__`.
"""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path


class LoadError(Exception):
    """The module imported but is unusable (no ModelNew, no get_inputs, ...), or import failed."""


REQUIRED_REFERENCE = ("Model", "get_inputs", "get_init_inputs")


def import_source(source: str, module_name: str, directory: Path) -> types.ModuleType:
    """Import `source` as a fresh module named `module_name`; exceptions propagate unchanged."""
    path = directory / f"{module_name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot create an import spec for {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def load_reference(code: str, directory: Path) -> types.ModuleType:
    try:
        module = import_source(code, "kforge_reference", directory)
    except Exception as e:  # the problem itself is broken: report it as a load failure
        raise LoadError(f"reference module failed to import: {type(e).__name__}: {e}") from e
    missing = [n for n in REQUIRED_REFERENCE if not hasattr(module, n)]
    if missing:
        raise LoadError(f"reference module defines no {', '.join(missing)}")
    return module


def check_candidate(module: types.ModuleType) -> type:
    """The candidate's ModelNew class, or LoadError saying what is wrong."""
    model_new = getattr(module, "ModelNew", None)
    if model_new is None:
        raise LoadError("candidate defines no class ModelNew")
    if not isinstance(model_new, type):
        raise LoadError(f"candidate's ModelNew is a {type(model_new).__name__}, not a class")
    return model_new
