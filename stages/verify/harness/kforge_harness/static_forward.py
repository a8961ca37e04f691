"""Per-call patterns inside one function reachable from ModelNew.forward (see static_python).

- torch ops doing the problem's work ('static:torch_op_in_forward', informative),
- try/except that does not just re-raise ('static:try_except_fallback'),
- state that survives the call: module-level containers written, self.<attr> counters, input-derived
  values stored on self, data_ptr() used as a key, memoising decorators ('static:cross_call_cache').
  One exception: a registered buffer updated as a blend of its old value and this call's statistics
  (`self.running_mean = 0.9 * self.running_mean + 0.1 * mean`) is what nn.BatchNorm does in training mode,
  and a kernel that replaces it must do it too (lb-1-33 on the H200 was flagged for exactly that). A
  blend that smuggles a result through is left to the dynamic defence (VERIFICATION.md #6: fresh inputs
  every trial, outputs made while timing re-checked).
"""
from __future__ import annotations

import ast
from typing import Any

from .static_names import _ALLOWED_TORCH, _BUILD_CALLS, _COMPUTE_METHODS, _MUTATORS, _dotted

_OP_NAMESPACES = ("torch.nn.functional.", "torch.special.", "torch.linalg.", "torch.fft.", "torch.")
_NON_COMPUTE_NAMESPACES = ("torch.cuda.", "torch.utils.", "torch.backends.", "torch.autograd.", "torch.jit.",
                           "torch.nn.init.", "torch.testing.", "torch.distributed.", "torch.nn.Parameter")
_MEMO_DECORATORS = ("lru_cache", "cache", "cached_property")


