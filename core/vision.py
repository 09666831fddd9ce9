"""Everything the DNN/CNN pages do besides the loop: build models, describe them, analyse a trained model,
save/load weights, and export the exact plain-PyTorch script of a run."""
from __future__ import annotations

import functools
import inspect
import io
import threading
from dataclasses import asdict, dataclass, field

from core.data import SCRIPT_DATA, script_data
from core.errors import UserError
from core.train import TrainConfig, plan_precision

CNN_ARCHS = ("lenet", "vgg", "resnet", "efficientnet")


@dataclass
class ModelSpec:
    arch: str = "mlp"
    hidden: tuple[int, ...] = (256, 128)
    activation: str = "relu"
    dropout: float = 0.0
    batchnorm: bool = False
    width: int = 32                   # conv channels (vgg/resnet)
    finetune_blocks: int = 0          # efficientnet: how many last blocks to unfreeze (0 = frozen backbone)

    def kwargs(self, in_shape, n_classes) -> dict:
        base = dict(in_shape=tuple(in_shape), n_classes=n_classes)
        if self.arch == "mlp":
            return base | dict(hidden=tuple(self.hidden), activation=self.activation, dropout=self.dropout,
                               batchnorm=self.batchnorm)
        if self.arch == "lenet":
            return base | dict(dropout=self.dropout)
        if self.arch == "vgg":
            return base | dict(width=self.width, dropout=self.dropout, batchnorm=self.batchnorm)
        return base | dict(width=max(8, self.width // 2), dropout=self.dropout)


@dataclass
class RunSpec:
    """All settings of one training run: enough to repeat it exactly (page, saved run, exported script)."""
    dataset: str = "fashion_mnist"
    subset: int = 6000
    val_frac: float = 0.1
    batch_size: int = 64
    augment: tuple[str, ...] = ()
    model: ModelSpec = field(default_factory=ModelSpec)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return asdict(self)


MAX_HIDDEN_LAYERS, MAX_HIDDEN_WIDTH = 8, 4096


def parse_hidden(text: str) -> tuple[int, ...]:
    """'256, 128' → (256, 128): one to MAX_HIDDEN_LAYERS widths of 1 to MAX_HIDDEN_WIDTH; UserError otherwise."""
    try:
        hidden = tuple(int(h) for h in text.replace(" ", "").split(",") if h)
    except ValueError:
        hidden = ()
    if not hidden or len(hidden) > MAX_HIDDEN_LAYERS or any(h < 1 or h > MAX_HIDDEN_WIDTH for h in hidden):
        raise UserError("vis.bad_hidden", f"bad hidden layer sizes: {text!r}")
    return hidden


CLASS_OF = {"mlp": "MLP", "lenet": "LeNet5", "vgg": "SmallVGG", "resnet": "SmallResNet"}


def efficientnet_lite0(weights_path: str, n_classes: int, finetune_blocks: int = 0, in_channels: int = 3):
    """ImageNet EfficientNet-Lite0 with a new head; the backbone is frozen except the last `finetune_blocks`."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0", num_classes=1000)
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    for p in model.parameters():
        p.requires_grad = False
    for block in list(model._blocks)[len(model._blocks) - finetune_blocks:] if finetune_blocks else []:
        for p in block.parameters():
            p.requires_grad = True
    freeze_batch_norms(model)
    model._fc = torch.nn.Linear(model._fc.in_features, n_classes)  # new head, trainable
    if in_channels == 1:
        from core.models.vision import GreyToRGB

        return GreyToRGB(model)
    return model


def freeze_batch_norms(model) -> None:
    """Every 2-d batch norm whose weights are frozen becomes torchvision's FrozenBatchNorm2d: it normalises with
    the pretrained statistics whatever mode the model is in, so a plain `model.train()` (a hand-written loop, a
    layer table restoring the mode) can no longer drift them to a few batches of the new data."""
    import torch
    from torchvision.ops import FrozenBatchNorm2d

    for name, bn in list(model.named_modules()):
        if isinstance(bn, torch.nn.BatchNorm2d) and bn.affine and not bn.weight.requires_grad:
            frozen = FrozenBatchNorm2d(bn.num_features, eps=bn.eps)
            frozen.load_state_dict(bn.state_dict())
            parent, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent), attr, frozen)


EFFICIENTNET_MIN_SIDE = 32


def build_model(spec: ModelSpec, in_shape, n_classes: int, weights_path: str | None = None):
    from core.models import vision as vision_models

    if spec.arch == "efficientnet":
        if weights_path is None:
            raise UserError("vision.no_weights", "EfficientNet weights are not available")
        if min(in_shape[1:]) < EFFICIENTNET_MIN_SIDE:  # five stride-2 stages: 8x8 digits vanish before the head
            raise UserError("vision.too_small", "images too small for EfficientNet", side=min(in_shape[1:]),
                            min_side=EFFICIENTNET_MIN_SIDE)
        return efficientnet_lite0(weights_path, n_classes, spec.finetune_blocks, in_shape[0])
    if spec.arch not in CLASS_OF:
        raise UserError("vision.bad_arch", f"unknown architecture {spec.arch}")
    return getattr(vision_models, CLASS_OF[spec.arch])(**spec.kwargs(in_shape, n_classes))


def setup(spec: RunSpec, data, weights_path: str | None = None):
    """Split, loaders, seeded model: in exactly the order the exported script uses."""
    import torch

    from core.data import loaders, make_transform, subset_split

    split = subset_split(data, spec.subset, spec.val_frac, spec.train.seed)
    eval_tf = make_transform(("normalize",), data.shape) if "normalize" in spec.augment else None
    train_loader, val_loader = loaders(split, spec.batch_size, spec.train.seed,
                                       make_transform(tuple(spec.augment), data.shape), eval_tf)
    torch.manual_seed(spec.train.seed)
    model = build_model(spec.model, data.shape, len(data.classes), weights_path)
    return model, train_loader, val_loader, eval_tf


def setup_vit(spec, data, subset: int, seed: int, compare: bool):
    """(split, seeded ViT, seeded SmallVGG of about the same parameter count or None) for the ViT page."""
    import torch

    from core import vit
    from core.data import subset_split

    split = subset_split(data, subset, 0.1, seed)
    torch.manual_seed(seed)
    model = vit.build(spec, data.shape, len(data.classes))
    torch.manual_seed(seed)
    cnn = vit.matched_cnn(param_counts(model)[0], data.shape, len(data.classes)) if compare else None
    return split, model, cnn


def param_counts(model) -> tuple[int, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return total, trainable


def layer_table(model, in_shape) -> list[dict]:
    """One row per leaf layer: name, type, output shape (from a dummy forward pass) and parameter count."""
    import torch

    rows, hooks = [], []
    for name, mod in model.named_modules():
        if name and not list(mod.children()):
            def hook(m, _inp, out, name=name):
                shape = tuple(out.shape[1:]) if hasattr(out, "shape") else "-"
                rows.append({"layer": name, "type": type(m).__name__, "output": str(shape),
                             "params": sum(p.numel() for p in m.parameters())})
            hooks.append(mod.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *in_shape))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return rows


@dataclass
class Analysis:
    test_loss: float
    test_acc: float
    preds: object        # LongTensor
    probs: object        # FloatTensor N×K
    labels: object
    confusion: list[list[int]]
    per_class: list[float]


def analyse(model, x, y, n_classes: int, eval_transform=None, batch_size: int = 512) -> Analysis:
    import torch
    import torch.nn.functional as F
    from sklearn.metrics import confusion_matrix

    model.eval()
    probs, loss_sum = [], 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = x[i:i + batch_size]
            if eval_transform is not None:
                xb = eval_transform(xb)
            logits = model(xb)
            loss_sum += F.cross_entropy(logits, y[i:i + batch_size], reduction="sum").item()
            probs.append(logits.softmax(1))
    p = torch.cat(probs)
    preds = p.argmax(1)
    cm = confusion_matrix(y.numpy(), preds.numpy(), labels=list(range(n_classes)))
    per_class = [float(cm[i, i] / cm[i].sum()) if cm[i].sum() else 0.0 for i in range(n_classes)]
    return Analysis(loss_sum / len(x), float((preds == y).float().mean()), preds, p, y, cm.tolist(), per_class)


def misclassified(analysis: Analysis, limit: int = 16) -> list[int]:
    """Indices of wrong predictions, most confident mistakes first (the instructive ones)."""
    wrong = (analysis.preds != analysis.labels).nonzero().ravel()
    conf = analysis.probs[wrong, analysis.preds[wrong]]
    return wrong[conf.argsort(descending=True)][:limit].tolist()


def predict_topk(model, image, k: int = 3, eval_transform=None) -> list[tuple[int, float]]:
    import torch

    model.eval()
    with torch.no_grad():
        x = image.unsqueeze(0)
        if eval_transform is not None:
            x = eval_transform(x)
        p = model(x).softmax(1)[0]
    top = p.topk(min(k, len(p)))
    return [(int(i), float(v)) for v, i in zip(top.values, top.indices)]


def feature_maps(model, image) -> list[tuple[str, object]]:
    """(layer name, C×H×W activation) for every Conv2d, in forward order, for one image."""
    import torch
    from torch import nn

    maps, hooks = [], []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(lambda m, i, o, name=name: maps.append((name, o[0].detach()))))
    model.eval()
    with torch.no_grad():
        model(image.unsqueeze(0))
    for h in hooks:
        h.remove()
    return maps


def first_conv_filters(model):
    from torch import nn

    for mod in model.modules():
        if isinstance(mod, nn.Conv2d):
            return mod.weight.detach()
    return None


def state_dict_bytes(model) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getvalue()


def load_state_dict_bytes(model, data: bytes) -> None:
    """Safe load (weights_only=True); a file for another architecture gets a clear UserError and leaves the
    model untouched."""
    import copy

    import torch

    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle/zip errors vary
        raise UserError("vision.bad_weights_file", str(exc)) from exc
    if not isinstance(state, dict):
        raise UserError("vision.bad_weights_file", "not a state_dict")
    trial = copy.deepcopy(model)
    try:
        trial.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise UserError("vision.wrong_arch", str(exc).split("\n")[0],
                        detail=str(exc).split("\n")[1].strip() if "\n" in str(exc) else "") from exc
    model.load_state_dict(state)


# ---- exported script ----------------------------------------------------------------------------------------
_SOURCES_LOCK = threading.Lock()


def _pasted_sources() -> dict[str, str]:
    """Source text pasted into exported scripts, read once per process under a lock: inspect.getsource on every
    page rerun breaks under concurrent sessions (CPython 3.11 'AST constructor recursion depth mismatch')."""
    with _SOURCES_LOCK:
        return _read_sources()


@functools.cache
def _read_sources() -> dict[str, str]:
    from core import data
    from core.models import vision as vision_models

    return {"models": inspect.getsource(vision_models).split('"""', 2)[2].strip().replace(
                "import torch\nfrom torch import nn\n", ""),
            "transform": inspect.getsource(data.make_transform).split('"""', 2)[2],
            "dataset": inspect.getsource(data.TransformDataset)}


