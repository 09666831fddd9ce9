"""core.train checked against a plain PyTorch loop written here: the same seed, batches and optimizer must give
the same losses, learning rates and weights, step for step. Plus the exact edges of the settings, the precision
plan for every (setting, hardware) pair, and evaluate() against a direct computation.

Surviving mutants judged equivalent or out of reach (bench/mutation.py train):
- the GradScaler branches (`scaler.scale/unscale_/step/update`): they run only for fp16 on a CUDA GPU without
  bf16; tests/core/test_train.py::test_cuda_mixed_precision covers them where such a GPU exists.
- `seen / max(elapsed, 1e-9)` → other floors: elapsed is never below 1e-9 s after a training step.
- `_cpu_flags` splitting at every ':' / from the right / taking part [+1]: a flags line has exactly one ':'.
- evaluate's `autocast(plan, )` and `_forward(..., None, ...)` for the device: the default device is the CPU and
  `.to(None)` moves nothing there.
"""
import math
import threading

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from core import train as T
from core.errors import UserError
from core.train import TrainConfig, fit


def _data(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()  # three classes
    return [(x[i:i + 8], y[i:i + 8]) for i in range(0, n, 8)]


def _model(dropout=0.0):
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(dropout), nn.Linear(8, 3))


def _reference(model, batches, cfg, make_opt, sched=None):
    """The loop a student would write by hand: losses and learning rates per step."""
    torch.manual_seed(cfg.seed)
    opt = make_opt(model.parameters())
    sch = sched(opt) if sched else None
    losses, lrs = [], []
    for _ in range(cfg.epochs):
        model.train()
        for x, y in batches:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            if cfg.clip_grad:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_grad)
            opt.step()
            if sch:
                sch.step()
            losses.append(loss.item())
            lrs.append(opt.param_groups[0]["lr"])
    return losses, lrs


@pytest.mark.parametrize("cfg,make_opt,sched", [
    (TrainConfig(epochs=2, lr=0.5, optimizer="sgd"), lambda p: torch.optim.SGD(p, lr=0.5), None),
    (TrainConfig(epochs=2, lr=0.5, optimizer="sgd", weight_decay=0.2),
     lambda p: torch.optim.SGD(p, lr=0.5, weight_decay=0.2), None),
    (TrainConfig(epochs=2, lr=0.2, optimizer="momentum", momentum=0.7, weight_decay=0.01),
     lambda p: torch.optim.SGD(p, lr=0.2, momentum=0.7, weight_decay=0.01), None),
    (TrainConfig(epochs=3, lr=0.05, optimizer="adam", schedule="step"), lambda p: torch.optim.Adam(p, lr=0.05),
     lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    (TrainConfig(epochs=2, lr=0.05, optimizer="adamw", schedule="cosine", clip_grad=0.1),
     lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.01),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 6)),
    (TrainConfig(epochs=1, lr=0.05, optimizer="adamw", weight_decay=0.3, seed=5),
     lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.3), None),
])
def test_fit_matches_a_hand_written_loop(cfg, make_opt, sched):
    batches = _data()
    ours, theirs = _model(dropout=0.2), _model(dropout=0.2)
    records = list(fit(ours, batches, None, cfg))
    losses, lrs = _reference(theirs, batches, cfg, make_opt, sched)
    steps = [r for r in records if r.kind == "step"]
    assert [r.loss for r in steps] == pytest.approx(losses, rel=1e-6)
    assert [r.lr for r in steps] == pytest.approx(lrs, rel=1e-9)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.allclose(a, b, atol=1e-6)
    assert [(r.epoch, r.step, r.total_steps) for r in steps] == [(e, 3 * (e - 1) + i, 3 * cfg.epochs)
                                                                for e in range(1, cfg.epochs + 1) for i in (1, 2, 3)]


