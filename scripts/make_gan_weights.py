"""Train the generators shipped in assets/gan/ so the GAN page shows good samples instantly.

    python scripts/make_gan_weights.py                 # both: digits, then Fashion-MNIST (a cGAN)
    python scripts/make_gan_weights.py --only digits --epochs 40

Same core.gan.train loop as the page; each file is rewritten after every epoch (with the epochs it really had)
so a long run can be cut short and still leave usable weights. There is no learning-rate schedule, so the
first k epochs of a longer run give exactly the weights of a k-epoch run. Measured under load on 2 shared CPU
cores: digits ~5 min, Fashion-MNIST ~20 min per epoch. One CPU thread: on a busy machine more threads only fight.
"""
import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The shipped settings: an unconditional DCGAN on digits, a class-conditional one on Fashion-MNIST (the
# synthetic-data lab needs labelled samples).
DEFAULTS = {"digits": dict(dataset="digits", epochs=60, conditional=False),
            "fashion_mnist": dict(dataset="fashion_mnist", epochs=4, conditional=True)}


def main(argv=None) -> int:
    import torch

    from core import gan
    from core.assets import Registry
    from core.config import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=gan.DATASETS)
    ap.add_argument("--epochs", type=int, help="override the shipped number of epochs")
    ap.add_argument("--out", type=Path, default=gan.WEIGHTS_DIR)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    for name in [args.only] if args.only else list(DEFAULTS):
        cfg = gan.GANConfig(**DEFAULTS[name] | ({"epochs": args.epochs} if args.epochs else {}),
                            sample_every=10 ** 9)
        root = Registry(Settings.load().cache_dir).path("fashion_mnist").parent.parent if name != "digits" else None
        x, y = gan.load_data(name, root)
        G, D = gan.build(cfg)
        out = args.out / gan.weights_path(name).name
        start = time.perf_counter()
        for m in gan.train(G, D, x, y, cfg):
            if m.step % 100 == 0:
                print(f"{name} step {m.step}/{m.total_steps} d_loss {m.d_loss:.3f} g_loss {m.g_loss:.3f} "
                      f"D(x) {m.d_real:.2f} D(G(z)) {m.d_fake:.2f} {time.perf_counter() - start:.0f}s", flush=True)
            if m.step % (m.total_steps // cfg.epochs) == 0:  # the file says how many epochs it really had
                gan.save_generator(G, dataclasses.replace(cfg, epochs=m.epoch), out)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
