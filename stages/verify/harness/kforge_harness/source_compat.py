"""Source compatibility: the one C++ idiom of older torch that newer torch no longer compiles, rewritten.

Published kernels dispatch on `x.type()` (`AT_DISPATCH_FLOATING_TYPES(x.type(), "name", ...)`): the
`DeprecatedTypeProperties` overload of the dispatch macros, which torch 2.11 removed. On the H200 (torch
2.11, CUDA 13) three honest level-1 kernels that KernelBench had accepted failed at `build` this way
("no suitable conversion function from const at::DeprecatedTypeProperties to c10::ScalarType",
docs/gpu/session-6/). The overload did nothing but call `.scalarType()`, so the first argument of an
`AT_DISPATCH_*` macro written `<expr>.type()` becomes `<expr>.scalar_type()`: the same dispatch on every
torch since 1.0. Nothing else in the source is touched; every rewrite is recorded in `build_rewrites`.
Pure functions: the caller (flag_recorder.py) passes the source strings of a `load_inline` call.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_MACRO = re.compile(r"\bAT_DISPATCH_[A-Z0-9_]+\s*\(")
_TYPE_CALL = re.compile(r"\.\s*type\s*\(\s*\)\s*$")


@dataclass
class CompatSource:
    text: str
    rewrites: list[str] = field(default_factory=list)


def _first_argument_end(text: str, start: int) -> int | None:
    """Index of the comma that ends the macro argument starting at `start` (None: no top-level comma)."""
    depth = 0
    i = start
    while i < len(text):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return None  # the macro's own closing parenthesis: one argument only, not a dispatch
            depth -= 1
        elif c == "," and depth == 0:
            return i
        elif c == '"':  # a string literal cannot hold the first argument's end
            i = text.find('"', i + 1)
            if i < 0:
                return None
        i += 1
    return None


def rewrite_dispatch_type(text: str) -> CompatSource:
    """`AT_DISPATCH_*(<expr>.type(), ...)` -> `AT_DISPATCH_*(<expr>.scalar_type(), ...)`, every occurrence."""
    out: list[str] = []
    rewrites: list[str] = []
    pos = 0
    for m in _MACRO.finditer(text):
        if m.start() < pos:
            continue
        end = _first_argument_end(text, m.end())
        if end is None:
            continue
        arg = text[m.end():end]
        t = _TYPE_CALL.search(arg)
        if t is None:
            continue
        expr = arg[:t.start()]
        out.append(text[pos:m.end()])
        out.append(f"{expr}.scalar_type()")
        rewrites.append(f"{m.group(0).rstrip('( ')}({expr.strip()}.type()) -> {expr.strip()}.scalar_type()")
        pos = end
    out.append(text[pos:])
    return CompatSource("".join(out), rewrites)


def rewrite_sources(sources: object) -> tuple[object, list[str]]:
    """A load_inline `cpp_sources` / `cuda_sources` value (a string or a list of strings), rewritten."""
    if isinstance(sources, str):
        r = rewrite_dispatch_type(sources)
        return r.text, r.rewrites
    if isinstance(sources, (list, tuple)) and all(isinstance(s, str) for s in sources):
        done = [rewrite_dispatch_type(s) for s in sources]
        return type(sources)(d.text for d in done), [x for d in done for x in d.rewrites]
    return sources, []