def test_step_and_epoch_records_carry_the_batch_and_epoch_figures():
    batches = _data(20)  # batches of 8, 8 and 4: the epoch mean must weight by batch size
    model = _model()
    records = list(fit(model, batches, batches, TrainConfig(epochs=1, lr=1e-9, optimizer="sgd")))
    steps, epoch = records[:-1], records[-1]
    assert [r.kind for r in records] == ["step"] * 3 + ["epoch"]
    with torch.no_grad():  # lr 1e-9: the weights do not move, so each batch is judged by the same model
        model.eval()
        want = [(F.cross_entropy(model(x), y).item(), (model(x).argmax(1) == y).float().mean().item())
                for x, y in batches]
        x_all, y_all = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
        logits = model(x_all)
        total_loss, total_acc = F.cross_entropy(logits, y_all).item(), (logits.argmax(1) == y_all).float().mean().item()
    assert [(r.loss, r.acc) for r in steps] == [pytest.approx(w, rel=1e-5) for w in want]
    assert (epoch.loss, epoch.acc) == (pytest.approx(total_loss, rel=1e-5), pytest.approx(total_acc))
    assert (epoch.val_loss, epoch.val_acc) == (pytest.approx(total_loss, rel=1e-5), pytest.approx(total_acc))
    assert (epoch.epoch, epoch.step, epoch.total_steps, epoch.stopped, epoch.precision) == (1, 3, 3, False, "fp32")
    assert [r.elapsed for r in records] == sorted(r.elapsed for r in records) and records[0].elapsed > 0
    assert epoch.throughput == pytest.approx(20 / epoch.elapsed, rel=1e-6)
    assert steps[0].throughput == pytest.approx(8 / steps[0].elapsed, rel=1e-6)
    assert epoch.lr == steps[-1].lr == 1e-9


def test_without_validation_the_epoch_has_no_val_figures():
    epoch = list(fit(_model(), _data(), None, TrainConfig(epochs=1)))[-1]
    assert epoch.kind == "epoch" and epoch.val_loss is None and epoch.val_acc is None


def test_seed_drives_dropout():
    def losses(seed):
        return [r.loss for r in fit(_model(dropout=0.5), _data(), None, TrainConfig(epochs=1, seed=seed))]

    assert losses(3) == losses(3) and losses(3) != losses(4)


def test_frozen_parameters_stay_put_even_with_weight_decay():
    model = _model()
    model[0].requires_grad_(False)
    frozen = model[0].weight.detach().clone()
    list(fit(model, _data(), None, TrainConfig(epochs=1, lr=0.1, optimizer="adamw", weight_decay=0.5)))
    assert torch.equal(model[0].weight, frozen)


