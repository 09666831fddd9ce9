"""One training loop for every page: fit(...) is a generator of StepMetrics.

The page iterates it in a background Job and draws the metrics; tests iterate it with no Streamlit at all.
Stopping is a threading.Event checked before every step, so a Stop click ends training within one step and the
model keeps the weights trained so far. Seeded and deterministic on CPU (num_workers=0, seeded shuffling).
"""
from __future__ import annotations

import contextlib
import functools
import math
import time
from dataclasses import dataclass, field
from typing import Iterator

from core.errors import UserError

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
SCHEDULES = ("none", "step", "cosine")
PRECISIONS = ("fp32", "bf16", "auto")


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
    precision: str = "fp32"       # fp32 | bf16 (autocast) | auto (bf16 + channels_last where the hardware has bf16)

    def validate(self) -> "TrainConfig":
        if self.epochs < 1 or self.epochs > 1000:
            raise UserError("train.bad_epochs", "epochs must be 1–1000")
        if not (0 < self.lr <= 10):
            raise UserError("train.bad_lr", "learning rate must be in (0, 10]")
        if self.optimizer not in OPTIMIZERS or self.schedule not in SCHEDULES or self.precision not in PRECISIONS:
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
    precision: str = "fp32"   # what actually ran, e.g. "bf16+channels_last" (PrecisionPlan.label)

    @property
    def eta(self) -> float:
        return self.elapsed / max(self.step, 1) * (self.total_steps - self.step)


# ---- precision ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrecisionPlan:
    """What fit runs for a precision setting, and why (reason is a string-table key, detail its format args)."""
    dtype: str | None = None      # autocast dtype: None (plain fp32), "bfloat16" or "float16"
    channels_last: bool = False
    scaler: bool = False          # fp16 needs loss scaling: its 5-bit exponent flushes small gradients to zero
    reason: str = "precision.fp32_chosen"
    detail: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        name = {None: "fp32", "bfloat16": "bf16", "float16": "fp16"}[self.dtype]
        return name + ("+channels_last" if self.channels_last else "")


def _cpu_flags() -> set[str] | None:
    """The CPU's feature flags from /proc/cpuinfo (Linux); None where that file does not exist."""
    try:
        with open("/proc/cpuinfo") as f:
            line = next((ln for ln in f if ln.startswith(("flags", "Features"))), "")
    except OSError:
        return None
    return set(line.split(":", 1)[-1].split())


@functools.lru_cache(maxsize=None)
def bf16_support(device_type: str = "cpu") -> tuple[bool, str, str]:
    """(native bf16?, reason key, detail), checked once per process per device type.

    On a CPU without bf16 dot-product instructions (x86 AVX512-BF16 or AMX, Arm BF16) PyTorch emulates bf16, which
    measured about 4x slower than fp32 on an AVX2 CPU, so only native support counts."""
    import torch

    if device_type == "cuda":
        name = torch.cuda.get_device_name()
        if torch.cuda.is_bf16_supported(including_emulation=False):
            return True, "precision.cuda_bf16", name
        return False, "precision.cuda_fp16", name
    flags = _cpu_flags()
    if flags is None:  # macOS/Windows: trust oneDNN's own check (true on Apple M2+ and AVX512 cores)
        ok = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        return ok, "precision.cpu_bf16" if ok else "precision.cpu_no_bf16", torch.backends.cpu.get_cpu_capability()
    native = sorted(flags & {"avx512_bf16", "amx_bf16", "bf16"})
    if native:
        return True, "precision.cpu_bf16", ", ".join(native)
    return False, "precision.cpu_no_bf16", torch.backends.cpu.get_cpu_capability()


def _has_conv(model) -> bool:
    from torch import nn

    return model is not None and any(isinstance(m, nn.Conv2d) for m in model.modules())


def plan_precision(precision: str, device: str = "cpu", model=None) -> PrecisionPlan:
    """Resolve fp32/bf16/auto for this device (and model: channels_last only helps convolutions)."""
    import torch

    if precision not in PRECISIONS:
        raise UserError("train.bad_option", "unknown precision")
    if precision == "fp32":
        return PrecisionPlan()
    kind = torch.device(device).type
    ok, reason, detail = bf16_support(kind)
    channels_last = precision == "auto" and _has_conv(model)
    if kind == "cuda":
        return PrecisionPlan("bfloat16" if ok else "float16", channels_last, not ok, reason, {"name": detail})
    if precision == "bf16":  # the student asked for it: run it even where it is emulated, and say so
        return PrecisionPlan("bfloat16", False, False, "precision.bf16_chosen" if ok else "precision.bf16_emulated",
                             {"name": detail})
    if not ok:
        return PrecisionPlan(reason=reason, detail={"name": detail})
    return PrecisionPlan("bfloat16", channels_last, False, reason, {"name": detail})


