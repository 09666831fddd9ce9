"""Tensor lab: build tensors from simple settings, apply one operation, explain broadcasting and torch errors."""
from __future__ import annotations

from dataclasses import dataclass

from core import pyparse
from core.errors import UserError

CREATORS = ("list", "zeros", "ones", "rand", "arange")
DTYPES = ("float32", "float64", "int64")
OPS = ("add", "mul", "matmul", "reshape", "permute", "transpose", "sum", "mean", "max", "index")
MAX_ELEMENTS = 10_000
MAX_RESULT_ELEMENTS = 1_000_000  # broadcasting two allowed tensors can still ask for 10^8 elements
MAX_LIST_CHARS = 200_000
MAX_LIST_DEPTH = 8


def parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(p) for p in text.replace("(", "").replace(")", "").replace(",", " ").split())
    except ValueError as exc:
        raise UserError("tl.bad_shape", f"shape must be integers like 2,3: {text!r}", text=text) from exc
    if not shape or any(s <= 0 for s in shape) or len(shape) > 4:
        raise UserError("tl.bad_shape", f"shape must be 1–4 positive integers: {text!r}", text=text)
    n = 1
    for s in shape:
        n *= s
    if n > MAX_ELEMENTS:
        raise UserError("tl.too_big", f"at most {MAX_ELEMENTS} elements", limit=MAX_ELEMENTS)
    return shape


def make_tensor(creator: str, shape_text: str = "2,3", dtype: str = "float32", values: str = "", seed: int = 0):
    import torch

    dt = getattr(torch, dtype)
    if creator == "list":
        data = _parse_list(values)
        try:
            return torch.tensor(data, dtype=dt)
        except (TypeError, ValueError, RuntimeError, OverflowError) as exc:
            raise UserError("tl.bad_list", str(exc), text=values[:80]) from exc
    shape = parse_shape(shape_text)
    if creator == "zeros":
        return torch.zeros(shape, dtype=dt)
    if creator == "ones":
        return torch.ones(shape, dtype=dt)
    if creator == "rand":
        g = torch.Generator().manual_seed(seed)
        t = torch.rand(shape, generator=g)
        return (t * 10).to(dt) if dt == torch.int64 else t.to(dt)
    n = 1
    for s in shape:
        n *= s
    return torch.arange(n, dtype=dt).reshape(shape)


def _parse_list(values: str):
    """literal_eval with the element, depth and number-size limits checked before torch allocates anything."""
    if len(values) > MAX_LIST_CHARS:
        raise UserError("tl.too_big", f"at most {MAX_ELEMENTS} elements", limit=MAX_ELEMENTS)
    try:
        data = pyparse.literal_eval(values)
    except (ValueError, SyntaxError, TypeError) as exc:  # ValueError also covers ints past Python's digit limit
        raise UserError("tl.bad_list", f"not a nested list of numbers: {values[:80]!r}", text=values[:80]) from exc
    except (RecursionError, MemoryError) as exc:
        raise UserError("tl.too_deep", "the list is nested too deeply", limit=MAX_LIST_DEPTH) from exc
    count, stack = 0, [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, tuple)):
            if depth >= MAX_LIST_DEPTH:
                raise UserError("tl.too_deep", "the list is nested too deeply", limit=MAX_LIST_DEPTH)
            stack.extend((x, depth + 1) for x in item)
            continue
        count += 1
        if count > MAX_ELEMENTS:
            raise UserError("tl.too_big", f"at most {MAX_ELEMENTS} elements", limit=MAX_ELEMENTS)
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 2**63:
            raise UserError("tl.big_number", "a number does not fit in 64 bits", text=str(item)[:20])
    return data