class ForwardScan:
    def __init__(self, scan: Any, fn: ast.AST, forward_args: set[str], compute_attrs: set[str],
                 buffers: set[str] | None = None):
        self.scan, self.fn = scan, fn
        self.forward_args, self.compute_attrs = forward_args, compute_attrs
        self.buffers = buffers or set()
        self.found: set[str] = set()
        self.derived: set[str] = set()
        self.derived = self._derived_names()

    def _derived_names(self) -> set[str]:
        """Local names holding values computed from the inputs (y = torch.empty_like(x), then a Triton
        launch writes y): storing one on self keeps one call's result for the next, as self.last = x does."""
        assigns = [n for n in ast.walk(self.fn) if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None]
        derived: set[str] = set()
        grew = True
        while grew:
            grew = False
            for n in assigns:
                targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                names = {e.id for t in targets for e in ast.walk(t) if isinstance(e, ast.Name)} - derived
                if names and self._mentions_input(n.value, derived):
                    derived |= names
                    grew = True
        return derived

    def run(self) -> set[str]:
        for deco in getattr(self.fn, "decorator_list", []):
            target = deco.func if isinstance(deco, ast.Call) else deco
            if (_dotted(target) or "").rsplit(".", 1)[-1] in _MEMO_DECORATORS and not self._memoises_a_build():
                self.found.add("static:cross_call_cache")
        for node in ast.walk(self.fn):
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
                self.found.add("static:torch_op_in_forward")
            elif isinstance(node, ast.Try) and self.scan._handler_falls_back(node):
                self.found.add("static:try_except_fallback")
            elif isinstance(node, ast.Global):
                if set(node.names) & self.scan.containers or self._assigns_global(node.names):
                    self.found.add("static:cross_call_cache")
            elif isinstance(node, ast.AugAssign):
                if self._is_self_attr(node.target) or self._is_container_item(node.target):
                    self.found.add("static:cross_call_cache")  # a call counter / accumulator
            elif isinstance(node, ast.Assign):
                self._assign(node)
        return self.found

    def _call(self, node: ast.Call) -> None:
        name = self.scan.resolve(node.func) or ""
        if self._is_torch_compute(name):
            self.found.add("static:torch_op_in_forward")
        if isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, _dotted(node.func.value) or ""
            if method in _COMPUTE_METHODS and not self._is_extension(receiver) \
                    and not receiver.startswith(("torch", "np", "numpy", "math")):
                self.found.add("static:torch_op_in_forward")
            if method in _MUTATORS and (receiver in self.scan.containers or receiver.startswith("self.")):
                if receiver in self.scan.containers or self._mentions_input(node):
                    self.found.add("static:cross_call_cache")
            if method == "data_ptr" and self._used_as_key(node):
                self.found.add("static:cross_call_cache")
        callee = _dotted(node.func) or ""
        if callee.startswith("self.") and callee.count(".") == 1 and callee[5:] in self.compute_attrs:
            self.found.add("static:torch_op_in_forward")  # self.linear(x) with self.linear = nn.Linear(...)

    def _is_torch_compute(self, name: str) -> bool:
        if not name.startswith("torch.") or name.startswith(_NON_COMPUTE_NAMESPACES):
            return False
        for ns in _OP_NAMESPACES:
            if name.startswith(ns):
                op = name[len(ns):]
                return "." not in op and op not in _ALLOWED_TORCH and not op[:1].isupper()
        return False

    def _is_extension(self, receiver: str) -> bool:
        return receiver in self.scan.extensions or receiver.split(".")[0] in self.scan.extensions

    def _is_build(self, value: ast.AST) -> bool:
        """load_inline(...)/load(...): caching a compiled extension across calls is what it is for."""
        return isinstance(value, ast.Call) and (self.scan.resolve(value.func) or "").rsplit(".", 1)[-1] in _BUILD_CALLS

    def _memoises_a_build(self) -> bool:
        args = getattr(self.fn, "args", None)
        no_args = args is not None and not [a for a in args.args if a.arg not in ("self", "cls")] and not args.vararg
        return no_args or any(self._is_build(n) for n in ast.walk(self.fn))

    def _assign(self, node: ast.Assign) -> None:
        if self._is_build(node.value):
            return
        for t in node.targets:
            if self._is_container_item(t):
                self.found.add("static:cross_call_cache")
            elif isinstance(t, ast.Subscript) and self._is_self_attr(t.value):
                self.found.add("static:cross_call_cache")  # self.cache[key] = ...
            elif self._is_self_attr(t):
                attr = _dotted(t) or ""
                reads_itself = any(_dotted(n) == attr for n in ast.walk(node.value) if isinstance(n, ast.Attribute))
                from_input = self._mentions_input(node.value)
                if reads_itself and from_input and attr[5:] in self.buffers:
                    continue  # a running statistic (see the module's docstring)
                if reads_itself or from_input:
                    self.found.add("static:cross_call_cache")  # self.n = self.n + 1, self.last = x...

    def _assigns_global(self, names: list[str]) -> bool:
        return any(isinstance(n, (ast.Assign, ast.AugAssign)) for n in ast.walk(self.fn)
                   for t in (n.targets if isinstance(n, ast.Assign) else [getattr(n, "target", None)])
                   if isinstance(t, ast.Name) and t.id in names)

    @staticmethod
    def _is_self_attr(t: ast.AST) -> bool:
        return isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"

    def _is_container_item(self, t: ast.AST) -> bool:
        return isinstance(t, ast.Subscript) and (_dotted(t.value) or "") in self.scan.containers

    def _mentions_input(self, node: ast.AST, derived: set[str] | None = None) -> bool:
        """The expression uses a forward argument, a local computed from one, or the result of a call (an output)."""
        inputs = self.forward_args | (self.derived if derived is None else derived)
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id in inputs:
                return True
            if isinstance(n, ast.Call) and self._is_extension(_dotted(n.func) or ""):
                return True
        return False

    def _used_as_key(self, call: ast.Call) -> bool:
        """data_ptr() whose value is compared for identity/membership, indexes, or is stored."""
        node: ast.AST = call
        parent = self.scan.parent.get(node)
        while parent is not None and not isinstance(parent, ast.stmt):
            if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod):
                return False  # alignment check: ptr % 16
            if isinstance(parent, ast.Subscript) and node is parent.slice:
                return True
            if isinstance(parent, (ast.Dict, ast.Compare, ast.Set)):
                return True
            if isinstance(parent, ast.Call) and (_dotted(parent.func) or "").rsplit(".", 1)[-1] in ("get", "hash", "setdefault"):
                return True
            node, parent = parent, self.scan.parent.get(parent)
        if isinstance(parent, ast.Assign):
            return any(self._is_self_attr(t) or isinstance(t, ast.Subscript) for t in parent.targets) or \
                self._name_used_as_key(parent)
        return False

    def _name_used_as_key(self, assign: ast.Assign) -> bool:
        """ptr = x.data_ptr() (or key = (x.data_ptr(), ...)) later used as a subscript or in a comparison."""
        names = {t.id for t in assign.targets if isinstance(t, ast.Name)}
        for n in ast.walk(self.fn):
            if isinstance(n, ast.Subscript) and any(isinstance(m, ast.Name) and m.id in names for m in ast.walk(n.slice)):
                return True
            if isinstance(n, ast.Compare) and any(isinstance(m, ast.Name) and m.id in names for m in ast.walk(n)):
                return True
            if isinstance(n, ast.Call) and (_dotted(n.func) or "").rsplit(".", 1)[-1] in ("get", "setdefault") \
                    and any(isinstance(m, ast.Name) and m.id in names for a in n.args for m in ast.walk(a)):
                return True
        return False
