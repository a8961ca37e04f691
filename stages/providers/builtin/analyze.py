"""Analyse a KernelBench problem for the builtin provider: which family of operator it is, with
what arguments, on which input shapes and dtypes, and which parameters the model owns.

Usage: python3 analyze.py < problem.py   (prints one JSON object on stdout)

Inputs are never materialised: tensor factories are redirected to the 'meta' device while
get_inputs() runs, because KernelBench inputs reach 6 GiB (level 1 problem 19). Ops are read
from torch.fx.symbolic_trace, which needs no inputs at all. Works on torch 1.13 and 2.x.
"""
import json
import operator
import sys

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F

FACTORIES = ["randn", "rand", "randint", "zeros", "ones", "empty", "full", "arange", "linspace", "normal"]

UNARY_FUNCS = {
    torch.relu: "relu", F.relu: "relu", torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid",
    torch.tanh: "tanh", F.tanh: "tanh", F.gelu: "gelu", F.silu: "silu", F.elu: "elu",
    F.selu: "selu", torch.selu: "selu", F.leaky_relu: "leaky_relu", F.hardtanh: "hardtanh",
    F.relu6: "relu6", F.softplus: "softplus", F.softsign: "softsign", F.hardsigmoid: "hardsigmoid",
    F.hardswish: "hardswish", F.mish: "mish", torch.exp: "exp", torch.abs: "abs", torch.neg: "neg",
}
UNARY_METHODS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "exp": "exp", "abs": "abs", "neg": "neg"}
UNARY_MODULES = {
    nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.GELU: "gelu", nn.SiLU: "silu",
    nn.ELU: "elu", nn.SELU: "selu", nn.LeakyReLU: "leaky_relu", nn.Hardtanh: "hardtanh",
    nn.ReLU6: "relu6", nn.Softplus: "softplus", nn.Softsign: "softsign", nn.Hardsigmoid: "hardsigmoid",
    nn.Hardswish: "hardswish", nn.Mish: "mish",
}
# Defaults of each activation's arguments, in positional order after the input.
UNARY_ARGS = {
    "leaky_relu": [("negative_slope", 0.01)], "elu": [("alpha", 1.0)],
    "hardtanh": [("min_val", -1.0), ("max_val", 1.0)], "softplus": [("beta", 1.0), ("threshold", 20.0)],
    "gelu": [("approximate", "none")],
}
BINARY = {
    torch.add: "add", operator.add: "add", torch.sub: "sub", operator.sub: "sub", torch.mul: "mul",
    operator.mul: "mul", torch.div: "div", operator.truediv: "div", torch.maximum: "maximum",
    torch.minimum: "minimum",
}
BINARY_METHODS = {"add": "add", "sub": "sub", "mul": "mul", "div": "div"}
REDUCE_FUNCS = {torch.sum: "sum", torch.mean: "mean", torch.max: "max", torch.min: "min",
                torch.amax: "max", torch.amin: "min"}
MATMUL_FUNCS = {torch.matmul: "matmul", torch.mm: "matmul", operator.matmul: "matmul"}


class Unsupported(Exception):
    pass


def meta_inputs(fn):
    """Call fn with torch's tensor factories redirected to the meta device."""
    saved = {}
    for name in FACTORIES:
        orig = getattr(torch, name)
        saved[name] = orig

        def make(orig):
            def factory(*args, **kwargs):
                kwargs["device"] = "meta"
                kwargs.pop("generator", None)
                return orig(*args, **kwargs)
            return factory
        setattr(torch, name, make(orig))
    try:
        return fn()
    finally:
        for name, orig in saved.items():
            setattr(torch, name, orig)


def unary_args(op, args, kwargs, module=None):
    spec = UNARY_ARGS.get(op, [])
    out = {}
    for i, (name, default) in enumerate(spec):
        if module is not None:
            value = getattr(module, name, default)
        elif i + 1 < len(args):
            value = args[i + 1]
        else:
            value = kwargs.get(name, default)
        out[name] = value
    if op == "gelu" and out.get("approximate") not in ("none", "tanh"):
        raise Unsupported("gelu approximate=%r" % (out.get("approximate"),))
    return out


