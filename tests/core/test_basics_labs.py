"""Gradient descent surfaces, tensor lab and linear regression (including the exported script)."""
import re
import subprocess
import sys

import pytest
import torch

from core import linreg
from core import loss_surface as ls
from core import tensor_lab as tl
from core.errors import UserError


def test_sgd_small_lr_converges_on_bowl():
    tr = ls.descend("bowl", (2.5, -2.0), lr=0.1, steps=200, optimizer="sgd")
    assert not tr.diverged and tr.losses[-1] < 1e-8 and tr.losses[0] > 10


def test_large_lr_diverges_on_bowl():
    tr = ls.descend("bowl", (2.5, -2.0), lr=1.5, steps=200, optimizer="sgd")
    assert tr.diverged and len(tr.losses) < 200


def test_adam_reaches_rosenbrock_valley_floor():
    tr = ls.descend("rosenbrock", (-1.5, 2.0), lr=0.03, steps=1000, optimizer="adam")
    x, y, f = tr.final
    assert not tr.diverged and f < tr.losses[0] / 1000
    assert abs(y - x * x) < 0.05  # on the curved valley floor y = x²


def test_two_minima_start_decides_which():
    left = ls.descend("two_minima", (-0.5, 1.0), 0.05, 400).final
    right = ls.descend("two_minima", (0.5, 1.0), 0.05, 400).final
    assert left[0] < -0.9 and right[0] > 0.9 and left[2] < right[2]


def test_broadcast_table_shows_stretch_and_clash():
    rows = tl.broadcast_table((2, 3), (3,))
    assert rows[0]["b"] is None and rows[0]["result"] == 2 and rows[1]["result"] == 3
    rows = tl.broadcast_table((2, 1), (1, 4))
    assert rows[1]["a_stretches"] and rows[0]["b_stretches"]
    assert not tl.broadcast_table((2, 3), (4,))[1]["ok"]


def test_tensor_lab_ops_and_friendly_errors():
    a = tl.make_tensor("arange", "2,3")
    b = tl.make_tensor("list", values="[10, 20, 30]")
    assert tl.apply_op("add", a, b).value.tolist() == [[10, 21, 32], [13, 24, 35]]
    assert tuple(tl.apply_op("reshape", a, arg="3,2").value.shape) == (3, 2)
    assert tl.apply_op("sum", a, arg="0").value.tolist() == [3, 5, 7]
    assert tl.apply_op("index", a, arg=":, 1").value.tolist() == [1, 4]
    with pytest.raises(UserError) as info:
        tl.apply_op("matmul", a, tl.make_tensor("ones", "2,2"))
    assert info.value.key == "tl.torch_error" and info.value.params["a"] == (2, 3)
    for bad in ("0,3", "a,b", ""):
        with pytest.raises(UserError):
            tl.parse_shape(bad)
    with pytest.raises(UserError):
        tl.make_tensor("list", values="[[1, 2], [3]]")


def test_linear_regression_recovers_slope_and_intercept():
    x, y = linreg.make_data(slope=2.0, intercept=-1.0, noise=0.5, n=400, seed=1)
    steps = list(linreg.fit(x, y, lr=0.03, epochs=400, seed=1))
    assert steps[-1].loss < steps[0].loss / 10
    assert steps[-1].w == pytest.approx(2.0, abs=0.1) and steps[-1].b == pytest.approx(-1.0, abs=0.15)
    cw, cb = linreg.closed_form(x, y)
    assert steps[-1].w == pytest.approx(cw, abs=0.01) and steps[-1].b == pytest.approx(cb, abs=0.02)


def test_too_large_lr_diverges_with_message():
    x, y = linreg.make_data(2.0, 0.0, 0.1, 50, 0)
    with pytest.raises(UserError) as info:
        list(linreg.fit(x, y, lr=5.0, epochs=500, seed=0))
    assert info.value.key == "lr.diverged"


def test_stop_event_ends_fit():
    import threading

    stop = threading.Event()
    x, y = linreg.make_data(2.0, 0.0, 0.1, 50, 0)
    seen = []
    for step in linreg.fit(x, y, 0.01, 100, 0, stop):
        seen.append(step)
        if step.epoch == 5:
            stop.set()
    assert len(seen) == 5


def test_exported_script_prints_the_same_final_loss(tmp_path):
    params = dict(slope=1.5, intercept=0.5, noise=1.0, n=120, seed=7)
    x, y = linreg.make_data(**params)
    last = list(linreg.fit(x, y, lr=0.03, epochs=60, seed=7))[-1]
    path = tmp_path / "lr.py"
    path.write_text(linreg.script(lr=0.03, epochs=60, **params))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"final loss (\S+)", out).group(1) == f"{last.loss:.6f}"


@pytest.mark.parametrize("data,key", [
    (b"", "lr.csv_empty"),
    (b"name,city\nkim,seoul\nlee,busan\n", "lr.csv_columns"),
    (b"\x00\x01\x02garbage\xff", "lr.csv_unreadable"),
])
def test_bad_csvs(data, key):
    with pytest.raises(UserError) as info:
        linreg.load_csv(data)
    assert info.value.key == key


def test_csv_columns_drop_bad_rows():
    df, numeric = linreg.load_csv(b"x,y,label\n1,2,a\n2,4,b\n3,,c\nfoo,8,d\n4,8,e\n")
    assert numeric == ["x", "y"]
    x, y, dropped = linreg.columns_to_tensors(df, "x", "y")
    assert dropped == 2 and torch.equal(x.ravel(), torch.tensor([1.0, 2.0, 4.0]))
