"""Day 8: a DCGAN you can watch learn — models, the training generator, sampling, latent walks, diversity.

train(...) is a generator of GANStep records like core.train.fit, so the page runs it in a background Job and
tests iterate it with no Streamlit. The "collapse" preset is a deliberately bad setting: the generator takes
several large steps against a frozen discriminator, which pushes every z to the one image D currently likes
best — the textbook mechanism of mode collapse, measured by the samples' diversity.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from core.data import script_data
from core.errors import UserError

DATASETS = ("digits", "fashion_mnist")
IMAGE_SIZE = {"digits": 8, "fashion_mnist": 28}
N_CLASSES = 10  # the same in core.models.gan (which must stay plain PyTorch for the script)
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "assets" / "gan"


@dataclass
class GANConfig:
    dataset: str = "digits"
    latent_dim: int = 32
    width: int = 32                 # generator/discriminator channels of the last/first conv
    conditional: bool = False       # feed the class label to G and D (a cGAN): pick the class of each sample
    batchnorm: bool = True          # in G; removing it is one of the classic ways to lose stability
    g_lr: float = 2e-4
    d_lr: float = 2e-4
    beta1: float = 0.5              # Adam β1=0.5 as in the DCGAN paper: less momentum, fewer oscillations
    g_steps: int = 1                # generator updates per discriminator update
    batch_size: int = 64
    epochs: int = 5
    subset: int = 0                 # 0 = the whole training set
    sample_every: int = 50          # steps between sample grids
    seed: int = 0

    def validate(self) -> "GANConfig":
        if self.dataset not in DATASETS:
            raise UserError("gan.bad_dataset", f"unknown dataset {self.dataset}", name=self.dataset)
        if not (2 <= self.latent_dim <= 256 and 4 <= self.width <= 256):
            raise UserError("gan.bad_arch", "latent 2–256, width 4–256")
        if not (0 < self.g_lr <= 0.1 and 0 < self.d_lr <= 0.1):
            raise UserError("gan.bad_lr", "learning rates must be in (0, 0.1]")
        if not (1 <= self.epochs <= 200 and 1 <= self.g_steps <= 20 and 2 <= self.batch_size <= 1024):
            raise UserError("gan.bad_schedule", "epochs 1–200, G steps 1–20, batch 2–1024")
        return self

    @property
    def size(self) -> int:
        return IMAGE_SIZE[self.dataset]

    def collapsed(self) -> "GANConfig":
        """The 'mode collapse' switch: G outpaces a frozen D (5 steps each, 10× the lr, no BatchNorm)."""
        return dataclasses.replace(self, g_lr=min(0.1, self.g_lr * 10), g_steps=5, batchnorm=False)

    def model_dict(self) -> dict:
        return {"size": self.size, "latent_dim": self.latent_dim, "width": self.width,
                "conditional": self.conditional, "batchnorm": self.batchnorm}


def build(cfg: GANConfig):
    """A seeded (generator, discriminator) pair."""
    import torch

    from core.models.gan import Discriminator, Generator

    cfg.validate()
    torch.manual_seed(cfg.seed)
    return (Generator(**cfg.model_dict()),
            Discriminator(cfg.size, cfg.width, cfg.conditional))


@dataclass
class GANStep:
    step: int
    total_steps: int
    epoch: int
    d_loss: float
    g_loss: float
    d_real: float            # mean D(x): how real D finds real images (→ 0.5 at equilibrium)
    d_fake: float            # mean D(G(z)) before G's update
    elapsed: float
    samples: object = None   # N×1×H×W in [0, 1] from a fixed z, every sample_every steps
    diversity: float | None = None
    stopped: bool = False

    @property
    def eta(self) -> float:
        return self.elapsed / max(self.step, 1) * (self.total_steps - self.step)


def history_row(m: GANStep) -> dict | None:
    """A step's row in the saved run (core.runs.Recorder): the steps that drew samples, with their diversity."""
    if m.samples is None:
        return None
    return {"step": m.step, "d_loss": m.d_loss, "g_loss": m.g_loss, "d_real": m.d_real, "d_fake": m.d_fake,
            "diversity": m.diversity}


def load_data(dataset: str, fashion_root: Path | None = None):
    """(x in [0, 1], y) training tensors of the chosen dataset."""
    from core import data as D

    if dataset == "digits":
        d = D.digits()
    elif fashion_root is None:
        raise UserError("gan.no_fashion", "Fashion-MNIST is not prepared")
    else:
        d = D.fashion_mnist(fashion_root)
    return d.x_train, d.y_train


def fixed_noise(cfg: GANConfig, n: int = 64):
    """The same z (and labels 0..9 repeating) for every grid, so the page shows one set of samples evolving."""
    import torch

    g = torch.Generator().manual_seed(cfg.seed + 1)
    return torch.randn(n, cfg.latent_dim, generator=g), torch.arange(n) % N_CLASSES


