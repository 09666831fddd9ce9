"""One training loop for every page: fit(...) is a generator of StepMetrics.

The page iterates it in a background Job and draws the metrics; tests iterate it with no Streamlit at all.
Stopping is a threading.Event checked before every step, so a Stop click ends training within one step and the
model keeps the weights trained so far. Seeded and deterministic on CPU (num_workers=0, seeded shuffling).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterator

from core.errors import UserError

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
SCHEDULES = ("none", "step", "cosine")


@dataclass
class TrainConfig:
    epochs: int = 3
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "none"        # none | step (×0.5 every epoch) | cosine (to 0 over all steps)
    patience: int = 0             # early stopping on validation loss; 0 = off
    seed: int = 42
    device: str = "cpu"
    clip_grad: float = 0.0        # 0 = off; RNNs like 1.0

    def validate(self) -> "TrainConfig":
        if self.epochs < 1 or self.epochs > 1000:
            raise UserError("train.bad_epochs", "epochs must be 1–1000")
        if not (0 < self.lr <= 10):
            raise UserError("train.bad_lr", "learning rate must be in (0, 10]")
        if self.optimizer not in OPTIMIZERS or self.schedule not in SCHEDULES:
            raise UserError("train.bad_option", "unknown optimizer or schedule")
        return self


@dataclass
class StepMetrics:
    kind: str                 # "step" (one batch) or "epoch" (after validation)
    epoch: int
    step: int                 # global step, from 1
    total_steps: int
    loss: float               # batch loss (step) or mean train loss over the epoch (epoch)
    acc: float
    lr: float
    elapsed: float            # seconds since start
    throughput: float         # samples per second so far
    val_loss: float | None = None
    val_acc: float | None = None
    stopped: bool = False     # last record of a run that was stopped or early-stopped

    @property
    def eta(self) -> float:
        return self.elapsed / max(self.step, 1) * (self.total_steps - self.step)


def make_optimizer(params, cfg: TrainConfig):
    import torch

    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "momentum":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay or 0.01)


def _scheduler(opt, cfg: TrainConfig, steps_per_epoch: int):
    import torch

    if cfg.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=steps_per_epoch, gamma=0.5)
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps_per_epoch * cfg.epochs)
    return None


def _forward(model, batch, device):
    """Batches are (x, y) or (x, lengths, y) for packed sequences."""
    *inputs, y = (b.to(device) if hasattr(b, "to") else b for b in batch)
    return model(*inputs), y


def evaluate(model, loader, device: str = "cpu") -> tuple[float, float]:
    """Mean loss and accuracy over a loader, in eval mode, without gradients."""
    import torch
    import torch.nn.functional as F

    model.eval()
    total, loss_sum, correct = 0, 0.0, 0
    with torch.no_grad():
        for batch in loader:
            logits, y = _forward(model, batch, device)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            total += len(y)
    return loss_sum / max(total, 1), correct / max(total, 1)


def fit(model, train_loader, val_loader, cfg: TrainConfig, stop_event=None) -> Iterator[StepMetrics]:
    """Train with cross-entropy. Yields one 'step' record per batch and one 'epoch' record per epoch."""
    import torch
    import torch.nn.functional as F

    cfg.validate()
    torch.manual_seed(cfg.seed)
    model.to(cfg.device)
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], cfg)
    steps_per_epoch = len(train_loader)
    if steps_per_epoch == 0:
        raise UserError("train.no_data", "the training set is empty")
    sched = _scheduler(opt, cfg, steps_per_epoch)
    total_steps = steps_per_epoch * cfg.epochs
    start, step, seen = time.perf_counter(), 0, 0
    best_val, bad_epochs = math.inf, 0
    last = None
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        ep_loss, ep_correct, ep_n = 0.0, 0, 0
        for batch in train_loader:
            if stop_event is not None and stop_event.is_set():
                if last is not None:
                    last.stopped = True
                    yield last
                return
            logits, y = _forward(model, batch, cfg.device)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            if cfg.clip_grad:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_grad)
            opt.step()
            if sched is not None:
                sched.step()
            step += 1
            n = len(y)
            seen += n
            batch_loss = loss.item()
            if not math.isfinite(batch_loss):
                raise UserError("train.diverged", "loss became inf/NaN", step=step, lr=cfg.lr)
            batch_correct = (logits.argmax(1) == y).sum().item()
            ep_loss += batch_loss * n
            ep_correct += batch_correct
            ep_n += n
            elapsed = time.perf_counter() - start
            last = StepMetrics("step", epoch, step, total_steps, batch_loss, batch_correct / n,
                               opt.param_groups[0]["lr"], elapsed, seen / max(elapsed, 1e-9))
            yield last
        val_loss, val_acc = evaluate(model, val_loader, cfg.device) if val_loader is not None else (None, None)
        elapsed = time.perf_counter() - start
        last = StepMetrics("epoch", epoch, step, total_steps, ep_loss / ep_n, ep_correct / ep_n,
                           opt.param_groups[0]["lr"], elapsed, seen / max(elapsed, 1e-9), val_loss, val_acc)
        if cfg.patience and val_loss is not None:
            if val_loss < best_val - 1e-4:
                best_val, bad_epochs = val_loss, 0
            else:
                bad_epochs += 1
                if bad_epochs >= cfg.patience:
                    last.stopped = True
                    yield last
                    return
        yield last