def classify(gm, model, inputs):
    nodes = [n for n in gm.graph.nodes if n.op not in ("placeholder", "output")]
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    modules = dict(model.named_modules())
    steps = []
    for n in nodes:
        if n.op == "call_function" and n.target is operator.getitem:
            steps.append(("getitem", n.args[1], {}))
        elif n.op == "call_function":
            steps.append(("fn", n.target, n))
        elif n.op == "call_method":
            steps.append(("method", n.target, n))
        elif n.op == "call_module":
            steps.append(("module", modules[n.target], n))
        elif n.op == "get_attr":
            raise Unsupported("forward reads attribute %s directly" % n.target)
    if not steps:
        raise Unsupported("forward runs no operator")
    kind, target, node = steps[0]
    rest = steps[1:]

    def is_input(a):
        return hasattr(a, "op") and a.op == "placeholder"

    def dim_arg(node, pos, name, default=None):
        if len(node.args) > pos:
            return node.args[pos]
        return node.kwargs.get(name, default)

    # Linear (+ activation)
    if kind == "module" and isinstance(target, nn.Linear):
        act = None
        if rest:
            act = unary_of(rest[0])
            if act is None or len(rest) > 1:
                raise Unsupported("linear followed by %s is not in the builtin catalogue" % describe(rest))
        return {"family": "linear", "op": "linear", "module": node.target,
                "in_features": target.in_features, "out_features": target.out_features,
                "bias": target.bias is not None, "activation": act}
    if len(steps) == 1 or (kind in ("fn", "method") and rest and rest[0][0] == "getitem" and len(rest) == 1):
        un = unary_of(steps[0])
        if un is not None and len(steps) == 1:
            return {"family": "unary", "op": un["op"], "args": un["args"]}
        if kind == "module" and isinstance(target, nn.LayerNorm):
            return {"family": "layernorm", "op": "layer_norm", "module": node.target,
                    "normalized_shape": list(target.normalized_shape), "eps": target.eps,
                    "affine": bool(target.elementwise_affine)}
        if kind == "module" and isinstance(target, (nn.Softmax, nn.LogSoftmax)):
            op = "softmax" if isinstance(target, nn.Softmax) else "log_softmax"
            return {"family": "softmax", "op": op, "dim": target.dim}
        if kind == "fn" and target in (torch.softmax, F.softmax, torch.log_softmax, F.log_softmax) or \
                kind == "method" and target in ("softmax", "log_softmax"):
            op = "log_softmax" if "log" in getattr(target, "__name__", str(target)) else "softmax"
            return {"family": "softmax", "op": op, "dim": dim_arg(node, 1, "dim")}
        if kind == "fn" and target is F.layer_norm:
            raise Unsupported("functional layer_norm is not in the builtin catalogue")
        red = None
        if kind == "fn" and target in REDUCE_FUNCS:
            red = REDUCE_FUNCS[target]
        elif kind == "method" and target in ("sum", "mean", "max", "min", "amax", "amin"):
            red = {"amax": "max", "amin": "min"}.get(target, target)
        if red is not None:
            dim = dim_arg(node, 1, "dim")
            keepdim = bool(dim_arg(node, 2, "keepdim", False))
            if isinstance(dim, (list, tuple)):
                if len(dim) != 1:
                    raise Unsupported("reduction over several dims is not in the builtin catalogue")
                dim = dim[0]
            if not isinstance(dim, int):
                raise Unsupported("reduction without a constant dim is not in the builtin catalogue")
            tuple_result = red in ("max", "min") and target not in (torch.amax, torch.amin, "amax", "amin")
            if tuple_result and not (rest and rest[0][1] == 0):
                raise Unsupported("%s returning indices is not in the builtin catalogue" % red)
            if rest and not tuple_result:
                raise Unsupported("reduction followed by indexing is not in the builtin catalogue")
            return {"family": "reduction", "op": red, "dim": dim, "keepdim": keepdim}
        if (kind == "fn" and target in MATMUL_FUNCS) or (kind == "method" and target in ("matmul", "mm")):
            raise Unsupported("matmul not on two inputs")  # reached only for odd shapes, handled below
        if (kind == "fn" and target in BINARY) or (kind == "method" and target in BINARY_METHODS):
            a, b = node.args[0], node.args[1]
            if is_input(a) and is_input(b):
                op = BINARY[target] if kind == "fn" else BINARY_METHODS[target]
                if "alpha" in node.kwargs:
                    raise Unsupported("add/sub with alpha is not in the builtin catalogue")
                return {"family": "binary", "op": op}
    raise Unsupported("ops %s are not in the builtin catalogue" % describe(steps))


