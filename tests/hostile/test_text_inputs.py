"""Typed and uploaded text: the autograd parser, the tensor lab, LoRA datasets and the CSV readers."""
import json

import pytest
import torch

from core import autograd_demo as AG
from core import lora as L
from core import tensor_lab as TL
from core.linreg import load_csv
from core.text_data import read_csv_bytes
from tests.hostile.conftest import bounded, refused


def _engine_and_torch(source: str):
    program = AG.parse_program(source)
    values = {n: 1.0 for n in program.inputs}
    AG.run_engine(program, values)
    AG.run_torch(program, values)


@pytest.mark.parametrize("source,key", [
    ("9" * 1999, "ag.big_number"),                   # an int no float holds
    ("x*" + "9" * 1990, "ag.big_number"),
    ("x*1e999", "ag.big_number"),                    # the literal is already inf
    ("x+" * 999 + "1", "ag.too_deep"),               # 999 nested BinOps
    ("-" * 1500 + "x", "ag.too_deep"),
    ("(" * 999 + "x" + ")" * 999, "ag.syntax"),      # CPython's own parenthesis limit
    ("3", "ag.no_inputs"),                           # nothing to differentiate
    ("exp(x-745)**0.01", "ag.grad_overflow"),        # denormal base: the derivative overflows
    ("x" * 2001, "ag.too_long"),
    ("", "ag.empty"),
    ("__import__('os').system('id')", "ag.bad_call"),
    ("x.__class__", "ag.bad_syntax_node"),
    ("lambda: 1", "ag.bad_syntax_node"),
    ("[x for x in range(10**9)]", "ag.bad_syntax_node"),
])
def test_autograd_hostile_expressions(sandbox, source, key):
    refused(_engine_and_torch, source, key=key, seconds=3)


def test_autograd_long_statement_chain_still_works(sandbox):
    """The iterative topological sort: 300 chained statements stay far from the recursion limit."""
    source = "a0 = x\n" + "\n".join(f"a{i} = a{i - 1}*1.001 + 0" for i in range(1, 300))
    with bounded(5):
        program = AG.parse_program(source, max_len=10_000)
        out, env = AG.run_engine(program, {"x": 2.0})
        _, grads = AG.run_torch(program, {"x": 2.0})
    assert env["x"].grad == pytest.approx(grads["x"]) and grads["x"] == pytest.approx(1.001**299)


@pytest.mark.parametrize("values,key", [
    ("[" + ",".join(["1"] * 300_000) + "]", "tl.too_big"),           # 300k elements (over the char cap too)
    ("[" + ",".join(["1"] * 20_000) + "]", "tl.too_big"),            # under the char cap: counted
    ("[[" + "],[".join(["1,2"] * 6000) + "]]", "tl.too_big"),        # nested rows count as well
    ("[" + "9" * 4000 + "]", "tl.big_number"),                       # a 4000-digit int
    ("[" + "9" * 5000 + "]", "tl.bad_list"),                         # past Python's int-string limit
    ("[" * 50 + "1" + "]" * 50, "tl.too_deep"),
    ("[" * 5000 + "1" + "]" * 5000, "tl.bad_list"),                  # the parser's own nesting limit
    ("__import__('os')", "tl.bad_list"),
    ("[1, 'a']", "tl.bad_list"),
    ("[[1, 2], [3]]", "tl.bad_list"),
    ("", "tl.bad_list"),
])
def test_tensor_lab_hostile_lists(sandbox, values, key):
    refused(TL.make_tensor, "list", values=values, key=key, seconds=3)


@pytest.mark.parametrize("shape", ["9" * 5000, "0", "-1", "100000,100000", "1,1,1,1,1", "2;3", ""])
def test_tensor_lab_hostile_shapes(sandbox, shape):
    err = refused(TL.make_tensor, "zeros", shape_text=shape, seconds=2)
    assert err.key in ("tl.bad_shape", "tl.too_big")


