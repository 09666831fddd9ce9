"""A micrograd-style scalar autograd engine and a safe parser for the student's expressions.

The student types small programs such as

    y = w*x + b
    loss = (y - t)**2

The parser accepts only names, numbers, + - * / **, unary minus and the functions in FUNCTIONS (Python `ast`
with an allow-list; nothing is ever passed to eval/exec). The same parsed program is evaluated twice: with our
Value engine and with torch tensors, so the page can show both gradients side by side.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Callable

from core import pyparse
from core.errors import UserError

FUNCTIONS = ("tanh", "exp", "log", "sigmoid", "relu")
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
# Deep expressions (999 nested `x+`) would blow Python's recursion in ast/eval/backward; no lesson needs more.
MAX_DEPTH = 100


class Value:
    """A scalar that remembers how it was made, so backward() can apply the chain rule."""

    def __init__(self, data: float, children: tuple["Value", ...] = (), op: str = "", label: str = "",
                 const: bool = False):
        self.data = float(data)
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = children
        self.op = op
        self.label = label
        self.const = const

    def __repr__(self) -> str:
        return f"Value({self.label or self.op}={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other: "Value") -> "Value":
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __sub__(self, other: "Value") -> "Value":
        out = Value(self.data - other.data, (self, other), "-")

        def _backward():
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: "Value") -> "Value":
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other: "Value") -> "Value":
        if other.data == 0:
            raise UserError("ag.div_zero", "division by zero")
        out = Value(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += out.grad / other.data
            other.grad -= self.data / other.data**2 * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other: "Value") -> "Value":
        try:
            data = self.data**other.data
        except (OverflowError, ZeroDivisionError) as exc:
            raise UserError("ag.bad_pow", str(exc)) from exc
        if isinstance(data, complex) or not math.isfinite(data):
            raise UserError("ag.bad_pow", "power is not a finite real number")
        out = Value(data, (self, other), "**")

        def _backward():
            if self.data != 0 or other.data >= 1:  # 0**(b-1) with b < 1 has no finite derivative
                self.grad += other.data * self.data ** (other.data - 1) * out.grad
            if not other.const and self.data > 0:  # d(a**b)/db = a**b * ln a, defined for a > 0
                other.grad += data * math.log(self.data) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> "Value":
        return self * Value(-1.0, const=True)

    def _unary(self, data: float, local_grad: float, op: str) -> "Value":
        out = Value(data, (self,), op)

        def _backward():
            self.grad += local_grad * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> "Value":
        t = math.tanh(self.data)
        return self._unary(t, 1 - t * t, "tanh")

    def exp(self) -> "Value":
        try:
            e = math.exp(self.data)
        except OverflowError as exc:
            raise UserError("ag.overflow", "exp overflowed") from exc
        return self._unary(e, e, "exp")

    def log(self) -> "Value":
        if self.data <= 0:
            raise UserError("ag.log_domain", "log of a non-positive number", value=self.data)
        return self._unary(math.log(self.data), 1 / self.data, "log")

    def sigmoid(self) -> "Value":
        s = 1 / (1 + math.exp(-self.data)) if self.data >= 0 else math.exp(self.data) / (1 + math.exp(self.data))
        return self._unary(s, s * (1 - s), "sigmoid")

    def relu(self) -> "Value":
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0, "relu")

    def topo(self) -> list["Value"]:
        """Children before parents; iterative, so a long chain of statements cannot hit the recursion limit."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            v, expanded = stack.pop()
            if expanded:
                order.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((child, False) for child in reversed(v._prev))
        return order

    def backward(self) -> None:
        order = self.topo()
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


# ---- parsing -----------------------------------------------------------------------------------------------
@dataclass
class Program:
    source: str
    statements: list[tuple[str, ast.expr]]  # (target name, expression); the last target is the output
    inputs: list[str]                        # free names, in order of first use

    @property
    def output(self) -> str:
        return self.statements[-1][0]


