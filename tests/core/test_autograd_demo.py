"""Our Value engine against torch.autograd, and the allow-list parser."""
import pytest

from core.autograd_demo import parse_program, run_engine, run_torch, to_dot
from core.errors import UserError

CASES = [
    ("y = w*x + b\nloss = (y - t)**2", {"w": 2, "x": 3, "b": 1, "t": 10}),
    ("out = x*y + y/x - 3", {"x": 1.5, "y": -2}),
    ("out = tanh(a*b + c)", {"a": 0.3, "b": -1.2, "c": 0.1}),
    ("out = exp(x) / (1 + exp(x))", {"x": 0.7}),
    ("out = log(x*x + 1)", {"x": -2.5}),
    ("out = sigmoid(w*x + b)", {"w": 1.5, "x": -0.5, "b": 0.2}),
    ("out = relu(x - 1) + relu(1 - x)", {"x": 3.0}),
    ("out = relu(x) * x", {"x": -2.0}),
    ("u = x*y\nv = u + u*x\nout = u*v", {"x": 2, "y": 3}),            # shared sub-expression
    ("a = x + x + x\nout = a*a", {"x": 1.3}),                          # same node used three times
    ("out = x**3 - 2*x**2 + x", {"x": 1.7}),
    ("out = x**y", {"x": 2.0, "y": 1.5}),                              # grad w.r.t. the exponent too
    ("out = -x + -(-y)", {"x": 4, "y": 5}),
    ("out = 1 / x", {"x": 0.25}),
    ("z = w1*x1 + w2*x2 + b\na = tanh(z)\nloss = (a - t)**2", {"w1": 0.5, "w2": -1, "x1": 1, "x2": 2, "b": 0, "t": 1}),
    ("p = sigmoid(w*x + b)\nloss = -(t*log(p) + (1 - t)*log(1 - p))", {"w": 2, "x": 3, "b": 1, "t": 1}),
    ("h = tanh(x)\nout = h*h*h + exp(h)", {"x": 0.4}),
    ("out = (x + y) * (x - y) / (x*y)", {"x": 3, "y": 2}),
    ("a = exp(-x*x)\nout = a * log(1 + a)", {"x": 0.8}),
    ("out = sigmoid(x) * (1 - sigmoid(x))", {"x": -1.1}),
    ("m = x*w\nout = relu(m) + tanh(m) + m**2", {"x": -0.5, "w": 3}),
    ("x", {"x": 2.0}),                                                  # bare expression named 'out'
]


@pytest.mark.parametrize("source,values", CASES)
def test_engine_matches_torch(source, values):
    program = parse_program(source)
    out, env = run_engine(program, values)
    torch_out, torch_grads = run_torch(program, values)
    assert out.data == pytest.approx(torch_out, abs=1e-6, rel=1e-6)
    for name in program.inputs:
        assert env[name].grad == pytest.approx(torch_grads[name], abs=1e-6, rel=1e-6), name


def test_at_least_twenty_cases():
    assert len(CASES) >= 20


@pytest.mark.parametrize("source,key", [
    ("__import__('os').system('ls')", "ag.bad_call"),
    ("out = x.__class__", "ag.bad_syntax_node"),
    ("out = open('f')", "ag.bad_call"),
    ("out = (lambda: 1)()", "ag.bad_call"),
    ("out = lambda x: x", "ag.bad_syntax_node"),
    ("out = [i for i in range(3)]", "ag.bad_syntax_node"),
    ("out = sum([x])", "ag.bad_call"),
    ("import os", "ag.bad_syntax_node"),
    ("out = x if x else 1", "ag.bad_syntax_node"),
    ("out = 'text'", "ag.bad_const"),
    ("out = x % 2", "ag.bad_op"),
    ("out = tanh(x, y)", "ag.call_args"),
    ("out = tanh", "ag.func_as_name"),
    ("out = (x", "ag.syntax"),
    ("   ", "ag.empty"),
    ("out = _secret", "ag.bad_name"),
])
def test_parser_rejects(source, key):
    with pytest.raises(UserError) as info:
        parse_program(source)
    assert info.value.key == key


@pytest.mark.parametrize("source,values,key", [
    ("out = x / y", {"x": 1, "y": 0}, "ag.div_zero"),
    ("out = log(x)", {"x": -1}, "ag.log_domain"),
    ("out = exp(x)", {"x": 1000}, "ag.overflow"),
    ("out = x ** 0.5", {"x": -4}, "ag.bad_pow"),
])
def test_runtime_problems_are_user_errors(source, values, key):
    with pytest.raises(UserError) as info:
        run_engine(parse_program(source), values)
    assert info.value.key == key


def test_inputs_are_free_names_in_order():
    assert parse_program("y = w*x + b\nloss = (y - t)**2").inputs == ["w", "x", "b", "t"]


def test_dot_graph_lists_every_node_with_grad():
    out, env = run_engine(parse_program("y = w*x + b"), {"w": 2, "x": 3, "b": 1})
    dot = to_dot(out)
    assert dot.startswith("digraph") and "grad 3" in dot and "data 7" in dot and dot.count("->") >= 6