def auto_precision(device: str = "cpu", model=None) -> tuple[str, str, dict]:
    """(chosen label, reason key, detail) of "auto" for the page to show before training."""
    plan = plan_precision("auto", device, model)
    return plan.label, plan.reason, plan.detail


def autocast(plan: PrecisionPlan, device: str = "cpu"):
    """The autocast context of a plan (a no-op for fp32)."""
    import torch

    if plan.dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=getattr(torch, plan.dtype))


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


def _forward(model, batch, device, channels_last=False):
    """Batches are (x, y) or (x, lengths, y) for packed sequences; image batches follow the model's layout."""
    import torch

    def move(b):
        if not hasattr(b, "to"):
            return b
        if channels_last and b.dim() == 4:
            return b.to(device, memory_format=torch.channels_last)
        return b.to(device)

    *inputs, y = (move(b) for b in batch)
    return model(*inputs), y


def train_mode(model) -> None:
    """model.train(), except batch norms whose own weights are frozen: a frozen pretrained backbone keeps the
    statistics it was trained with instead of drifting to a few batches of the new data."""
    import torch

    batch_norms = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d, torch.nn.SyncBatchNorm)
    model.train()
    for m in model.modules():
        if isinstance(m, batch_norms) and m.affine and not m.weight.requires_grad:
            m.eval()


def evaluate(model, loader, device: str = "cpu", plan: PrecisionPlan | None = None) -> tuple[float, float]:
    """Mean loss and accuracy over a loader, in eval mode, without gradients."""
    import torch
    import torch.nn.functional as F

    plan = plan or PrecisionPlan()
    model.eval()
    total, loss_sum, correct = 0, 0.0, 0
    with torch.no_grad():
        for batch in loader:
            with autocast(plan, device):
                logits, y = _forward(model, batch, device, plan.channels_last)
            loss_sum += F.cross_entropy(logits.float(), y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            total += len(y)
    return loss_sum / max(total, 1), correct / max(total, 1)


def fit(model, train_loader, val_loader, cfg: TrainConfig, stop_event=None) -> Iterator[StepMetrics]:
    """Train with cross-entropy. Yields one 'step' record per batch and one 'epoch' record per epoch."""
    import torch
    import torch.nn.functional as F

    cfg.validate()
    torch.manual_seed(cfg.seed)
    plan = plan_precision(cfg.precision, cfg.device, model)
    model.to(cfg.device)
    if plan.channels_last:
        model.to(memory_format=torch.channels_last)
    scaler = torch.amp.GradScaler("cuda") if plan.scaler else None
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
        train_mode(model)
        ep_loss, ep_correct, ep_n = 0.0, 0, 0
        for batch in train_loader:
            if stop_event is not None and stop_event.is_set():
                if last is not None:
                    last.stopped = True
                    yield last
                return
            with autocast(plan, cfg.device):
                logits, y = _forward(model, batch, cfg.device, plan.channels_last)
            loss = F.cross_entropy(logits.float(), y)  # the loss in fp32: log-softmax needs the range
            opt.zero_grad()
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.unscale_(opt)  # clip the true gradients, not the scaled ones
            else:
                loss.backward()
            if cfg.clip_grad:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_grad)
            if scaler is not None:
                scaler.step(opt)  # skips the step when the scaled gradients overflowed
                scaler.update()
            else:
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
                               opt.param_groups[0]["lr"], elapsed, seen / max(elapsed, 1e-9), precision=plan.label)
            yield last
        val_loss, val_acc = (evaluate(model, val_loader, cfg.device, plan) if val_loader is not None
                             else (None, None))
        elapsed = time.perf_counter() - start
        last = StepMetrics("epoch", epoch, step, total_steps, ep_loss / ep_n, ep_correct / ep_n,
                           opt.param_groups[0]["lr"], elapsed, seen / max(elapsed, 1e-9), val_loss, val_acc,
                           precision=plan.label)
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
