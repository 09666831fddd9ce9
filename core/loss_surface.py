"""2-D loss surfaces and torch.optim trajectories over them, for the gradient-descent playground."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

SURFACES = {
    # name: (formula for the page, default start, plot range, minima)
    "bowl": ("x² + y²", (2.5, -2.0), (-3, 3, -3, 3), [(0.0, 0.0)]),
    "valley": ("0.1·x² + 4·y²", (-2.8, 1.5), (-3, 3, -2, 2), [(0.0, 0.0)]),
    "rosenbrock": ("(1-x)² + 100·(y-x²)²", (-1.5, 2.0), (-2, 2, -1, 3), [(1.0, 1.0)]),
    "two_minima": ("(x²-1)² + 0.3·x + y²", (0.2, 1.5), (-2, 2, -2, 2), [(-1.036, 0.0), (0.96, 0.0)]),
}
OPTIMIZERS = ("sgd", "momentum", "adam")


def surface_fn(name: str):
    """The function as torch/numpy-agnostic arithmetic (works on floats, numpy arrays and tensors)."""
    if name == "bowl":
        return lambda x, y: x**2 + y**2
    if name == "valley":
        return lambda x, y: 0.1 * x**2 + 4 * y**2
    if name == "rosenbrock":
        return lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2
    if name == "two_minima":
        return lambda x, y: (x**2 - 1) ** 2 + 0.3 * x + y**2
    raise KeyError(name)


def grid(name: str, n: int = 120):
    import numpy as np

    x0, x1, y0, y1 = SURFACES[name][2]
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    return xs, ys, surface_fn(name)(X, Y)


@dataclass
class Trajectory:
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    diverged: bool = False

    @property
    def final(self) -> tuple[float, float, float]:
        return self.xs[-1], self.ys[-1], self.losses[-1]


def descend(name: str, start: tuple[float, float], lr: float, steps: int, optimizer: str = "sgd",
            momentum: float = 0.9, blowup: float = 1e6) -> Trajectory:
    """Run torch.optim on the surface from start. Stops (diverged=True) when values become huge or non-finite."""
    import torch

    p = torch.tensor([float(start[0]), float(start[1])], dtype=torch.float64, requires_grad=True)
    if optimizer == "sgd":
        opt = torch.optim.SGD([p], lr=lr)
    elif optimizer == "momentum":
        opt = torch.optim.SGD([p], lr=lr, momentum=momentum)
    elif optimizer == "adam":
        opt = torch.optim.Adam([p], lr=lr)
    else:
        raise KeyError(optimizer)
    f = surface_fn(name)
    traj = Trajectory()
    for _ in range(steps + 1):
        loss = f(p[0], p[1])
        value = float(loss.detach())
        x, y = float(p[0].detach()), float(p[1].detach())
        if not (math.isfinite(value) and abs(x) < blowup and abs(y) < blowup):
            traj.diverged = True
            break
        traj.xs.append(x)
        traj.ys.append(y)
        traj.losses.append(value)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return traj