@pytest.mark.parametrize("op", ["add", "mul", "matmul"])
def test_broadcast_result_is_sized_before_allocating(sandbox, op):
    a, b = TL.make_tensor("zeros", "10000,1"), TL.make_tensor("zeros", "1,10000")  # each within the limit
    err = refused(TL.apply_op, op, a, b, key="tl.result_too_big", seconds=2, rss_mb=100)
    assert err.params["shape"] == (10000, 10000)


@pytest.mark.parametrize("op,a,b", [("add", (3, 1), (1, 4)), ("mul", (2, 1, 5), (4, 1)), ("matmul", (2, 3, 4), (4, 5)),
                                    ("matmul", (4,), (4, 5)), ("matmul", (2, 3, 4), (4,)), ("matmul", (3,), (3,)),
                                    ("matmul", (5, 1, 2, 3), (4, 3, 2))])
def test_result_shape_matches_torch(op, a, b):
    """The pre-check's shape rule must be torch's own, or it would refuse (or let through) the wrong ops."""
    x, y = torch.rand(a), torch.rand(b)
    assert TL._result_shape(op, a, b) == tuple(TL.apply_op(op, x, y).value.shape)


# ---- LoRA datasets ------------------------------------------------------------------------------------------------
GOOD = json.dumps({"instruction": "Say hi", "output": "hi"})


@pytest.mark.parametrize("bad_line,reason", [
    ("[" * 100_000 + "]" * 100_000, "RecursionError"),                                     # deeply nested JSON
    ('{"instruction": "a", "output": ' + "9" * 5000 + "}", "ValueError"),                  # a 5000-digit int
    (json.dumps({"messages": "[" * 50_000 + "]" * 50_000}), "RecursionError"),              # nested inside a field
])
def test_lora_jsonl_hostile_rows_are_reported_not_raised(sandbox, bad_line, reason):
    data = (GOOD + "\n" + bad_line + "\n").encode()
    with bounded(5):
        report = L.parse_dataset(data, "d.jsonl")
    assert len(report.examples) == 1 and report.bad_rows and report.bad_rows[0][0] == 2


def test_lora_jsonl_with_only_hostile_rows(sandbox):
    refused(L.parse_dataset, ("[" * 100_000 + "\n").encode() * 3, "d.jsonl", key="lora.no_valid_rows")


def test_lora_csv_field_over_the_csv_limit(sandbox):
    data = ("instruction,output\nhi," + "a" * 140_000 + "\n").encode()
    err = refused(L.parse_dataset, data, "d.csv", key="lora.csv_unreadable")
    assert "field larger than field limit" in err.params["reason"]


@pytest.mark.parametrize("data,key", [
    (b"", "lora.data_empty"),
    (b" \n\n ", "lora.data_empty"),
    (b"\xff\xfe\x00b\x00a\x00d", "text.csv_encoding"),
    (b"x" * (L.MAX_DATA_BYTES + 1), "lora.data_too_big"),
    (b"PK\x03\x04" + b"\x00" * 200, "lora.no_valid_rows"),         # a zip renamed to .jsonl
])
def test_lora_bad_files(sandbox, data, key):
    refused(L.parse_dataset, data, "d.jsonl", key=key)


# ---- CSV uploads (text classification, linear regression) ---------------------------------------------------------
@pytest.mark.parametrize("reader", [read_csv_bytes, load_csv])
@pytest.mark.parametrize("data", [
    b"text,label\n" + b"a" * 140_000 + b",1\n" + b"b,0\n",             # a field past the csv module's limit
    b"\x00\x01\x02binary" * 100,
    b"",
    b"a,b\n" + b'"' + b"x" * 1000,                                       # an unterminated quote
])
def test_csv_uploads_never_raise_raw(sandbox, reader, data):
    with bounded(5):
        try:
            reader(data)
        except Exception as exc:  # accepted is fine too; only a non-UserError fails
            from core.errors import UserError

            assert isinstance(exc, UserError), repr(exc)
