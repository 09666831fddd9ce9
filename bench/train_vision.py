"""Vision training benchmark (prints its figures; not a test). Fashion-MNIST, trained on the training set and
scored on the separate 10k test set, in one run:

1. Overhead of core.train.fit vs a plain PyTorch loop (same MLP, data, loaders, epochs) in fp32 and in "auto"
   precision. Goal: time ratio <= 1.05 in both.
2. Seconds per epoch and test accuracy in fp32 and auto for the MLP (goal >= 0.87) and the CNN (goal >= 0.90;
   with auto <= 16 s/epoch on a CPU with native bf16, accuracy within 0.3 points of fp32).
3. A small ViT (auto precision): goal >= 0.85 test accuracy in 3 epochs; its same-size CNN beside it.
--subset/--epochs shrink the run for a loaded machine; --threads 1 avoids OpenMP spinning against other jobs.
"""
import argparse

import torch
import torch.nn.functional as F
from _common import timer

from core import vision as V
from core import vit
from core.assets import Registry
from core.config import Settings
from core.data import fashion_mnist, loaders, subset_split
from core.train import TrainConfig, auto_precision, autocast, fit, plan_precision


def plain_loop(model, loader, epochs, lr, seed, plan):
    """What a student writes by hand, including the mixed-precision lines the exported script needs."""
    torch.manual_seed(seed)
    if plan.channels_last:
        model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=len(loader) * epochs)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            if plan.channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            with autocast(plan):
                logits = model(xb)
            loss = F.cross_entropy(logits.float(), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss.item()  # a plain loop logs the loss too


def train_and_score(model, train_loader, cfg, data):
    t = {}
    with timer(t, "s"):
        label = [m.precision for m in fit(model, train_loader, None, cfg)][-1]
    return t["s"], V.analyse(model, data.x_test, data.y_test, 10).test_acc, label


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--subset", type=int, default=60000, help="training images (all 60k by default)")
    ap.add_argument("--cnn", default="vgg", choices=["lenet", "vgg", "resnet"])
    ap.add_argument("--parts", default="overhead,cnn,vit,vit_cnn")
    ap.add_argument("--threads", type=int, default=0, help="torch threads; 0 keeps torch's default")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    parts = set(args.parts.split(","))
    data = fashion_mnist(Registry(Settings.load().cache_dir).path("fashion_mnist").parent.parent)
    ep = args.epochs
    chosen, reason, detail = auto_precision("cpu", V.build_model(V.ModelSpec(args.cnn), (1, 28, 28), 10))
    print(f"auto precision on this CPU for a conv net: {chosen}  ({reason}: {detail['name']}); "
          f"{torch.get_num_threads()} threads, {args.subset} training images, {ep} epochs")

    if "overhead" in parts:
        print("MLP 256-128 + BatchNorm, Adam 3e-3 cosine, batch 64")
        for precision in ("fp32", "auto"):
            spec = V.RunSpec("fashion_mnist", subset=args.subset, val_frac=1 / 60, batch_size=64,
                             model=V.ModelSpec("mlp", (256, 128), batchnorm=True),
                             train=TrainConfig(epochs=ep, lr=3e-3, schedule="cosine", precision=precision))
            model, train_loader, _, _ = V.setup(spec, data)
            plan = plan_precision(precision, "cpu", model)
            plain_loop(model, train_loader, 1, 3e-3, 0, plan)  # warm-up: page cache, allocator, thread pool
            model, train_loader, _, _ = V.setup(spec, data)
            t = {}
            with timer(t, "plain"):
                plain_loop(model, train_loader, ep, 3e-3, spec.train.seed, plan)
            model, train_loader, _, _ = V.setup(spec, data)
            secs, acc, label = train_and_score(model, train_loader, spec.train, data)
            print(f"  {precision:>4} ({label}): plain {t['plain'] / ep:.1f} s/epoch, fit {secs / ep:.1f} s/epoch, "
                  f"ratio fit/plain = {secs / t['plain']:.3f} (goal <= 1.05); test accuracy {acc:.4f} "
                  f"(goal >= 0.87)")

    if "cnn" in parts:
        print(f"CNN {args.cnn} width 32 + BatchNorm, Adam 1e-3, batch 64")
        accs = {}
        for precision in ("fp32", "auto"):
            spec = V.RunSpec("fashion_mnist", subset=args.subset, val_frac=1 / 60, batch_size=64,
                             model=V.ModelSpec(args.cnn, width=32, batchnorm=True),
                             train=TrainConfig(epochs=ep, lr=1e-3, precision=precision))
            model, train_loader, _, _ = V.setup(spec, data)
            secs, accs[precision], label = train_and_score(model, train_loader, spec.train, data)
            print(f"  {precision:>4} ({label}): {secs / ep:.1f} s/epoch (goal with auto <= 16), "
                  f"test accuracy {accs[precision]:.4f} (goal >= 0.90)")
        print(f"  accuracy auto - fp32 = {100 * (accs['auto'] - accs['fp32']):+.2f} points (goal within 0.3)")

    spec = vit.ViTSpec()
    train_loader, _ = loaders(subset_split(data, args.subset, 1 / 60, 42), 64, 42)
    cfg = TrainConfig(epochs=ep, lr=2e-3, optimizer="adamw", weight_decay=0.05, schedule="cosine", precision="auto")
    torch.manual_seed(42)
    model = vit.build(spec, data.shape, 10)
    n = sum(p.numel() for p in model.parameters())
    if "vit" in parts:
        secs, acc, label = train_and_score(model, train_loader, cfg, data)
        print(f"ViT patch {spec.patch}, dim {spec.dim}, depth {spec.depth}, heads {spec.heads} ({n} parameters), "
              f"AdamW 2e-3 cosine, batch 64, {label}: {secs / ep:.1f} s/epoch, test accuracy {acc:.4f} "
              f"(goal >= 0.85)")
    if "vit_cnn" in parts:
        torch.manual_seed(42)
        cnn = vit.matched_cnn(n, data.shape, 10)
        cfg.optimizer, cfg.weight_decay, cfg.lr = "adam", 0.0, 1e-3
        secs, acc, label = train_and_score(cnn, train_loader, cfg, data)
        print(f"  same-size CNN (SmallVGG width {cnn.features[0].out_channels}, "
              f"{sum(p.numel() for p in cnn.parameters())} parameters), {label}: {secs / ep:.1f} s/epoch, "
              f"test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
