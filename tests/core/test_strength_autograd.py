"""Autograd engine cases that reach what the main table misses: every operation used twice (gradients must
accumulate) and deep inside a graph (the upstream gradient is not 1), the op labels drawn in the graph, the keys
and parameters of the runtime errors."""
import re

import pytest

from core.autograd_demo import parse_program, run_engine, run_torch, to_dot
from core.errors import UserError

BINOPS = ["+", "-", "*", "/", "**"]
UNARY = ["tanh", "exp", "log", "sigmoid", "relu"]
CASES = ([f"a = x {op} y\nb = y {op} x\nc = x {op} x\nout = 1.7 * (a + b * c) - a / 3" for op in BINOPS]
         + [f"a = {fn}(x)\nb = {fn}(x * y)\nout = 1.7 * a * b + a + {fn}(y) / 3" for fn in UNARY])


@pytest.mark.parametrize("values", [{"x": 1.3, "y": 0.6}, {"x": 0.4, "y": 2.2}])
@pytest.mark.parametrize("source", CASES)
def test_reused_and_nested_operations_match_torch(source, values):
    program = parse_program(source)
    out, env = run_engine(program, values)
    torch_out, grads = run_torch(program, values)
    assert out.data == pytest.approx(torch_out, rel=1e-9)
    for name in ("x", "y"):
        assert env[name].grad == pytest.approx(grads[name], rel=1e-9, abs=1e-12), name


def test_graph_draws_one_labelled_oval_per_operation():
    source = "a = x + y\nb = a - x\nc = b * y\nd = c / x\ne = d ** y\nout = relu(sigmoid(log(exp(tanh(e)))))"
    out, env = run_engine(parse_program(source), {"x": 1.5, "y": 2.0})
    dot = to_dot(out)
    ovals = re.findall(r'\[label="([^"]+)", shape=ellipse\]', dot)
    assert sorted(ovals) == sorted(BINOPS + UNARY)
    for name in ("x", "y", "a", "out"):  # each named value is a box with its data and grad
        v = env[name]
        assert f"{{ {name} | data {v.data:.4g} | grad {v.grad:.4g} }}" in dot


@pytest.mark.parametrize("source,values,key,params", [
    ("out = x ** y", {"x": 10.0, "y": 1000.0}, "ag.bad_pow", {}),  # overflow
    ("out = x ** y", {"x": 0.0, "y": -1.0}, "ag.bad_pow", {}),     # 0 to a negative power
    ("out = log(x)", {"x": -2.0}, "ag.log_domain", {"value": -2.0}),
    ("out = x * y", {"x": 1.0}, "ag.missing_value", {"names": "y"}),
])
def test_runtime_errors_carry_their_key_and_parameters(source, values, key, params):
    with pytest.raises(UserError) as info:
        run_engine(parse_program(source), values)
    assert info.value.key == key and info.value.params == params


@pytest.mark.parametrize("source,key,params", [
    ("out = x % 2", "ag.bad_op", {"what": "Mod"}),
    ("out = ~x", "ag.bad_op", {"what": "Invert"}),
    ("out = 'a'", "ag.bad_const", {"what": "'a'"}),
    ("out = True", "ag.bad_const", {"what": "True"}),
    ("out = exp", "ag.func_as_name", {"name": "exp"}),
    ("out = _x", "ag.bad_name", {"name": "_x"}),
    ("tanh = x", "ag.bad_name", {"name": "tanh"}),
    ("out = os.system(x)", "ag.bad_call", {"name": "os.system", "allowed": "tanh, exp, log, sigmoid, relu"}),
    ("out = exp(x, y)", "ag.call_args", {"name": "exp"}),
    ("out = exp(x=y)", "ag.call_args", {"name": "exp"}),
    ("x = x + 1", "ag.reassign_input", {"name": "x"}),
    ("out = (x", "ag.syntax", {"line": 1, "msg": "'(' was never closed"}),
    ("x" * 2001, "ag.too_long", {"limit": 2000}),
])
def test_parser_errors_carry_their_key_and_parameters(source, key, params):
    with pytest.raises(UserError) as info:
        parse_program(source)
    assert info.value.key == key and info.value.params == params


def test_unary_plus_and_a_bare_final_expression():
    program = parse_program("a = +x * y\na - y")
    assert program.output == "out" and program.inputs == ["x", "y"]
    out, env = run_engine(program, {"x": 2.0, "y": 5.0})
    assert out.data == 5.0 and env["x"].grad == 5.0 and env["y"].grad == 1.0