def _precision_lines(plan) -> dict[str, str]:
    """The exported loop's lines for a resolved precision plan (CPU): fp32 leaves the plain loop unchanged."""
    lines = dict(layout="", to_layout="", to_layout_val="", fwd="logits = model(xb)", fwd_val="logits = model(xb)",
                 logits="logits")
    if plan.channels_last:  # conv kernels read NHWC faster: the model and every batch switch layout
        lines |= dict(layout="\nmodel = model.to(memory_format=torch.channels_last)",
                      to_layout="\n        xb = xb.contiguous(memory_format=torch.channels_last)",
                      to_layout_val="\n            xb = xb.contiguous(memory_format=torch.channels_last)")
    if plan.dtype is not None:
        amp = 'with torch.autocast("cpu", dtype=torch.bfloat16):  # bf16 mixed precision, as in the app'
        lines |= dict(fwd=f"{amp}\n            logits = model(xb)",
                      fwd_val=f"{amp}\n                logits = model(xb)",
                      logits="logits.float()")  # the loss in fp32, like the app: log-softmax needs the precision
    return lines


def script(spec: RunSpec, fashion_root: str = "data") -> str:
    """A self-contained script: the model classes (pasted from core/models/vision.py), the same data subset and
    split, the same seeded loader and loop, early stopping included. It prints each epoch's mean training loss
    and validation loss like the page, and stops at the same epoch."""
    if spec.dataset not in SCRIPT_DATA:
        raise UserError("vision.script_dataset", "script export supports Fashion-MNIST and digits")
    if spec.model.arch not in CLASS_OF:
        raise UserError("vision.script_arch", "script export covers the models defined in this course")
    sources = _pasted_sources()
    model_src = sources["models"]
    t = spec.train
    opt = {"sgd": f"torch.optim.SGD(params, lr={t.lr}, weight_decay={t.weight_decay})",
           "momentum": f"torch.optim.SGD(params, lr={t.lr}, momentum={t.momentum}, weight_decay={t.weight_decay})",
           "adam": f"torch.optim.Adam(params, lr={t.lr}, weight_decay={t.weight_decay})",
           "adamw": f"torch.optim.AdamW(params, lr={t.lr}, weight_decay={t.weight_decay or 0.01})"}[t.optimizer]
    sched = {"none": "None",
             "step": "torch.optim.lr_scheduler.StepLR(opt, step_size=len(train_loader), gamma=0.5)",
             "cosine": f"torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=len(train_loader) * {t.epochs})"}
    shape = (1, 28, 28) if spec.dataset == "fashion_mnist" else (1, 8, 8)
    transform = "None"
    if spec.augment:
        transform = f"make_transform({tuple(spec.augment)!r}, {shape!r})"
        model_src += "\n\n\ndef make_transform(augment, shape):" + sources["transform"]
    eval_tf = "v2.Normalize([0.5], [0.5])" if "normalize" in spec.augment else "None"
    ds_src = sources["dataset"]
    kwargs = spec.model.kwargs(shape, 10)
    plan = plan_precision(t.precision, "cpu", build_model(spec.model, shape, 10) if t.precision == "auto" else None)
    p = _precision_lines(plan)
    return f'''"""{CLASS_OF[spec.model.arch]} on {spec.dataset} — exported from the course app.
Plain PyTorch; same seed, same subset, same batches as the app, so epoch 1 prints the same training loss."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from torchvision.transforms import v2  # noqa: F401  (used when augmentation is on)

SEED = {t.seed}
PATIENCE = {t.patience}  # early stopping: epochs without a better validation loss (0 = off)
{model_src}


{ds_src}

{script_data(spec.dataset, fashion_root, "x_all", "y_all")}

# the app's seeded subset and train/validation split
g = torch.Generator().manual_seed(SEED)
perm = torch.randperm(len(x_all), generator=g)[:{spec.subset}]
x, y = x_all[perm], y_all[perm]
n_val = max(1, int(len(x) * {spec.val_frac}))
x_train, y_train, x_val, y_val = x[n_val:], y[n_val:], x[:n_val], y[:n_val]
train_loader = DataLoader(TransformDataset(x_train, y_train, {transform}), batch_size={spec.batch_size},
                          shuffle=True, generator=torch.Generator().manual_seed(SEED))
val_loader = DataLoader(TransformDataset(x_val, y_val, {eval_tf}), batch_size=512)

torch.manual_seed(SEED)
model = {CLASS_OF[spec.model.arch]}(**{kwargs!r}){p['layout']}
torch.manual_seed(SEED)  # the app seeds again right before training
params = [p for p in model.parameters() if p.requires_grad]
opt = {opt}
sched = {sched[t.schedule]}

best_val, bad_epochs = float("inf"), 0
for epoch in range(1, {t.epochs} + 1):
    model.train()
    total, loss_sum, correct = 0, 0.0, 0
    for xb, yb in train_loader:{p['to_layout']}
        {p['fwd']}
        loss = F.cross_entropy({p['logits']}, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        loss_sum += loss.item() * len(yb)
        correct += (logits.argmax(1) == yb).sum().item()
        total += len(yb)
    model.eval()
    val_loss, val_correct = 0.0, 0
    with torch.no_grad():
        for xb, yb in val_loader:{p['to_layout_val']}
            {p['fwd_val']}
            val_loss += F.cross_entropy({p['logits']}, yb, reduction="sum").item()
            val_correct += (logits.argmax(1) == yb).sum().item()
    val_loss /= len(x_val)
    print(f"epoch {{epoch}} train_loss {{loss_sum / total:.6f}} train_acc {{correct / total:.4f}} "
          f"val_loss {{val_loss:.6f}} val_acc {{val_correct / len(x_val):.4f}}")
    if PATIENCE:
        if val_loss < best_val - 1e-4:
            best_val, bad_epochs = val_loss, 0
        else:
            bad_epochs += 1
            if bad_epochs >= PATIENCE:
                print(f"early stop after epoch {{epoch}}")
                break

torch.save(model.state_dict(), "model.pt")
'''