def _check(node: ast.AST, assigned: set[str], inputs: list[str], depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise UserError("ag.too_deep", "the expression is nested too deeply", limit=MAX_DEPTH)
    depth += 1
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise UserError("ag.bad_op", f"operator {type(node.op).__name__} is not allowed",
                            what=type(node.op).__name__)
        _check(node.left, assigned, inputs, depth)
        _check(node.right, assigned, inputs, depth)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise UserError("ag.bad_op", "only unary minus/plus", what=type(node.op).__name__)
        _check(node.operand, assigned, inputs, depth)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise UserError("ag.bad_const", f"only numbers are allowed, not {node.value!r}", what=repr(node.value))
        try:
            finite = math.isfinite(float(node.value))
        except OverflowError:  # an int of 1999 digits parses, but no float holds it
            finite = False
        if not finite:
            raise UserError("ag.big_number", "a number is too large", text=ast.unparse(node)[:20])
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise UserError("ag.func_as_name", f"{node.id} is a function: write {node.id}(...)", name=node.id)
        if node.id.startswith("_"):
            raise UserError("ag.bad_name", f"names may not start with '_': {node.id}", name=node.id)
        if node.id not in assigned and node.id not in inputs:
            inputs.append(node.id)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise UserError("ag.bad_call", f"unknown function {name}; allowed: {', '.join(FUNCTIONS)}",
                            name=name, allowed=", ".join(FUNCTIONS))
        if len(node.args) != 1 or node.keywords:
            raise UserError("ag.call_args", f"{node.func.id}() takes exactly one argument", name=node.func.id)
        _check(node.args[0], assigned, inputs, depth)
    else:
        raise UserError("ag.bad_syntax_node", f"{type(node).__name__} is not allowed", what=type(node).__name__)


def parse_program(source: str, max_len: int = 2000, need_inputs: bool = True) -> Program:
    """Parse 'name = expr' lines (a final bare expression is named 'out'). Raises UserError on anything else."""
    if not source.strip():
        raise UserError("ag.empty", "the expression is empty")
    if len(source) > max_len:
        raise UserError("ag.too_long", "the expression is too long", limit=max_len)
    try:
        tree = pyparse.parse(source, mode="exec")
    except SyntaxError as exc:
        raise UserError("ag.syntax", f"syntax error on line {exc.lineno}: {exc.msg}", line=exc.lineno or 0,
                        msg=exc.msg) from exc
    except (RecursionError, MemoryError) as exc:  # CPython's parser has its own nesting limits
        raise UserError("ag.too_deep", "the expression is nested too deeply", limit=MAX_DEPTH) from exc
    statements: list[tuple[str, ast.expr]] = []
    assigned: set[str] = set()
    inputs: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target = stmt.targets[0].id
            if target in FUNCTIONS or target.startswith("_"):
                raise UserError("ag.bad_name", f"cannot assign to {target}", name=target)
            _check(stmt.value, assigned, inputs)
            if target in inputs:
                raise UserError("ag.reassign_input", f"{target} is used before it is assigned", name=target)
            statements.append((target, stmt.value))
            assigned.add(target)
        elif isinstance(stmt, ast.Expr) and stmt is tree.body[-1]:
            _check(stmt.value, assigned, inputs)
            statements.append(("out", stmt.value))
        else:
            raise UserError("ag.bad_syntax_node", f"{type(stmt).__name__} is not allowed", what=type(stmt).__name__)
    if not statements:
        raise UserError("ag.empty", "the expression is empty")
    if need_inputs and not inputs:  # `3` alone: nothing to differentiate with respect to (the calculator allows it)
        raise UserError("ag.no_inputs", "use at least one variable, e.g. x")
    return Program(source, statements, inputs)


# ---- evaluation with either backend ------------------------------------------------------------------------
def _evaluate(program: Program, env: dict, const: Callable, binop: Callable, unary: Callable) -> dict:
    def ev(node):
        if isinstance(node, ast.Constant):
            return const(node.value)
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.UnaryOp):
            val = ev(node.operand)
            return -val if isinstance(node.op, ast.USub) else val
        if isinstance(node, ast.BinOp):
            return binop(_BINOPS[type(node.op)], ev(node.left), ev(node.right))
        return unary(node.func.id, ev(node.args[0]))

    for target, expr in program.statements:
        env[target] = ev(expr)
    return env


def run_engine(program: Program, values: dict[str, float]) -> tuple[Value, dict[str, Value]]:
    """Forward and backward with our Value engine. Returns the output and all named nodes."""
    missing = [n for n in program.inputs if n not in values]
    if missing:
        raise UserError("ag.missing_value", f"no value for {', '.join(missing)}", names=", ".join(missing))
    env = {n: Value(values[n], label=n) for n in program.inputs}

    def binop(op, a, b):
        return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__, "**": a.__pow__}[op](b)

    def unary(name, a):
        return getattr(a, name)()

    try:
        env = _evaluate(program, env, lambda c: Value(c, const=True, label=repr(c)), binop, unary)
        for target, _ in program.statements:
            if not env[target].label:
                env[target].label = target
        out = env[program.output]
        out.backward()
    except OverflowError as exc:  # e.g. exp(x-745)**0.01: a denormal base whose derivative overflows
        raise UserError("ag.grad_overflow", "a value or gradient overflowed") from exc
    return out, env


def run_torch(program: Program, values: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The same program through torch.autograd (float64). Returns the output value and each input's grad."""
    import torch

    env = {n: torch.tensor(float(values[n]), dtype=torch.float64, requires_grad=True) for n in program.inputs}
    leaves = dict(env)

    def binop(op, a, b):
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                "**": lambda: a**b}[op]()

    def unary(name, a):
        return {"tanh": torch.tanh, "exp": torch.exp, "log": torch.log, "sigmoid": torch.sigmoid,
                "relu": torch.relu}[name](a)

    env = _evaluate(program, env, lambda c: torch.tensor(float(c), dtype=torch.float64), binop, unary)
    out = env[program.output]
    grads = torch.autograd.grad(out, list(leaves.values()), allow_unused=True)
    return float(out.detach()), {n: (0.0 if g is None else float(g)) for n, g in zip(leaves, grads)}


def to_dot(out: Value, rankdir: str = "LR") -> str:
    """Graphviz DOT of the computation graph: one box per value (label | data | grad), one oval per op."""
    lines = [f'digraph G {{ rankdir={rankdir}; node [fontname="Helvetica", fontsize=11];']
    for v in out.topo():
        vid = f"v{id(v)}"
        color = "#fde2d4" if v is out else ("#eeeeee" if v.const else ("#d4e6fd" if not v._prev else "white"))
        grad = "" if v.const else f" | grad {v.grad:.4g}"
        label = f"{{ {v.label or '·'} | data {v.data:.4g}{grad} }}"
        lines.append(f'{vid} [shape=record, style=filled, fillcolor="{color}", label="{label}"];')
        if v.op:
            oid = f"{vid}op"
            lines.append(f'{oid} [label="{v.op}", shape=ellipse];')
            lines.append(f"{oid} -> {vid};")
            for child in v._prev:
                lines.append(f"v{id(child)} -> {oid};")
    lines.append("}")
    return "\n".join(lines)