def matmul_of(gm):
    """A @ B on two inputs, where each may be transposed first (A.T, A.t(), A.transpose(0, 1))."""
    nodes = [n for n in gm.graph.nodes if n.op not in ("placeholder", "output")]
    trans = {}
    for n in nodes[:-1]:
        is_t = (n.op == "call_method" and n.target in ("t", "T")) or \
               (n.op == "call_function" and getattr(n.target, "__name__", "") == "getattr" and n.args[1] == "T") or \
               (n.op == "call_method" and n.target == "transpose" and set(n.args[1:3]) in ({0, 1}, {-1, -2}))
        if not is_t or n.args[0].op != "placeholder":
            return None
        trans[n] = n.args[0]
    last = nodes[-1] if nodes else None
    if last is None:
        return None
    if not ((last.op == "call_function" and last.target in MATMUL_FUNCS) or
            (last.op == "call_method" and last.target in ("matmul", "mm"))):
        return None
    a, b = last.args[0], last.args[1]
    names = [p.name for p in gm.graph.nodes if p.op == "placeholder"]
    out = {"family": "matmul", "op": "matmul"}
    for key, arg in (("a", a), ("b", b)):
        src = trans.get(arg, arg)
        if src.op != "placeholder":
            return None
        out[key + "_input"] = names.index(src.name)
        out["trans_" + key] = arg in trans
    return out


def unary_of(step):
    kind, target, node = step
    if kind == "fn" and target in UNARY_FUNCS:
        op = UNARY_FUNCS[target]
        return {"op": op, "args": unary_args(op, node.args, node.kwargs)}
    if kind == "method" and target in UNARY_METHODS:
        op = UNARY_METHODS[target]
        return {"op": op, "args": {}}
    if kind == "module" and type(target) in UNARY_MODULES:
        op = UNARY_MODULES[type(target)]
        return {"op": op, "args": unary_args(op, (), {}, module=target)}
    return None


def describe(steps):
    out = []
    for kind, target, _ in steps:
        if kind == "module":
            out.append(type(target).__name__)
        elif kind == "getitem":
            out.append("getitem")
        else:
            out.append(getattr(target, "__name__", str(target)))
    return ", ".join(out) or "none"


def analyse(code):
    ns = {"__name__": "kforge_problem"}
    exec(compile(code, "<problem>", "exec"), ns)
    for name in ("Model", "get_inputs", "get_init_inputs"):
        if name not in ns:
            raise Unsupported("problem has no %s" % name)
    init_inputs = list(ns["get_init_inputs"]())
    torch.manual_seed(0)
    model = ns["Model"](*init_inputs)
    inputs = meta_inputs(ns["get_inputs"])
    info = []
    for x in inputs:
        if isinstance(x, torch.Tensor):
            info.append({"kind": "tensor", "shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", "")})
        else:
            info.append({"kind": "scalar", "value": x if isinstance(x, (int, float, bool)) else repr(x)})
    params = [{"name": n, "shape": list(p.shape)} for n, p in model.named_parameters()]
    buffers = [n for n, _ in model.named_buffers()]
    result = {"ok": True, "inputs": info, "init_inputs": json.loads(json.dumps(init_inputs, default=repr)),
              "parameters": params}
    try:
        gm = torch.fx.symbolic_trace(model)
    except Exception as e:  # noqa: BLE001 - any trace failure means the op sequence is unknown to us
        raise Unsupported("forward cannot be traced (%s: %s)" % (type(e).__name__, str(e)[:200]))
    if buffers:
        raise Unsupported("model has buffers (%s)" % ", ".join(buffers))
    op = matmul_of(gm) or classify(gm, model, inputs)
    result["op"] = op
    tensors = [x for x in info if x["kind"] == "tensor"]
    if len(tensors) != len(info):
        raise Unsupported("non-tensor inputs are not in the builtin catalogue")
    dtypes = sorted({x["dtype"] for x in tensors})
    if dtypes != ["float32"]:
        raise Unsupported("input dtypes %s: the builtin catalogue handles float32 only" % ",".join(dtypes))
    module = op.get("module")
    owned = [module + ".weight", module + ".bias"] if module else []
    stray = [p["name"] for p in params if p["name"] not in owned]
    if stray:
        raise Unsupported("model has parameters the template does not own (%s)" % ", ".join(stray))
    if "." in str(op.get("module", "")):
        raise Unsupported("nested submodule %s is not in the builtin catalogue" % op["module"])
    return result


def main():
    code = sys.stdin.read()
    try:
        out = analyse(code)
    except Unsupported as e:
        out = {"ok": False, "reason": str(e)}
    except Exception as e:  # noqa: BLE001 - report, never crash the provider
        out = {"ok": False, "reason": "analysis failed: %s: %s" % (type(e).__name__, str(e)[:300])}
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