def _result_shape(op: str, a: tuple, b: tuple) -> tuple | None:
    """The shape add/mul/matmul would produce (torch's rules), or None when the shapes do not fit at all.

    Plain Python on purpose: torch.broadcast_shapes spends seconds on lazy imports at its first call."""
    if op in ("add", "mul"):
        return _broadcast(a, b)
    if not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(b) == 1:
        return a[:-1]
    if len(a) == 1:
        return b[:-2] + b[-1:]
    batch = _broadcast(a[:-2], b[:-2])
    return None if batch is None else batch + (a[-2], b[-1])


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    rows = broadcast_table(a, b)
    return tuple(r["result"] for r in rows) if all(r["ok"] for r in rows) else None


def _check_result_size(op: str, a, b) -> None:
    """Refuse a result too big to show before the real op allocates it: (60000,1)+(1,60000) asked for 14 GB."""
    shape = _result_shape(op, tuple(a.shape), tuple(b.shape))
    n = 1
    for s in shape or ():
        n *= s
    if n > MAX_RESULT_ELEMENTS:
        raise UserError("tl.result_too_big", "the result would be too large", shape=shape, limit=MAX_RESULT_ELEMENTS)


@dataclass
class OpResult:
    code: str      # the PyTorch line that produced it
    value: object  # a tensor


def apply_op(op: str, a, b=None, arg: str = ""):
    """Run one operation; torch's RuntimeError becomes a UserError with the shapes involved."""
    import torch

    if op in ("add", "mul", "matmul") and b is not None:
        _check_result_size(op, a, b)
    try:
        if op == "add":
            return OpResult("a + b", a + b)
        if op == "mul":
            return OpResult("a * b", a * b)
        if op == "matmul":
            return OpResult("a @ b", a @ b)
        if op in ("reshape", "permute"):
            dims = tuple(int(x) for x in arg.replace(",", " ").split())
            if op == "reshape":
                return OpResult(f"a.reshape{dims}", a.reshape(dims))
            return OpResult(f"a.permute{dims}", a.permute(dims))
        if op == "transpose":
            return OpResult("a.T" if a.dim() == 2 else "a.transpose(0, 1)", a.transpose(0, 1))
        if op in ("sum", "mean", "max"):
            dim = int(arg) if arg.strip() else None
            x = a.float() if op == "mean" else a
            fn = getattr(torch, op)
            if dim is None:
                return OpResult(f"a.{op}()", fn(x))
            out = fn(x, dim=dim)
            return OpResult(f"a.{op}(dim={dim})", out.values if op == "max" else out)
        if op == "index":
            key = _parse_index(arg)
            return OpResult(f"a[{arg}]", a[key])
    except (RuntimeError, IndexError, ValueError, TypeError) as exc:
        reason = str(exc).split("\n")[0]
        raise UserError("tl.torch_error", reason, op=op, a=tuple(a.shape),
                        b=tuple(b.shape) if b is not None else "-", reason=reason) from exc
    raise UserError("tl.unknown_op", f"unknown operation {op}", op=op)


def _parse_index(text: str):
    """'0', '1:3', ':, 0', '::2' → a tuple of ints and slices (no eval)."""
    parts = []
    for piece in text.split(","):
        piece = piece.strip()
        if ":" in piece:
            bits = [int(b) if b.strip() else None for b in piece.split(":")]
            parts.append(slice(*bits))
        else:
            parts.append(int(piece))
    return tuple(parts)


def broadcast_table(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> list[dict]:
    """Right-align the shapes; each row says which operand stretches along that axis, or where it fails."""
    n = max(len(shape_a), len(shape_b))
    pa = (None,) * (n - len(shape_a)) + tuple(shape_a)
    pb = (None,) * (n - len(shape_b)) + tuple(shape_b)
    rows = []
    for axis, (x, y) in enumerate(zip(pa, pb)):
        xa, yb = x or 1, y or 1
        ok = xa == yb or xa == 1 or yb == 1
        rows.append({"axis": axis, "a": x, "b": y, "result": max(xa, yb) if ok else None,
                     "a_stretches": ok and xa < yb, "b_stretches": ok and yb < xa, "ok": ok})
    return rows
