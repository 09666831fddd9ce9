"""One CNN training step on a CPU without native bf16 (prints its figures; not a test): eager fp32 (what `auto`
runs there today) against fp32 channels_last, torch.compile (inductor) and both, for LeNet and the small VGG
(width 32, BatchNorm), Fashion-MNIST batches of 64, Adam. Issue 33 item 6: adopt behind `auto` only what gives
>= 1.3x at the same accuracy.

Each variant: compile time (the first steps, which trace and build the kernels), then the median and best ms per step
over --steps steps, the configurations interleaved --repeats times so a busy machine's drift hits them alike (on
a shared machine the best run is the steadier figure of what a step costs). With
--epochs N each variant also trains N epochs on --subset images and is scored on the 10k test set (same seed).

    .venv/bin/python bench/train_step.py --steps 30 --repeats 3
    .venv/bin/python bench/train_step.py --archs vgg --epochs 1 --subset 10000

Measured 2026-12-07 on the 2-core development machine (torch 2.14, no native bf16) while 3 other engineers ran
jobs (load average 4-5), VGG step, median of the interleaved runs: channels_last 1.46x, 1.55x and 1.27x eager in
three runs, but one epoch of 10k images took 50.1 s vs eager's 47.9 s (0.96x; test accuracy 0.828 vs 0.801, one
seed); torch.compile 1.23x, 1.47x, 1.22x, its first steps 20.6 s with a cold inductor cache (1.5-2.6 s warm);
both together 1.32x then 0.80x. A fourth run (load 2.4-4.7): channels_last 0.81x median, 1.09x best, one
epoch 45.4 s vs 51.3 s (1.13x). LeNet: nothing consistent (0.9-1.5x). No variant showed a steady >= 1.3x, so
`auto` stays eager fp32 on such a CPU; rerun on a quiet machine before changing that.
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from _common import ROOT  # noqa: F401

from core import vision as V
from core.assets import Registry
from core.config import Settings
from core.data import fashion_mnist, loaders, subset_split

VARIANTS = (("eager", False, False), ("channels_last", True, False), ("compile", False, True),
            ("compile+channels_last", True, True))


def build(arch: str, channels_last: bool, compiled: bool, seed: int = 0):
    torch.manual_seed(seed)
    model = V.build_model(V.ModelSpec(arch, width=32, batchnorm=True), (1, 28, 28), 10)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    run = torch.compile(model) if compiled else model
    return model, run, opt


def step(run, opt, xb, yb, channels_last: bool) -> float:
    if channels_last:
        xb = xb.contiguous(memory_format=torch.channels_last)
    loss = F.cross_entropy(run(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def timing(arch, variants, batches, repeats) -> None:
    runs, compile_s, ms = {}, {}, {name: [] for name, *_ in variants}
    for name, cl, comp in variants:
        model, run, opt = build(arch, cl, comp)
        t0 = time.perf_counter()
        for xb, yb in batches[:3]:  # compile (and the first-call setup of eager) happen here
            step(run, opt, xb, yb, cl)
        compile_s[name] = time.perf_counter() - t0
        runs[name] = (run, opt, cl)
    for _ in range(repeats):
        for name, *_ in variants:
            run, opt, cl = runs[name]
            t0 = time.perf_counter()
            for xb, yb in batches:
                step(run, opt, xb, yb, cl)
            ms[name].append(1000 * (time.perf_counter() - t0) / len(batches))
    base, best = statistics.median(ms["eager"]), min(ms["eager"])
    for name in ms:
        m, low = statistics.median(ms[name]), min(ms[name])
        print(f"  {name:22} median {m:7.1f} ms/step ({base / m:4.2f}x eager), best {low:7.1f} "
              f"({best / low:4.2f}x eager's best); first 3 steps {compile_s[name]:5.1f} s; "
              f"runs {[round(x, 1) for x in ms[name]]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", nargs="+", default=["lenet", "vgg"])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=0, help="also train this many epochs and score (0: timing only)")
    ap.add_argument("--subset", type=int, default=10000)
    ap.add_argument("--variants", nargs="+", default=[v[0] for v in VARIANTS], choices=[v[0] for v in VARIANTS])
    args = ap.parse_args()
    variants = [v for v in VARIANTS if v[0] in args.variants]
    data = fashion_mnist(Registry(Settings.load().cache_dir).path("fashion_mnist").parent.parent)
    train_loader, _ = loaders(subset_split(data, args.subset, 1 / 60, 42), 64, 42)
    batches = [b for _, b in zip(range(args.steps), train_loader)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"cpu capability {torch.backends.cpu.get_cpu_capability()}, batch 64")
    for arch in args.archs:
        print(f"{arch}:")
        if args.repeats and "eager" in args.variants:  # timing (eager is the baseline of the ratios)
            timing(arch, variants, batches, args.repeats)
        if args.epochs:
            for name, cl, comp in variants:
                model, run, opt = build(arch, cl, comp, seed=42)
                t0 = time.perf_counter()
                for _ in range(args.epochs):
                    model.train()
                    for xb, yb in train_loader:
                        step(run, opt, xb, yb, cl)
                secs = time.perf_counter() - t0
                acc = V.analyse(model, data.x_test, data.y_test, 10).test_acc
                print(f"  {name:22} {args.epochs} epoch(s) on {args.subset}: {secs:6.1f} s (compile included), "
                      f"test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
