"""Synthetic data and augmentation, measured: the same small model trained on a small labelled subset three ways.

Arms: "none" (the subset as is), "augment" (torchvision flips/crops/rotations on the fly) and "gan" (the subset
plus class-balanced samples of a conditional GAN, labelled by the class they were generated for). Every arm
uses the same seeded subset, model initialisation and core.train.fit loop, and is validated on the same real
test images, so the only difference between the curves is the data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from core.errors import UserError

ARMS = ("none", "augment", "gan")


@dataclass
class SynthConfig:
    n_labelled: int = 500
    n_synthetic: int = 2000          # GAN samples added in the "gan" arm, the same number per class
    augment: tuple[str, ...] = ("flip", "crop", "rotate")
    arch: str = "lenet"
    epochs: int = 15
    batch_size: int = 64
    lr: float = 1e-3
    n_val: int = 2000                # real test images, never seen in training
    seed: int = 0
    arms: tuple[str, ...] = field(default=ARMS)

    def validate(self) -> "SynthConfig":
        if not (20 <= self.n_labelled <= 60000 and 0 <= self.n_synthetic <= 60000):
            raise UserError("syn.bad_sizes", "labelled 20–60000, synthetic 0–60000")
        if not (1 <= self.epochs <= 200):
            raise UserError("syn.bad_epochs", "epochs must be 1–200")
        if not self.arms or any(a not in ARMS for a in self.arms):
            raise UserError("syn.bad_arm", "unknown arm")
        return self


@dataclass
class ArmStep:
    arm: str
    metrics: object                  # core.train.StepMetrics
    model: object = None             # the arm's model, trained so far (to evaluate it elsewhere)


def synthetic_set(G, n: int, seed: int):
    """n samples of a conditional generator, n // 10 per class, with the labels they were asked for."""
    import torch

    from core.gan import N_CLASSES, generate

    if not getattr(G, "conditional", False):
        raise UserError("syn.needs_conditional", "the GAN arm needs a class-conditional generator")
    labels = torch.arange(n) % N_CLASSES
    return generate(G, n, seed=seed, labels=labels), labels


def _subset(x, y, n: int, seed: int):
    """A seeded, class-balanced labelled subset: a small labelled set should still hold every class."""
    import torch

    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=g)
    classes = y.unique()
    per = max(1, n // len(classes))
    keep = torch.cat([perm[y[perm] == c][:per] for c in classes])
    return x[keep], y[keep]


def run_arms(data, cfg: SynthConfig, G=None, stop_event=None) -> Iterator[ArmStep]:
    """Train one fresh model per arm in turn; yields every StepMetrics of core.train.fit tagged with its arm."""
    import torch
    from torch.utils.data import DataLoader

    from core.data import TransformDataset, make_transform
    from core.train import TrainConfig, fit
    from core.vision import ModelSpec, build_model

    cfg.validate()
    if "gan" in cfg.arms and G is None:
        raise UserError("syn.needs_conditional", "the GAN arm needs a class-conditional generator")
    x, y = _subset(data.x_train, data.y_train, cfg.n_labelled, cfg.seed)
    val = DataLoader(TransformDataset(data.x_test[:cfg.n_val], data.y_test[:cfg.n_val]), batch_size=512)
    for arm in cfg.arms:
        if stop_event is not None and stop_event.is_set():
            return
        xa, ya, tf = x, y, None
        if arm == "augment":
            tf = make_transform(tuple(cfg.augment), data.shape)
        elif arm == "gan":
            xs, ys = synthetic_set(G, cfg.n_synthetic, cfg.seed)
            if xs.shape[1:] != x.shape[1:]:
                raise UserError("syn.shape_mismatch", "generator and data differ in image size")
            xa, ya = torch.cat([x, xs]), torch.cat([y, ys])
        train = DataLoader(TransformDataset(xa, ya, tf), batch_size=cfg.batch_size, shuffle=True,
                           generator=torch.Generator().manual_seed(cfg.seed))
        torch.manual_seed(cfg.seed)  # the same initial weights in every arm
        model = build_model(ModelSpec(arch=cfg.arch), data.shape, len(data.classes))
        for m in fit(model, train, val, TrainConfig(epochs=cfg.epochs, lr=cfg.lr, seed=cfg.seed), stop_event):
            yield ArmStep(arm, m, model)


def curves(steps: list[ArmStep]) -> dict[str, tuple[list[int], list[float]]]:
    """arm → (epochs, validation accuracies), for the side-by-side plot."""
    out: dict[str, tuple[list[int], list[float]]] = {}
    for s in steps:
        if s.metrics.kind == "epoch" and s.metrics.val_acc is not None:
            xs, ys = out.setdefault(s.arm, ([], []))
            xs.append(s.metrics.epoch)
            ys.append(s.metrics.val_acc)
    return out


def summary(steps: list[ArmStep]) -> dict[str, dict[str, float]]:
    """arm → best and final validation accuracy."""
    return {arm: {"best_val_acc": max(ys), "final_val_acc": ys[-1], "epochs": len(ys)}
            for arm, (_, ys) in curves(steps).items()}
