"""The Python half of static_check: an `ast` walk over the candidate module.

"Reachable" code is ModelNew.forward/__call__ plus every method (self.x()) and module-level function
(f()) it calls, transitively, within the file: that is where per-call behaviour lives.
"""
from __future__ import annotations

import ast

from .static_forward import ForwardScan
from .static_names import (
    _ALLOWED_NN, _ALLOWED_TORCH, _BUILD_CALLS, _COMPUTE_METHODS, _CONTAINER_CALLS, _FRAME_ATTRS, _INSPECT,
    _FP32_DOT_PRECISIONS, _LOW_DTYPES, _MUTATORS, _PATCH_ROOTS, _STREAM_NAMES, _THREAD_MODULES, _dotted,
)


class PythonScan:
    def __init__(self, tree: ast.AST):
        self.tree = tree
        self.found: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.functions: dict[str, ast.AST] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.containers: set[str] = set()
        self.extensions: set[str] = set()
        self.parent: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node

    def resolve(self, node: ast.AST) -> str | None:
        name = _dotted(node)
        if name is None:
            return None
        root, _, rest = name.partition(".")
        full = self.aliases.get(root, root)
        return f"{full}.{rest}" if rest else full

    def run(self) -> set[str]:
        self._module_level()
        for node in ast.walk(self.tree):
            self._anywhere(node)
        model_new = self.classes.get("ModelNew")
        if model_new is not None:
            self._model_new(model_new)
        return self.found

    def _module_level(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.aliases[(a.asname or a.name).split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in getattr(self.tree, "body", []):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if self._is_container(node.value):
                    self.containers.update(names)
        for node in ast.walk(self.tree):  # extension handles: x = load_inline(...), self.x = load(...)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                callee = (self.resolve(node.value.func) or "").rsplit(".", 1)[-1]
                if callee in _BUILD_CALLS:
                    for t in node.targets:
                        name = _dotted(t)
                        if name:
                            self.extensions.add(name)

    def _is_container(self, value: ast.AST) -> bool:
        if isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp)):
            return True
        return isinstance(value, ast.Call) and (self.resolve(value.func) or "") in _CONTAINER_CALLS

    def _anywhere(self, node: ast.AST) -> None:
        """Patterns that are suspect wherever they appear in the file."""
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for m in mods:
                if m.startswith("kforge_harness") or m == "builtins":
                    self.found.add("static:patches_harness")
                if m.startswith("kforge_reference"):
                    self.found.add("static:uses_reference")
                if m.startswith(_THREAD_MODULES):
                    self.found.add("static:streams_or_threads")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                self._check_patch_target(t)
            if isinstance(node, ast.Assign) and any("allow_tf32" in (_dotted(t) or "") for t in node.targets):
                if not (isinstance(node.value, ast.Constant) and node.value.value is False):
                    self.found.add("lowp:tf32")
        elif isinstance(node, ast.Call):
            self._check_call_anywhere(node)
        elif isinstance(node, ast.Attribute) and node.attr in _FRAME_ATTRS:
            self.found.add("static:patches_harness")
        elif isinstance(node, ast.Constant) and node.value == "kforge_reference":
            self.found.add("static:uses_reference")
        elif isinstance(node, ast.Try):
            body_calls = {(self.resolve(c.func) or "").rsplit(".", 1)[-1]
                          for s in node.body for c in ast.walk(s) if isinstance(c, ast.Call)}
            if body_calls & _BUILD_CALLS and self._handler_falls_back(node):
                self.found.add("static:try_except_fallback")

    def _check_patch_target(self, t: ast.AST) -> None:
        base = t.value if isinstance(t, ast.Subscript) else t
        if not isinstance(base, (ast.Attribute, ast.Subscript, ast.Name)):
            return
        if isinstance(t, ast.Name):  # rebinding a local name patches nothing, except the builtins dict
            if t.id == "__builtins__":
                self.found.add("static:patches_harness")
            return
        full = self.resolve(base) or ""
        parts = full.split(".")
        if parts[0] in _PATCH_ROOTS and not ({"backends", "config"} & set(parts)):
            self.found.add("static:patches_harness")

    def _check_call_anywhere(self, node: ast.Call) -> None:
        name = self.resolve(node.func) or ""
        if name in ("setattr", "delattr") and node.args:
            owner = (self.resolve(node.args[0]) or "").split(".")[0]
            if owner in _PATCH_ROOTS:
                self.found.add("static:patches_harness")
        if name in _INSPECT or name.startswith("sys.modules.") and name.rsplit(".", 1)[-1] in _MUTATORS:
            self.found.add("static:patches_harness")
        if name in _STREAM_NAMES or name.startswith(_THREAD_MODULES):
            self.found.add("static:streams_or_threads")
        if name in ("torch.backends.cuda.matmul.allow_tf32", "torch.set_float32_matmul_precision"):
            if not (node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == "highest"):
                self.found.add("lowp:tf32")
        if name.endswith(("autocast",)):
            self.found.add("lowp:autocast")
        if name == "triton.language.dot" and self._dot_in_tf32(node):
            self.found.add("lowp:tf32")
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if method in ("half", "bfloat16") and not node.args:
            self.found.add("lowp:fp16" if method == "half" else "lowp:bf16")
        # .to(dtype) / .type(dtype) / dtype=..., and Triton's x.to(tl.float16)
        dtype_args = list(node.args) if method in ("to", "type") else []
        dtype_args += [k.value for k in node.keywords if k.arg in ("dtype", "out_dtype")]
        for a in dtype_args:
            kind = _LOW_DTYPES.get(self.resolve(a) or "")
            if kind:
                self.found.add(f"lowp:{kind}")

    @staticmethod
    def _dot_in_tf32(node: ast.Call) -> bool:
        """tl.dot without input_precision="ieee"/"tf32x3" (or allow_tf32=False, the 2.x spelling): on the GPU
        its fp32 inputs are rounded to TF32, as allow_tf32 does for torch."""
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        prec = kw.get("input_precision", node.args[3] if len(node.args) > 3 else None)  # dot(a, b, acc, prec)
        tf32 = kw.get("allow_tf32", node.args[4] if len(node.args) > 4 else None)
        if prec is not None:
            return isinstance(prec, ast.Constant) and prec.value not in _FP32_DOT_PRECISIONS
        if tf32 is not None:
            return not (isinstance(tf32, ast.Constant) and tf32.value is False)
        return True

    def _handler_falls_back(self, node: ast.Try) -> bool:
        """True unless every handler only re-raises."""
        for h in node.handlers:
            if not all(isinstance(s, ast.Raise) for s in h.body):
                return True
        return False

    # --- ModelNew and what its forward reaches ------------------------------------------------------
    def _model_new(self, cls: ast.ClassDef) -> None:
        lineage = self._lineage(cls)
        if any(c is None for c in lineage):  # a base that is the reference Model itself
            self.found.add("static:uses_reference")
        methods: dict[str, ast.AST] = {}
        for c in reversed([c for c in lineage if c is not None]):
            for n in c.body:
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    methods[n.name] = n
        for c in lineage:
            if c is not None and any(isinstance(n, ast.Name) and n.id == "Model" and isinstance(n.ctx, ast.Load)
                                     for n in ast.walk(c)):
                self.found.add("static:uses_reference")
        reach = self._reachable(methods)
        args = set()
        for fn in reach:
            if fn is methods.get("forward") or fn is methods.get("__call__"):
                args |= {a.arg for a in fn.args.args[1:]} | ({fn.args.vararg.arg} if fn.args.vararg else set())
        compute_attrs = self._compute_submodules(methods.get("__init__"))
        buffers = self._registered_buffers(methods.get("__init__"))
        for fn in reach:
            self.found |= ForwardScan(self, fn, args, compute_attrs, buffers).run()

    def _lineage(self, cls: ast.ClassDef) -> list[ast.ClassDef | None]:
        """cls and its bases defined in this file; None stands for a base named Model (the reference)."""
        out: list[ast.ClassDef | None] = [cls]
        seen = {cls.name}
        todo = list(cls.bases)
        while todo:
            b = todo.pop()
            name = _dotted(b) or ""
            short = name.rsplit(".", 1)[-1]
            if short == "Model" or "kforge_reference" in name:
                out.append(None)
            elif short in self.classes and short not in seen:
                seen.add(short)
                out.append(self.classes[short])
                todo.extend(self.classes[short].bases)
        return out

    def _reachable(self, methods: dict[str, ast.AST]) -> list[ast.AST]:
        roots = [methods[n] for n in ("forward", "__call__") if n in methods]
        seen: list[ast.AST] = []
        while roots:
            fn = roots.pop()
            if any(fn is s for s in seen):
                continue
            seen.append(fn)
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call):
                    continue
                name = _dotted(node.func) or ""
                if name.startswith("self.") and name.count(".") == 1 and name[5:] in methods:
                    roots.append(methods[name[5:]])
                elif name in self.functions:
                    roots.append(self.functions[name])
        return seen

    @staticmethod
    def _registered_buffers(init: ast.AST | None) -> set[str]:
        """Names given to self.register_buffer('<name>', ...) in __init__ (running statistics live there)."""
        if init is None:
            return set()
        return {n.args[0].value for n in ast.walk(init)
                if isinstance(n, ast.Call) and _dotted(n.func) == "self.register_buffer"
                and n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)}

    def _compute_submodules(self, init: ast.AST | None) -> set[str]:
        """self.<attr> = nn.X(...) in __init__ where X computes (not a container or Parameter)."""
        attrs: set[str] = set()
        if init is None:
            return attrs
        for node in ast.walk(init):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                callee = self.resolve(node.value.func) or ""
                if callee.startswith("torch.nn.") and callee.rsplit(".", 1)[-1] not in _ALLOWED_NN \
                        and not callee.startswith("torch.nn.init."):
                    attrs |= {t.attr for t in node.targets if isinstance(t, ast.Attribute)
                              and isinstance(t.value, ast.Name) and t.value.id == "self"}
        return attrs
