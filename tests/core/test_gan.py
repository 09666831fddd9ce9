"""DCGAN lab: shapes, learning, the collapse switch, latent walks, shipped weights; synthetic-data arms."""
import threading

import pytest
import torch

from core import gan, synthetic
from core.data import digits
from core.errors import UserError


@pytest.fixture(scope="module")
def digits_xy():
    return gan.load_data("digits")


@pytest.mark.parametrize("dataset,size", [("digits", 8), ("fashion_mnist", 28)])
@pytest.mark.parametrize("conditional", [False, True])
def test_generator_shapes_and_range(dataset, size, conditional):
    cfg = gan.GANConfig(dataset=dataset, conditional=conditional, latent_dim=16, width=8)
    G, D = gan.build(cfg)
    images = gan.generate(G, 12, seed=3)
    assert images.shape == (12, 1, size, size)
    assert images.min() >= 0 and images.max() <= 1
    assert D(images * 2 - 1, torch.arange(12) % 10).shape == (12,)


def test_training_moves_losses_and_d_learns(digits_xy):
    x, y = digits_xy
    cfg = gan.GANConfig(epochs=1, sample_every=5)
    G, D = gan.build(cfg)
    before = [p.detach().clone() for p in G.parameters()]
    steps = list(gan.train(G, D, x, y, cfg))
    assert len(steps) == len(x) // cfg.batch_size
    assert len({round(s.d_loss, 4) for s in steps}) > 5 and len({round(s.g_loss, 4) for s in steps}) > 5
    assert all(0 <= s.d_real <= 1 and 0 <= s.d_fake <= 1 for s in steps)
    # early on D tells real from fake: it must rate real digits higher than generated ones
    assert sum(s.d_real for s in steps[:10]) > sum(s.d_fake for s in steps[:10])
    assert any((a - b).abs().max() > 1e-4 for a, b in zip(before, G.parameters()))
    grids = [s for s in steps if s.samples is not None]
    assert grids and grids[-1].step == steps[-1].step and grids[0].samples.shape == (64, 1, 8, 8)
    assert grids[-1].diversity > 0


def test_collapse_switch_reduces_diversity(digits_xy):
    x, y = digits_xy
    div = {}
    for name, cfg in [("default", gan.GANConfig(epochs=2)), ("collapse", gan.GANConfig(epochs=2).collapsed())]:
        G, D = gan.build(cfg)
        last = list(gan.train(G, D, x, y, cfg))[-1]
        div[name] = last.diversity
    real = gan.diversity(x[:64])
    assert div["default"] > 0.4 * real  # a healthy generator spreads its samples like the data
    assert div["collapse"] < 0.35 * div["default"], div


def test_stop_event_ends_training_with_a_stopped_record(digits_xy):
    x, y = digits_xy
    stop = threading.Event()
    cfg = gan.GANConfig(epochs=5)
    G, D = gan.build(cfg)
    seen = []
    for s in gan.train(G, D, x, y, cfg, stop):
        seen.append(s)
        if s.step == 3:
            stop.set()
    assert seen[-1].stopped and seen[-1].step == 3


def test_bad_settings_are_user_errors(digits_xy):
    with pytest.raises(UserError):
        gan.GANConfig(g_lr=5).validate()
    with pytest.raises(UserError):
        gan.GANConfig(dataset="cifar").validate()
    with pytest.raises(UserError):
        gan.latent_walk(gan.build(gan.GANConfig())[0], 1, 2, steps=1)


def test_slerp_endpoints_and_norm():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(32, generator=g), torch.randn(32, generator=g)
    assert torch.allclose(gan.slerp(a, b, 0.0), a, atol=1e-5) and torch.allclose(gan.slerp(a, b, 1.0), b, atol=1e-5)
    mid, lerp_mid = gan.slerp(a, b, 0.5), (a + b) / 2
    # lerp cuts through the low-density middle of the Gaussian; slerp keeps a typical norm
    assert mid.norm() > lerp_mid.norm()
    assert min(a.norm(), b.norm()) * 0.9 < mid.norm() < max(a.norm(), b.norm()) * 1.1


@pytest.mark.parametrize("conditional", [False, True])
def test_latent_walk_starts_and_ends_at_the_two_samples(conditional):
    G, _ = gan.build(gan.GANConfig(conditional=conditional))
    walk = gan.latent_walk(G, 5, 9, steps=6, label_a=2, label_b=7)
    za = torch.randn(G.latent_dim, generator=torch.Generator().manual_seed(5))
    zb = torch.randn(G.latent_dim, generator=torch.Generator().manual_seed(9))
    assert walk.shape == (6, 1, 8, 8)
    assert torch.allclose(walk[0], gan.sample(G, za[None], torch.tensor([2]))[0], atol=1e-5)
    assert torch.allclose(walk[-1], gan.sample(G, zb[None], torch.tensor([7]))[0], atol=1e-5)