def diversity(images) -> float:
    """Mean pairwise L2 distance between images (flattened): near 0 when every z gives the same picture."""
    import torch

    flat = images.reshape(len(images), -1).float()
    d = torch.cdist(flat, flat)
    n = len(flat)
    return float(d.sum() / max(n * (n - 1), 1))


def train(G, D, x, y, cfg: GANConfig, stop_event=None) -> Iterator[GANStep]:
    """Alternate one D update (real → 1, fake → 0) with cfg.g_steps G updates (non-saturating loss: fake → 1)."""
    import torch

    from core.models.gan import train_step

    cfg.validate()
    if len(x) < 2:
        raise UserError("gan.no_data", "the training set is empty")
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    if cfg.subset:
        keep = torch.randperm(len(x), generator=gen)[:cfg.subset]
        x, y = x[keep], y[keep]
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.g_lr, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.d_lr, betas=(cfg.beta1, 0.999))
    per_epoch = max(1, len(x) // cfg.batch_size)  # full batches only: BatchNorm dislikes a batch of 1
    total = per_epoch * cfg.epochs
    z_fixed, y_fixed = fixed_noise(cfg)
    start, step, last = time.perf_counter(), 0, None
    for epoch in range(1, cfg.epochs + 1):
        perm = torch.randperm(len(x), generator=gen)
        for b in range(per_epoch):
            if stop_event is not None and stop_event.is_set():
                if last is not None:
                    last.stopped = True
                    yield last
                return
            G.train()
            D.train()
            idx = perm[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            # x[idx] * 2 - 1: the batch in tanh's range, made per batch (the whole set as floats would double it)
            d_loss, g_loss, d_real_logit, d_fake_logit = train_step(G, D, opt_g, opt_d, x[idx] * 2 - 1, y[idx],
                                                                    cfg.latent_dim, cfg.g_steps)
            step += 1
            if not (math.isfinite(d_loss.item()) and math.isfinite(g_loss.item())):
                raise UserError("gan.diverged", "loss became inf/NaN", step=step)
            last = GANStep(step, total, epoch, d_loss.item(), g_loss.item(),
                           torch.sigmoid(d_real_logit).mean().item(), torch.sigmoid(d_fake_logit).mean().item(),
                           time.perf_counter() - start)
            if step % cfg.sample_every == 0 or step == total:
                last.samples = sample(G, z_fixed, y_fixed)
                last.diversity = diversity(last.samples)
            yield last


def sample(G, z, y=None):
    """Images in [0, 1] for the given latents, in eval mode (BatchNorm uses its running statistics)."""
    import torch

    was = G.training
    G.eval()
    with torch.no_grad():
        out = (G(z, y) + 1) / 2
    G.train(was)
    return out.clamp(0, 1)


def generate(G, n: int, seed: int = 0, labels=None):
    """n fresh samples; a conditional G gets `labels`: a tensor, one class for all, or None (the 10 in turn)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, G.latent_dim, generator=g)
    if labels is None:
        labels = torch.arange(n) % N_CLASSES
    elif isinstance(labels, int):
        labels = torch.full((n,), labels)
    return sample(G, z, labels)


def slerp(a, b, t: float):
    """Spherical interpolation: Gaussian latents live near a sphere, so the path stays where G was trained."""
    import torch

    omega = torch.acos((a / a.norm() * b / b.norm()).sum().clamp(-1, 1))
    if omega.abs() < 1e-6:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def latent_walk(G, seed_a: int, seed_b: int, steps: int = 8, mode: str = "slerp", label_a: int = 0,
                label_b: int = 0):
    """Images along the path from z(seed_a) to z(seed_b); a cGAN's class blends from label_a to label_b."""
    import torch

    if not 2 <= steps <= 32:
        raise UserError("gan.bad_walk", "2–32 steps")
    za = torch.randn(G.latent_dim, generator=torch.Generator().manual_seed(seed_a))
    zb = torch.randn(G.latent_dim, generator=torch.Generator().manual_seed(seed_b))
    ts = torch.linspace(0, 1, steps)
    z = torch.stack([slerp(za, zb, float(t)) if mode == "slerp" else (1 - t) * za + t * zb for t in ts])
    if not G.conditional:
        return sample(G, z)
    # the class enters G as a one-hot vector; blending it walks between classes too
    was = G.training
    G.eval()
    onehot = torch.nn.functional.one_hot(torch.tensor([label_a, label_b]), N_CLASSES).float()
    cond = (1 - ts)[:, None] * onehot[0] + ts[:, None] * onehot[1]
    with torch.no_grad():
        out = G.net(G.project(torch.cat([z, cond], 1)).view(steps, -1, G.base, G.base))
    G.train(was)
    return ((out + 1) / 2).clamp(0, 1)


def grid(images, nrow: int = 8, scale: int = 1):
    """N×1×H×W in [0, 1] → an H'×W' uint8 numpy image (torchvision's make_grid), each pixel scale×scale, so
    8×8 digits stay sharp instead of being blurred by the browser."""
    from torchvision.utils import make_grid

    g = make_grid(images, nrow=nrow, padding=1, pad_value=1.0)[0]
    g = g.repeat_interleave(scale, 0).repeat_interleave(scale, 1)
    return (g * 255).round().byte().numpy()


# ---- shipped weights ----------------------------------------------------------------------------------------
def weights_path(dataset: str) -> Path:
    return WEIGHTS_DIR / f"generator-{dataset}.pt"


def save_generator(G, cfg: GANConfig, path: Path) -> Path:
    """The generator's state_dict plus its architecture, as plain tensors and numbers (weights_only loads it)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": dataclasses.asdict(cfg), "state_dict": G.state_dict()}, path)
    return path


def load_generator(path: Path):
    """(G in eval mode, its GANConfig) from a file written by save_generator; safe: weights_only=True."""
    import torch

    if not Path(path).is_file():
        raise UserError("gan.no_weights", f"no generator weights at {path}", path=str(path))
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle/zip errors vary
        reason = str(exc).split("\n")[0][:200]
        raise UserError("gan.bad_weights", reason, reason=reason) from exc
    try:
        cfg = GANConfig(**blob["config"])
        from core.models.gan import Generator

        G = Generator(**cfg.model_dict())
        G.load_state_dict(blob["state_dict"])
    except (KeyError, TypeError, RuntimeError) as exc:
        reason = str(exc).split("\n")[0][:200]
        raise UserError("gan.bad_weights", reason, reason=reason) from exc
    return G.eval(), cfg


# ---- exported script ----------------------------------------------------------------------------------------
@functools.cache
def _models_source() -> str:
    """core/models/gan.py without its docstring and imports, read as text once (inspect.getsource per rerun
    breaks under concurrent sessions: see DESIGN.md)."""
    text = (Path(__file__).parent / "models" / "gan.py").read_text()
    return text.split('"""', 2)[2].replace("import torch\nfrom torch import nn\n", "")


def script(cfg: GANConfig, fashion_root: str = "data") -> str:
    """A self-contained DCGAN script for these settings: the models pasted from core/models/gan.py and the same
    seeded loop as train(), so it prints the same losses as the page and saves a sample grid."""
    cfg.validate()
    models_src = _models_source()
    subset = (f"keep = torch.randperm(len(x), generator=gen)[:{cfg.subset}]\nx, y = x[keep], y[keep]\n"
              if cfg.subset else "")
    return f'''"""{"Conditional " if cfg.conditional else ""}DCGAN on {cfg.dataset} — exported from the course app.
Plain PyTorch; same seed and same batches as the app, so it prints the same losses."""
import torch
from torch import nn
from torchvision.utils import save_image

SEED = {cfg.seed}
{models_src.strip()}


{script_data(cfg.dataset, fashion_root)}

torch.manual_seed(SEED)
G = Generator(**{cfg.model_dict()!r})
D = Discriminator({cfg.size}, {cfg.width}, {cfg.conditional})
torch.manual_seed(SEED)  # the app seeds again right before training
gen = torch.Generator().manual_seed(SEED)
{subset}x = x * 2 - 1  # the generator ends in tanh: train on [-1, 1]
opt_g = torch.optim.Adam(G.parameters(), lr={cfg.g_lr}, betas=({cfg.beta1}, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr={cfg.d_lr}, betas=({cfg.beta1}, 0.999))
batch, latent = {cfg.batch_size}, {cfg.latent_dim}
step = 0
for epoch in range(1, {cfg.epochs} + 1):
    perm = torch.randperm(len(x), generator=gen)
    for b in range(max(1, len(x) // batch)):
        idx = perm[b * batch:(b + 1) * batch]
        d_loss, g_loss, d_real, d_fake = train_step(G, D, opt_g, opt_d, x[idx], y[idx], latent, {cfg.g_steps})
        step += 1
        if step % 100 == 0:
            p_real, p_fake = torch.sigmoid(d_real).mean().item(), torch.sigmoid(d_fake).mean().item()
            print(f"step {{step}} d_loss {{d_loss.item():.4f}} g_loss {{g_loss.item():.4f}} "
                  f"D(x) {{p_real:.2f}} D(G(z)) {{p_fake:.2f}}")

G.eval()
with torch.no_grad():
    z = torch.randn(64, latent, generator=torch.Generator().manual_seed(SEED + 1))
    samples = (G(z, torch.arange(64) % {N_CLASSES}) + 1) / 2
save_image(samples, "samples.png", nrow=8)
torch.save(G.state_dict(), "generator.pt")
'''
