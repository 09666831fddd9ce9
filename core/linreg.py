"""Linear regression with nn.Linear + SGD, step by step, plus the closed-form answer and a runnable script.

The exported script and fit() run the same operations in the same order with the same seed, so the script
prints exactly the final loss the page shows (tests/core/test_linreg.py runs it in a subprocess).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterator

from core.errors import UserError

MAX_CSV_BYTES = 5 * 1024 * 1024
FLOAT32_MAX = 3.4028235e38


@dataclass
class LinRegStep:
    epoch: int
    loss: float
    w: float
    b: float


def make_data(slope: float, intercept: float, noise: float, n: int, seed: int):
    import torch

    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g) * 10 - 5
    y = slope * x + intercept + noise * torch.randn(n, 1, generator=g)
    return x, y


def load_csv(data: bytes):
    """Read an uploaded CSV; returns (DataFrame, numeric column names). Raises UserError with the reason."""
    import pandas as pd

    if not data or not data.strip():
        raise UserError("lr.csv_empty", "the file is empty")
    if len(data) > MAX_CSV_BYTES:
        raise UserError("lr.csv_too_big", "the file is too big", limit_mb=MAX_CSV_BYTES // 2**20)
    try:
        df = pd.read_csv(io.BytesIO(data))
    except Exception as exc:  # pandas raises many types for bad CSV
        raise UserError("lr.csv_unreadable", str(exc).split("\n")[0], reason=str(exc).split("\n")[0]) from exc
    numeric = [c for c in df.columns if pd.to_numeric(df[c], errors="coerce").notna().sum() >= 2]
    if len(numeric) < 2:
        raise UserError("lr.csv_columns", "need at least two numeric columns", columns=", ".join(map(str, df.columns)))
    return df, numeric


def columns_to_tensors(df, x_col: str, y_col: str):
    """Pick two columns; rows where either is missing or non-numeric are dropped (and counted); a value that is
    infinite, or too large for float32, is refused with its column named."""
    import numpy as np
    import pandas as pd
    import torch

    for col in (x_col, y_col):
        if col not in df.columns:
            raise UserError("lr.csv_no_column", f"no column {col}", column=col)
    pair = pd.DataFrame({"x": pd.to_numeric(df[x_col], errors="coerce"),
                         "y": pd.to_numeric(df[y_col], errors="coerce")}).dropna()
    dropped = len(df) - len(pair)
    if len(pair) < 2:
        raise UserError("lr.csv_too_few", "fewer than two usable rows", dropped=dropped)
    for col, name in (("x", x_col), ("y", y_col)):
        # 'inf' parses as a number, and 1e39 becomes inf in float32: least squares and SGD cannot use either
        bad = ~np.isfinite(pair[col].to_numpy(dtype="float32"))
        if bad.any():
            raise UserError("lr.not_finite", "infinite values", column=str(name), n=int(bad.sum()),
                            example=str(df.loc[pair.index[bad][0], name])[:40], limit=f"{FLOAT32_MAX:.2e}")
    as_t = lambda s: torch.tensor(s.to_numpy(dtype="float32")).reshape(-1, 1)  # noqa: E731
    return as_t(pair["x"]), as_t(pair["y"]), dropped


def closed_form(x, y) -> tuple[float, float]:
    """Least squares with numpy: the answer SGD should approach."""
    import numpy as np

    try:
        slope, intercept = np.polyfit(x.numpy().ravel().astype("float64"), y.numpy().ravel().astype("float64"), 1)
    except (np.linalg.LinAlgError, ValueError) as exc:  # e.g. values whose squares overflow float64
        raise UserError("lr.no_closed_form", str(exc), reason=str(exc)[:120]) from exc
    return float(slope), float(intercept)


def fit(x, y, lr: float, epochs: int, seed: int, stop=None) -> Iterator[LinRegStep]:
    """Full-batch gradient descent; yields the loss (before the step) and the parameters after it."""
    import math

    import torch
    from torch import nn

    if not (0 < lr <= 10):
        raise UserError("lr.bad_lr", "learning rate must be in (0, 10]")
    torch.manual_seed(seed)
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    for epoch in range(1, epochs + 1):
        if stop is not None and stop.is_set():
            return
        pred = model(x)
        loss = loss_fn(pred, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        value = loss.item()
        yield LinRegStep(epoch, value, model.weight.item(), model.bias.item())
        if not math.isfinite(value):
            raise UserError("lr.diverged", "loss became inf/NaN", epoch=epoch, lr=lr)


def script(slope: float, intercept: float, noise: float, n: int, lr: float, epochs: int, seed: int) -> str:
    return f'''"""Linear regression with PyTorch — exported from the course app (seed {seed})."""
import torch
from torch import nn

# data: y = {slope} * x + {intercept} + noise
g = torch.Generator().manual_seed({seed})
x = torch.rand({n}, 1, generator=g) * 10 - 5
y = {slope} * x + {intercept} + {noise} * torch.randn({n}, 1, generator=g)

torch.manual_seed({seed})  # same initial weights as the app
model = nn.Linear(1, 1)
opt = torch.optim.SGD(model.parameters(), lr={lr})
loss_fn = nn.MSELoss()

for epoch in range(1, {epochs} + 1):
    pred = model(x)               # forward
    loss = loss_fn(pred, y)       # mean squared error
    opt.zero_grad()               # clear old gradients
    loss.backward()               # autograd computes d(loss)/d(w, b)
    opt.step()                    # w -= lr * grad
    if epoch % 10 == 0 or epoch == 1:
        print(f"epoch {{epoch:4d}}  loss {{loss.item():.6f}}")

print(f"w = {{model.weight.item():.4f}}, b = {{model.bias.item():.4f}}")
print(f"final loss {{loss.item():.6f}}")
'''