def test_save_and_load_generator_round_trip(tmp_path):
    cfg = gan.GANConfig(conditional=True, latent_dim=12, width=8)
    G, _ = gan.build(cfg)
    path = gan.save_generator(G, cfg, tmp_path / "g.pt")
    G2, cfg2 = gan.load_generator(path)
    assert cfg2 == cfg
    assert torch.equal(gan.generate(G, 10, seed=1), gan.generate(G2, 10, seed=1))
    assert torch.equal(gan.generate(G, 4, 1, labels=3), gan.generate(G, 4, 1, labels=torch.full((4,), 3)))
    assert not torch.equal(gan.generate(G, 4, 1, labels=3), gan.generate(G, 4, 1, labels=5))
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(UserError):
        gan.load_generator(tmp_path / "bad.pt")
    with pytest.raises(UserError):
        gan.load_generator(tmp_path / "missing.pt")


@pytest.mark.parametrize("dataset", gan.DATASETS)
def test_shipped_weights_load_small_and_diverse(dataset):
    path = gan.weights_path(dataset)
    assert path.stat().st_size < 5e6
    G, cfg = gan.load_generator(path)
    images = gan.generate(G, 64, seed=0)
    assert images.shape[-1] == gan.IMAGE_SIZE[dataset]
    # a trained generator is neither constant nor noise: diversity well above 0, below random pixels
    noise = torch.rand(64, 1, cfg.size, cfg.size)
    assert 0.2 * gan.diversity(noise) < gan.diversity(images) < gan.diversity(noise)


def test_synthetic_arms_each_train_on_their_own_data():
    data = digits()
    cG, _ = gan.build(gan.GANConfig(conditional=True))
    cfg = synthetic.SynthConfig(n_labelled=100, n_synthetic=200, epochs=2, n_val=100, batch_size=50)
    steps = list(synthetic.run_arms(data, cfg, cG))
    per_arm = {arm: [s.metrics for s in steps if s.arm == arm] for arm in synthetic.ARMS}
    assert all(per_arm[a] for a in synthetic.ARMS)
    # 100 labelled images → 2 batches per epoch; the GAN arm adds 200 generated ones → 6 batches
    assert per_arm["none"][-1].total_steps == 4 and per_arm["augment"][-1].total_steps == 4
    assert per_arm["gan"][-1].total_steps == 12
    curves = synthetic.curves(steps)
    assert set(curves) == set(synthetic.ARMS) and all(len(xs) == 2 for xs, _ in curves.values())
    summary = synthetic.summary(steps)
    assert all(0 <= v["best_val_acc"] <= 1 for v in summary.values())
    x, y = synthetic._subset(data.x_train, data.y_train, 100, 0)
    assert torch.bincount(y).tolist() == [10] * 10


def test_gan_arm_refuses_an_unconditional_generator():
    G, _ = gan.build(gan.GANConfig(conditional=False))
    with pytest.raises(UserError):
        list(synthetic.run_arms(digits(), synthetic.SynthConfig(n_labelled=50, epochs=1, arms=("gan",)), G))


def test_exported_script_reproduces_the_app_losses(tmp_path, digits_xy):
    import subprocess
    import sys

    cfg = gan.GANConfig(epochs=1, subset=640, batch_size=64, conditional=True)  # 10 steps
    code = gan.script(cfg)
    code = code.replace("if step % 100 == 0:", "if True:")
    (tmp_path / "train.py").write_text(code)
    out = subprocess.run([sys.executable, "train.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    printed = [float(line.split()[3]) for line in out.stdout.splitlines()]
    G, D = gan.build(cfg)
    app = [s.d_loss for s in gan.train(G, D, *digits_xy, cfg)]
    assert len(printed) == len(app) == 10
    assert printed == pytest.approx(app, abs=1e-4)
    assert (tmp_path / "samples.png").stat().st_size > 0


def test_training_on_byte_images_matches_training_on_floats(digits_xy):
    """gan.train maps a batch to [-1, 1] as it takes it: images held as bytes (core.data.Pixels, Fashion-MNIST's
    form) train exactly as the same images as floats."""
    from core.data import Pixels

    x, y = digits_xy
    u8 = (x * 255).round().to(torch.uint8)
    cfg = gan.GANConfig(epochs=1, subset=256)
    runs = []
    for images in (Pixels(u8), u8.float() / 255.0):
        G, D = gan.build(cfg)
        runs.append([(s.d_loss, s.g_loss) for s in gan.train(G, D, images, y, cfg)])
    assert runs[0] == runs[1] and len(runs[0]) == 256 // cfg.batch_size