def test_frozen_batch_norm_keeps_its_statistics_and_a_trainable_one_learns_them():
    """Transfer learning: a frozen pretrained batch norm stays in eval mode (its running statistics are the
    pretrained ones); a trainable one, and one without affine weights, follow the new data."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Linear(6, 6), nn.BatchNorm1d(6),
                          nn.BatchNorm1d(6, affine=False), nn.Linear(6, 3))
    for p in [*model[0].parameters(), *model[1].parameters()]:
        p.requires_grad = False
    before = [model[i].running_mean.clone() for i in (1, 3, 4)]
    list(fit(model, _data(), None, TrainConfig(epochs=1, lr=1e-2)))
    assert torch.equal(model[1].running_mean, before[0]) and model[1].num_batches_tracked == 0
    assert not torch.equal(model[3].running_mean, before[1]) and not torch.equal(model[4].running_mean, before[2])
    T.train_mode(model)
    assert [m.training for m in model] == [True, False, True, True, True, True]


@pytest.mark.parametrize("patience,epochs", [(1, 2), (2, 3), (3, 4)])
def test_early_stopping_counts_epochs_without_real_improvement(patience, epochs):
    # lr 1e-7: the validation loss moves far less than the 1e-4 that counts as an improvement
    records = [r for r in fit(_model(), _data(), _data(seed=1), TrainConfig(epochs=10, lr=1e-7, patience=patience))
               if r.kind == "epoch"]
    assert len(records) == epochs and records[-1].stopped and not any(r.stopped for r in records[:-1])


def test_real_improvement_resets_the_patience():
    records = [r for r in fit(_model(), _data(), _data(), TrainConfig(epochs=4, lr=0.05, patience=1))
               if r.kind == "epoch"]
    assert len(records) == 4 and not any(r.stopped for r in records)
    assert all(b.val_loss < a.val_loss - 1e-4 for a, b in zip(records, records[1:]))


def test_stop_before_the_first_step_yields_nothing_and_after_it_repeats_the_last_step():
    stop = threading.Event()
    stop.set()
    model = _model()
    before = [p.detach().clone() for p in model.parameters()]
    assert list(fit(model, _data(), None, TrainConfig(epochs=2), stop)) == []
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    stop.clear()
    records = []
    for r in fit(_model(), _data(), None, TrainConfig(epochs=3), stop):
        records.append(r)
        if r.kind == "epoch":
            stop.set()
    assert [r.kind for r in records] == ["step"] * 3 + ["epoch", "epoch"]
    assert records[-1] is records[-2] and records[-1].stopped


def test_diverging_loss_is_a_user_error_with_the_step():
    x = torch.ones(4, 4)
    batches = [(x, torch.zeros(4, dtype=torch.long)), (x * math.inf, torch.zeros(4, dtype=torch.long))]
    with pytest.raises(UserError) as info:
        list(fit(_model(), batches, None, TrainConfig(epochs=1, lr=0.01)))
    assert (info.value.key, info.value.params) == ("train.diverged", {"step": 2, "lr": 0.01})
    assert str(info.value) == "loss became inf/NaN"


def test_empty_training_set_is_a_user_error():
    with pytest.raises(UserError) as info:
        list(fit(_model(), [], None, TrainConfig()))
    assert (info.value.key, str(info.value)) == ("train.no_data", "the training set is empty")


def test_sequence_batches_pass_lengths_to_the_model():
    class Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 2)
            self.lengths = []

        def forward(self, x, lengths):
            self.lengths.append(lengths.tolist())
            return self.lin(x)

    model, x = Seq(), torch.randn(3, 4)
    list(fit(model, [(x, torch.tensor([3, 2, 1]), torch.tensor([0, 1, 0]))], None, TrainConfig(epochs=1)))
    loss, acc = T.evaluate(model, [(x, torch.tensor([5, 5, 5]), torch.tensor([0, 1, 0]))])
    assert model.lengths == [[3, 2, 1], [5, 5, 5]]
    with torch.no_grad():
        logits = model.lin(x)
    assert loss == pytest.approx(F.cross_entropy(logits, torch.tensor([0, 1, 0])).item(), rel=1e-6)
    assert acc == pytest.approx((logits.argmax(1) == torch.tensor([0, 1, 0])).float().mean().item())


def test_evaluate_is_the_mean_over_all_samples_in_eval_mode():
    model = _model(dropout=0.9)
    model.train()
    batches = _data(20)
    loss, acc = T.evaluate(model, batches)
    assert not model.training
    with torch.no_grad():
        x, y = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
        logits = model(x)
    assert loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-6)
    assert acc == pytest.approx((logits.argmax(1) == y).float().mean().item())
    assert T.evaluate(model, []) == (0.0, 0.0)


# ---- settings ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(epochs=1), dict(epochs=1000), dict(lr=10), dict(lr=1e-12)]
                         + [dict(optimizer=o) for o in T.OPTIMIZERS] + [dict(schedule=s) for s in T.SCHEDULES]
                         + [dict(precision=p) for p in T.PRECISIONS])
def test_settings_at_the_edges_are_accepted(kw):
    cfg = TrainConfig(**kw)
    assert cfg.validate() is cfg


EPOCHS = ("train.bad_epochs", "epochs must be 1–1000")
LR = ("train.bad_lr", "learning rate must be in (0, 10]")
OPTION = ("train.bad_option", "unknown optimizer or schedule")


@pytest.mark.parametrize("kw,why", [(dict(epochs=0), EPOCHS), (dict(epochs=1001), EPOCHS), (dict(lr=0), LR),
                                    (dict(lr=10.001), LR), (dict(lr=-1), LR), (dict(optimizer="rmsprop"), OPTION),
                                    (dict(schedule="linear"), OPTION), (dict(precision="fp16"), OPTION)])
def test_settings_past_the_edges_are_refused(kw, why):
    with pytest.raises(UserError) as info:
        TrainConfig(**kw).validate()
    assert (info.value.key, str(info.value)) == why  # the key for the page, the message for the log
    with pytest.raises(UserError):  # fit checks them before touching the model
        next(fit(_model(), _data(), None, TrainConfig(**kw)))


def test_defaults():
    cfg = TrainConfig()
    assert (cfg.epochs, cfg.lr, cfg.optimizer, cfg.momentum, cfg.weight_decay, cfg.schedule, cfg.patience,
            cfg.seed, cfg.device, cfg.clip_grad, cfg.precision) == (3, 1e-3, "adam", 0.9, 0.0, "none", 0, 42, "cpu",
                                                                   0.0, "fp32")


@pytest.mark.parametrize("step,elapsed,eta", [(0, 2.0, 10.0), (1, 4.0, 16.0), (4, 4.0, 1.0), (5, 4.0, 0.0)])
def test_eta_from_the_pace_so_far(step, elapsed, eta):
    m = T.StepMetrics("step", 1, step, 5, 0.0, 0.0, 0.1, elapsed=elapsed, throughput=0.0)
    assert m.eta == pytest.approx(eta)


@pytest.mark.parametrize("dtype,cl,label", [(None, False, "fp32"), ("bfloat16", False, "bf16"),
                                            ("float16", False, "fp16"), ("bfloat16", True, "bf16+channels_last")])
def test_plan_labels(dtype, cl, label):
    assert T.PrecisionPlan(dtype, cl).label == label


def test_default_plan_is_plain_fp32():
    p = T.PrecisionPlan()
    assert (p.dtype, p.channels_last, p.scaler, p.reason, p.detail) == (None, False, False, "precision.fp32_chosen", {})
    assert T.plan_precision("fp32") == p


# ---- precision plans -------------------------------------------------------------------------------------------
CONV = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten())


@pytest.fixture
def support(monkeypatch):
    """Pretend the device does (or does not) have native bf16; the plan logic is what is tested."""
    def set_support(ok, device_type_seen=None):
        def fake(kind="cpu"):
            if device_type_seen is not None:
                device_type_seen.append(kind)
            return (ok, f"reason-{ok}", "chip")
        monkeypatch.setattr(T, "bf16_support", fake)
    return set_support


@pytest.mark.parametrize("precision,ok,model,want", [
    ("bf16", True, CONV, T.PrecisionPlan("bfloat16", False, False, "precision.bf16_chosen", {"name": "chip"})),
    ("bf16", False, None, T.PrecisionPlan("bfloat16", False, False, "precision.bf16_emulated", {"name": "chip"})),
    ("auto", False, CONV, T.PrecisionPlan(None, False, False, "reason-False", {"name": "chip"})),
    ("auto", True, CONV, T.PrecisionPlan("bfloat16", True, False, "reason-True", {"name": "chip"})),
    ("auto", True, nn.Linear(2, 2), T.PrecisionPlan("bfloat16", False, False, "reason-True", {"name": "chip"})),
    ("auto", True, None, T.PrecisionPlan("bfloat16", False, False, "reason-True", {"name": "chip"})),
])
def test_cpu_plans(support, precision, ok, model, want):
    seen = []
    support(ok, seen)
    assert T.plan_precision(precision, "cpu", model) == want and seen == ["cpu"]


@pytest.mark.parametrize("precision,ok,model,want", [
    ("auto", True, CONV, T.PrecisionPlan("bfloat16", True, False, "reason-True", {"name": "chip"})),
    ("auto", False, CONV, T.PrecisionPlan("float16", True, True, "reason-False", {"name": "chip"})),
    ("bf16", False, CONV, T.PrecisionPlan("float16", False, True, "reason-False", {"name": "chip"})),
])
def test_cuda_plans(support, precision, ok, model, want):
    seen = []
    support(ok, seen)
    assert T.plan_precision(precision, "cuda:0", model) == want and seen == ["cuda"]
    assert T.auto_precision("cuda:0", model) == (T.plan_precision("auto", "cuda:0", model).label, "reason-" + str(ok),
                                                 {"name": "chip"})


def test_auto_precision_defaults_to_the_cpu(support):
    seen = []
    support(False, seen)
    assert T.auto_precision() == ("fp32", "reason-False", {"name": "chip"}) and seen == ["cpu"]


def test_unknown_precision_plan_is_refused():
    with pytest.raises(UserError) as info:
        T.plan_precision("int8")
    assert (info.value.key, str(info.value)) == ("train.bad_option", "unknown precision")


@pytest.mark.parametrize("flags,want", [
    ({"avx2", "avx512_bf16"}, (True, "precision.cpu_bf16", "avx512_bf16")),
    ({"amx_bf16", "bf16", "sse2"}, (True, "precision.cpu_bf16", "amx_bf16, bf16")),
    ({"avx2", "fma", "avx512f"}, (False, "precision.cpu_no_bf16", torch.backends.cpu.get_cpu_capability())),
])
def test_bf16_support_reads_the_cpu_flags(monkeypatch, flags, want):
    monkeypatch.setattr(T, "_cpu_flags", lambda: set(flags))
    T.bf16_support.cache_clear()
    try:
        assert T.bf16_support("cpu") == want
    finally:
        T.bf16_support.cache_clear()


def test_bf16_support_without_cpuinfo_asks_onednn(monkeypatch):
    monkeypatch.setattr(T, "_cpu_flags", lambda: None)
    T.bf16_support.cache_clear()
    try:
        ok = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        assert T.bf16_support() == (ok, "precision.cpu_bf16" if ok else "precision.cpu_no_bf16",
                                    torch.backends.cpu.get_cpu_capability())
    finally:
        T.bf16_support.cache_clear()


def test_cpu_flags_come_from_proc_cpuinfo(monkeypatch, tmp_path):
    import builtins

    fake = tmp_path / "cpuinfo"
    fake.write_text("processor\t: 0\nvendor_id\t: X\nflags\t\t: fpu avx2 avx512_bf16\nbogomips\t: 1\n"
                    "flags\t\t: other\n")
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: real_open(fake if path == "/proc/cpuinfo" else path,
                                                                        *a, **k))
    assert T._cpu_flags() == {"fpu", "avx2", "avx512_bf16"}
    fake.write_text("processor\t: 0\nFeatures\t: fp asimd bf16\n")  # Arm's name for the line
    assert T._cpu_flags() == {"fp", "asimd", "bf16"}
    fake.write_text("processor\t: 0\nmodel name\t: something\n")  # no flags line at all
    assert T._cpu_flags() == set()
    fake.unlink()
    assert T._cpu_flags() is None


def test_autocast_context_follows_the_plan():
    with T.autocast(T.PrecisionPlan()):
        assert not torch.is_autocast_enabled("cpu")
    with T.autocast(T.PrecisionPlan("bfloat16")):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16


class LayoutProbe(nn.Module):
    """A tiny conv net that records, per call, whether it was training and whether its input was channels_last."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc, self.seen = nn.Conv2d(3, 2, 3), nn.Linear(8, 2), []

    def forward(self, x):
        self.seen.append((self.training, x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()))
        return self.fc(self.conv(x).flatten(1))


def test_image_batches_follow_the_channels_last_plan_in_training_and_evaluation(monkeypatch):
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(4, 3, 4, 4, generator=g), torch.tensor([0, 1, 0, 1]))] * 2
    plain = LayoutProbe()
    list(fit(plain, batches, batches, TrainConfig(epochs=1, lr=0.01)))
    assert {t for t, _ in plain.seen} == {True, False} and not any(cl for _, cl in plain.seen)
    monkeypatch.setattr(T, "_cpu_flags", lambda: {"avx512_bf16"})  # as if bf16 were native: auto picks channels_last
    T.bf16_support.cache_clear()
    try:
        probe = LayoutProbe()
        records = list(fit(probe, batches, batches, TrainConfig(epochs=1, lr=0.01, precision="auto")))
    finally:
        T.bf16_support.cache_clear()
    assert records[-1].precision == "bf16+channels_last"
    assert {t for t, _ in probe.seen} == {True, False} and all(cl for _, cl in probe.seen)


def test_plan_precision_defaults_to_the_cpu():
    plan = T.plan_precision("bf16")
    assert (plan.dtype, plan.scaler, plan.detail["name"]) == ("bfloat16", False, T.bf16_support("cpu")[2])
