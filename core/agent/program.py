"""Program-aided solving (Gao et al. 2022, PAL): the model writes a short Python program for a word problem, and a
safe evaluator runs it. A coder model writes `price = 2400 / 3` far more reliably than it does the sum in its head.

    evaluate(code, functions) -> number

The evaluator walks the syntax tree itself (never eval/exec) and allows only what a calculator offers: numbers,
variables, + - * / // % **, comparisons, `x if c else y`, if-statements, `for _ in range(n)`, and the functions
round, floor, ceil, factorial, sqrt, min, max, abs, sum (plus the ones the caller passes, e.g. a unit converter).
Anything else (imports, attributes, subscripts, strings outside a call, while-loops, def) is refused with a
UserError saying what. The value is `answer`, else the last thing printed, else the last variable assigned; a
printed line with words in it (print(h, '시간', m, '분')) is the answer as text (shown).
"""
from __future__ import annotations

import ast
import math
import operator
import re

from core import pyparse
from core.errors import UserError

MAX_LINES = 30
MAX_OPS = 20_000       # evaluation steps: a loop cannot run for ever
MAX_EXPONENT = 1_000
MAX_MAGNITUDE = 1e300

BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
           ast.Gt: operator.gt, ast.GtE: operator.ge}


def _factorial(n):
    if n != int(n) or not 0 <= n <= 500:
        raise ValueError("factorial takes a whole number from 0 to 500")
    return math.factorial(int(n))


FUNCTIONS = {"round": round, "floor": math.floor, "ceil": math.ceil, "factorial": _factorial, "sqrt": math.sqrt,
             "min": min, "max": max, "abs": abs, "sum": sum, "int": int, "float": float}


def refused(what: str) -> UserError:
    return UserError("agent.program_refused", f"not allowed in a program: {what}", what=what)


class _Run:
    def __init__(self, functions: dict):
        self.functions, self.names, self.printed, self.ops = {**FUNCTIONS, **functions}, {}, [], 0

    def tick(self):
        self.ops += 1
        if self.ops > MAX_OPS:
            raise UserError("agent.program_long", "the program runs too long")

    def block(self, body):
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, node):
        self.tick()
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            value = self.expr(node.value)
            for target in node.targets:
                self.names[target.id] = value
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and type(node.op) in BINARY:
            self.names[node.target.id] = self.number(BINARY[type(node.op)](self.load(node.target.id),
                                                                           self.expr(node.value)))
        elif isinstance(node, ast.Expr):
            value = self.expr(node.value)
            if value is not None:
                self.names["_"] = value
        elif isinstance(node, ast.If):
            self.block(node.body if self.expr(node.test) else node.orelse)
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Call) \
                and isinstance(node.iter.func, ast.Name) and node.iter.func.id == "range" and not node.orelse:
            for i in range(*(int(self.expr(a)) for a in node.iter.args)):
                self.names[node.target.id] = i
                self.block(node.body)
        elif not isinstance(node, ast.Pass):
            raise refused(type(node).__name__)

    def load(self, name: str):
        if name not in self.names:
            raise UserError("agent.program_name", f"unknown name {name!r}", name=name)
        return self.names[name]

    def number(self, value):
        if isinstance(value, (int, float)) and abs(value) > MAX_MAGNITUDE:
            raise UserError("agent.program_math", "a number grew too large", reason="too large")
        return value

    def expr(self, node):
        self.tick()
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value,
                                                                                                    bool):
            return node.value
        if isinstance(node, ast.Name):
            return self.load(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            left, right = self.expr(node.left), self.expr(node.right)
            if not all(isinstance(v, (int, float)) for v in (left, right)):  # [0] * 10 ** 9 would fill the memory
                raise refused("arithmetic on a list")
            if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
                raise UserError("agent.program_math", "an exponent too large", reason="exponent > 1000")
            return self.number(BINARY[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
            return UNARY[type(node.op)](self.expr(node.operand))
        if isinstance(node, ast.Compare) and all(type(op) in COMPARE for op in node.ops):
            left = self.expr(node.left)
            for op, right in zip(node.ops, map(self.expr, node.comparators)):
                if not COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.BoolOp):
            values = [self.expr(v) for v in node.values]
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.IfExp):
            return self.expr(node.body) if self.expr(node.test) else self.expr(node.orelse)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.expr(e) for e in node.elts]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else self.expr(a)
                    for a in node.args]  # a string only as a call's argument ('km')
            if node.func.id == "print":
                self.printed.extend(args)
                return None
            if node.func.id not in self.functions:
                raise UserError("agent.program_name", f"unknown function {node.func.id!r}", name=node.func.id)
            return self.number(self.functions[node.func.id](*args))
        raise refused(type(node).__name__)


def evaluate(code: str, functions: dict | None = None) -> float:
    """The value a short program computes (see the module docstring); UserError when it is refused or fails."""
    return _execute(code, functions)[0]


def shown(code: str, functions: dict | None = None, fmt=str) -> str:
    """What a program answers, as text: the line it printed when that line has words in it ('3시간 15분',
    '14 hours 5 minutes': an answer with units or in two parts), else its value written by fmt."""
    value, printed = _execute(code, functions)
    if not any(isinstance(p, str) for p in printed):
        return fmt(value)
    line = ""
    for piece in printed:
        text = piece if isinstance(piece, str) else fmt(piece)
        glued = isinstance(piece, str) and bool(re.match(r"[가-힣]", text)) and line[-1:].isdigit()
        line += text if not line or glued else f" {text}"  # a Korean unit right after its number: 3시간
    return line


def _execute(code: str, functions: dict | None) -> tuple[float, list]:
    text = code.strip().replace("×", "*").replace("÷", "/").replace("^", "**")
    try:
        tree = pyparse.parse(text)
    except (SyntaxError, ValueError) as exc:
        raise UserError("agent.program_syntax", f"not a Python program: {exc}", reason=str(exc)[:80]) from exc
    if not tree.body:
        raise UserError("agent.program_empty", "the program computes nothing")
    if len(tree.body) > MAX_LINES:
        raise UserError("agent.program_long", "the program is too long")
    state = _Run(functions or {})
    try:
        state.block(tree.body)
    except UserError:
        raise
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise UserError("agent.program_math", f"the program failed: {exc}", reason=str(exc)[:80]) from exc
    numbers = [v for v in state.printed if isinstance(v, (int, float)) and not isinstance(v, bool)]
    value = state.names.get("answer", numbers[-1] if numbers else state.names.get("_", None))
    if value is None and state.names:
        value = list(state.names.values())[-1]
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise UserError("agent.program_empty", "the program computes no number")
    return value, state.printed


def computes(code: str) -> bool:
    """Whether a program does any arithmetic or calls a function (not 'answer = 5', a number copied)."""
    try:
        return any(isinstance(n, (ast.BinOp, ast.AugAssign, ast.Call)) for n in ast.walk(pyparse.parse(code)))
    except (SyntaxError, ValueError):
        return True  # the evaluator reports what is wrong with it
