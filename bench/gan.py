"""GAN and synthetic-data benchmark (prints its figures; not a test).

1. Sample quality of the shipped Fashion-MNIST generator (assets/gan/), rated by a CNN classifier trained here
   with core.train.fit: mean top-class probability and how many of the 10 classes appear in 1,000 samples.
   Goal: >= 0.8 and 10/10. The same figures on 1,000 real test images are printed beside it for reference.
2. Mode collapse, measured: a default and a "collapse" DCGAN trained the same number of steps on digits; sample
   diversity (mean pairwise distance) and distinct classes per 1,000 samples, rated by a digits classifier.
3. Synthetic data and augmentation: LeNet on 500 labelled Fashion-MNIST images with no augmentation, with
   torchvision augmentations, and with 2,000 cGAN samples added; best and final accuracy on 2,000 real test
   images (never trained on), and on the other 8,000 test images as an independent check.
"""
import argparse

import torch
from _common import timer
from torch.utils.data import DataLoader

from core import gan, synthetic
from core import vision as V
from core.assets import Registry
from core.config import Settings
from core.data import TransformDataset, digits, fashion_mnist
from core.train import TrainConfig, evaluate, fit


def classifier(data, epochs: int, arch: str = "lenet"):
    """The CNN page's model, trained on the whole training set with the course's loop."""
    torch.manual_seed(0)
    model = V.build_model(V.ModelSpec(arch), data.shape, 10)
    loader = DataLoader(TransformDataset(data.x_train, data.y_train), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    for _ in fit(model, loader, None, TrainConfig(epochs=epochs, lr=2e-3)):
        pass
    return model.eval()


def rate(model, images) -> dict:
    """Mean top-class probability, distinct predicted classes, and the predictions."""
    with torch.no_grad():
        p = torch.cat([model(images[i:i + 500]).softmax(1) for i in range(0, len(images), 500)])
    top, pred = p.max(1)
    return {"conf": top.mean().item(), "classes": len(pred.unique()), "pred": pred}


def quality(data, clf, n: int) -> None:
    G, cfg = gan.load_generator(gan.weights_path("fashion_mnist"))
    labels = torch.arange(n) % 10
    fake = rate(clf, gan.generate(G, n, seed=123, labels=labels))
    real = rate(clf, data.x_test[:n])
    print(f"\n1. Shipped Fashion-MNIST generator ({'conditional ' if cfg.conditional else ''}DCGAN, "
          f"{cfg.epochs} epochs) rated by a LeNet ({(real['pred'] == data.y_test[:n]).float().mean():.3f} "
          f"accuracy on real test images)")
    print(f"   {'':<26}{'mean top-class prob':>20}{'classes present':>17}{'as asked (cGAN)':>17}")
    print(f"   {'real test images':<26}{real['conf']:>20.3f}{real['classes']:>14}/10{'':>17}")
    asked = f"{(fake['pred'] == labels).float().mean():.3f}" if cfg.conditional else "-"
    print(f"   {'generated samples':<26}{fake['conf']:>20.3f}{fake['classes']:>14}/10{asked:>17}")
    print(f"   goal: >= 0.8 and 10/10 -> {'met' if fake['conf'] >= 0.8 and fake['classes'] == 10 else 'NOT met'}")


def collapse(epochs: int, n: int) -> None:
    d = digits()
    clf = classifier(d, 10)
    x, y = d.x_train, d.y_train
    print(f"\n2. Mode collapse on digits, {epochs} epochs each (LeNet digits rater: "
          f"{(rate(clf, d.x_test)['pred'] == d.y_test).float().mean():.3f} test accuracy)")
    print(f"   {'setting':<40}{'diversity':>10}{'classes':>9}{'D(x)':>7}{'D(G(z))':>9}{'seconds':>9}")
    real = rate(clf, d.x_test)
    print(f"   {'real test digits':<40}{gan.diversity(d.x_test[:64]):>10.2f}{real['classes']:>6}/10")
    base = gan.GANConfig(epochs=epochs, sample_every=10 ** 9)
    for name, cfg in [("default (lr 2e-4, 1 G step, BatchNorm)", base),
                      ("collapse (G lr x10, 5 G steps, no BN)", base.collapsed())]:
        G, D = gan.build(cfg)
        t = {}
        with timer(t, "s"):
            last = list(gan.train(G, D, x, y, cfg))[-1]
        samples = gan.generate(G, n, seed=7)
        r = rate(clf, samples)
        print(f"   {name:<40}{gan.diversity(samples[:64]):>10.2f}{r['classes']:>6}/10{last.d_real:>7.2f}"
              f"{last.d_fake:>9.2f}{t['s']:>9.1f}")


def arms(data, epochs: int, n_labelled: int) -> None:
    G, _ = gan.load_generator(gan.weights_path("fashion_mnist"))
    cfg = synthetic.SynthConfig(n_labelled=n_labelled, epochs=epochs)
    t = {}
    with timer(t, "s"):
        steps = list(synthetic.run_arms(data, cfg, G))
    summary = synthetic.summary(steps)
    print(f"\n3. LeNet on {n_labelled} labelled Fashion-MNIST images, {epochs} epochs per arm ({t['s']:.0f} s)")
    print(f"   {'arm':<34}{'best val acc':>13}{'final val acc':>14}{'independent':>13}")
    held_out = DataLoader(TransformDataset(data.x_test[cfg.n_val:], data.y_test[cfg.n_val:]), batch_size=512)
    models = {s.arm: s.model for s in steps}
    for arm in cfg.arms:
        _, indep = evaluate(models[arm], held_out)
        s = summary[arm]
        label = {"none": "no augmentation", "augment": "torchvision flip/crop/rotate",
                 "gan": f"+ {cfg.n_synthetic} cGAN samples"}[arm]
        print(f"   {label:<34}{s['best_val_acc']:>13.3f}{s['final_val_acc']:>14.3f}{indep:>13.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="samples rated")
    ap.add_argument("--clf-epochs", type=int, default=2)
    ap.add_argument("--collapse-epochs", type=int, default=3)
    ap.add_argument("--arm-epochs", type=int, default=15)
    ap.add_argument("--labelled", type=int, default=500)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (1 on a busy machine)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["quality", "collapse", "arms"])
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = fashion_mnist(Registry(Settings.load().cache_dir).path("fashion_mnist").parent.parent)
    if "quality" not in args.skip:
        quality(data, classifier(data, args.clf_epochs), args.n)
    if "collapse" not in args.skip:
        collapse(args.collapse_epochs, args.n)
    if "arms" not in args.skip:
        arms(data, args.arm_epochs, args.labelled)


if __name__ == "__main__":
    main()
