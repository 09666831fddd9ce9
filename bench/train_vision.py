"""Vision training benchmark (prints its figures; not a test).

1. Overhead of core.train.fit vs a plain PyTorch loop: same MLP, same data, same loaders, same epochs, in one
   run. Goal: time ratio <= 1.10.
2. Full Fashion-MNIST (60k train, 10k test), 3 epochs on CPU: MLP test accuracy (goal >= 0.87) and a small CNN
   (goal >= 0.90), with seconds per epoch.
"""
import argparse

import torch
import torch.nn.functional as F
from _common import timer

from core import vision as V
from core.assets import Registry
from core.config import Settings
from core.data import fashion_mnist
from core.train import TrainConfig, fit


def plain_loop(model, loader, epochs, lr, seed):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=len(loader) * epochs)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss.item()  # a plain loop logs the loss too


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--cnn", default="vgg", choices=["lenet", "vgg", "resnet", "none"])
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    data = fashion_mnist(Registry(Settings.load().cache_dir).path("fashion_mnist").parent.parent)
    n = len(data.x_train)
    t = {}

    spec = V.RunSpec("fashion_mnist", subset=n, val_frac=1 / 60, batch_size=64,
                     model=V.ModelSpec("mlp", (256, 128), batchnorm=True),
                     train=TrainConfig(epochs=args.epochs, lr=3e-3, optimizer="adam", schedule="cosine"))
    model, train_loader, _, _ = V.setup(spec, data)
    plain_loop(model, train_loader, 1, 3e-3, 0)  # warm-up: page cache, allocator, thread pool
    model, train_loader, _, _ = V.setup(spec, data)
    with timer(t, "plain"):
        plain_loop(model, train_loader, args.epochs, 3e-3, spec.train.seed)
    model, train_loader, val_loader, _ = V.setup(spec, data)
    with timer(t, "fit"):
        for _ in fit(model, train_loader, None, spec.train):
            pass
    mlp_acc = V.analyse(model, data.x_test, data.y_test, 10).test_acc
    print(f"MLP 256-128 + BatchNorm, Adam 3e-3 cosine, {len(train_loader.dataset)} images x {args.epochs} epochs")
    print(f"  plain PyTorch loop : {t['plain']:.1f} s ({t['plain'] / args.epochs:.1f} s/epoch)")
    print(f"  core.train.fit     : {t['fit']:.1f} s ({t['fit'] / args.epochs:.1f} s/epoch)")
    print(f"  time ratio fit/plain = {t['fit'] / t['plain']:.3f}   (goal <= 1.10)")
    print(f"  MLP test accuracy    = {mlp_acc:.4f}   (goal >= 0.87)")

    if args.cnn == "none":
        return
    spec = V.RunSpec("fashion_mnist", subset=n, val_frac=1 / 60, batch_size=64,
                     model=V.ModelSpec(args.cnn, width=32, batchnorm=True),
                     train=TrainConfig(epochs=args.epochs, lr=1e-3, optimizer="adam"))
    model, train_loader, _, _ = V.setup(spec, data)
    with timer(t, "cnn"):
        for _ in fit(model, train_loader, None, spec.train):
            pass
    cnn_acc = V.analyse(model, data.x_test, data.y_test, 10).test_acc
    print(f"CNN {args.cnn}: {t['cnn']:.1f} s ({t['cnn'] / args.epochs:.1f} s/epoch), test accuracy = {cnn_acc:.4f}"
          f"   (goal >= 0.90)")


if __name__ == "__main__":
    main()
