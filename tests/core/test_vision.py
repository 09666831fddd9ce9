"""The shared training loop and the vision helpers, with no Streamlit: real training on small real data."""
import io
import re
import subprocess
import sys
import threading
import zipfile

import pytest
import torch

from core import data as D
from core import vision as V
from core.errors import UserError
from core.train import TrainConfig, fit


@pytest.fixture(scope="module")
def digits():
    return D.digits()


def _spec(**kw):
    model = kw.pop("model", V.ModelSpec("mlp", (64,)))
    train = kw.pop("train", TrainConfig(epochs=2, lr=3e-3))
    return V.RunSpec(dataset="digits", subset=kw.pop("subset", 800), batch_size=32, model=model, train=train, **kw)


def test_fit_reduces_loss_and_learns(digits):
    spec = _spec(train=TrainConfig(epochs=5, lr=3e-3))
    model, tl, vl, _ = V.setup(spec, digits)
    epochs = [m for m in fit(model, tl, vl, spec.train) if m.kind == "epoch"]
    assert epochs[-1].loss < epochs[0].loss * 0.6
    assert epochs[-1].val_acc > 0.8
    a = V.analyse(model, digits.x_test, digits.y_test, 10)
    assert a.test_acc > 0.8 and sum(map(sum, a.confusion)) == len(digits.x_test)


def test_stop_event_ends_within_one_step_and_keeps_the_model(digits):
    spec = _spec(train=TrainConfig(epochs=50, lr=3e-3))
    model, tl, vl, _ = V.setup(spec, digits)
    before = [p.detach().clone() for p in model.parameters()]
    stop = threading.Event()
    records = []
    for m in fit(model, tl, vl, spec.train, stop):
        records.append(m)
        if m.step == 5 and m.kind == "step":
            stop.set()
    steps = [m for m in records if m.kind == "step"]
    assert steps[-1].step == 5 and records[-1].stopped  # no sixth step ran
    assert any(not torch.equal(b, p) for b, p in zip(before, model.parameters()))  # trained weights kept


def test_same_seed_same_first_epoch_loss(digits):
    def first_epoch(seed):
        spec = _spec(train=TrainConfig(epochs=1, lr=3e-3, seed=seed), model=V.ModelSpec("mlp", (64,), dropout=0.3))
        model, tl, vl, _ = V.setup(spec, digits)
        return next(m.loss for m in fit(model, tl, vl, spec.train) if m.kind == "epoch")

    assert first_epoch(3) == first_epoch(3)
    assert first_epoch(3) != first_epoch(4)


def test_early_stopping_stops(digits):
    spec = _spec(train=TrainConfig(epochs=30, lr=0.3, optimizer="sgd", patience=1))
    model, tl, vl, _ = V.setup(spec, digits)
    epochs = [m for m in fit(model, tl, vl, spec.train) if m.kind == "epoch"]
    assert len(epochs) < 30 and epochs[-1].stopped


@pytest.mark.parametrize("arch,augment", [("lenet", ("flip",)), ("mlp", ())])
def test_exported_script_matches_first_epoch_loss(tmp_path, digits, arch, augment):
    spec = _spec(model=V.ModelSpec(arch, (32,), dropout=0.2), augment=augment,
                 train=TrainConfig(epochs=1, lr=3e-3, seed=5))
    model, tl, vl, _ = V.setup(spec, digits)
    page_loss = next(m.loss for m in fit(model, tl, vl, spec.train) if m.kind == "epoch")
    path = tmp_path / "train.py"
    path.write_text(V.script(spec))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert re.search(r"epoch 1 train_loss (\S+)", out.stdout).group(1) == f"{page_loss:.6f}"


def test_feature_map_shapes_match_layers():
    from core.models.vision import LeNet5, SmallResNet

    maps = V.feature_maps(LeNet5((1, 28, 28)), torch.rand(1, 28, 28))
    assert [(n, tuple(m.shape)) for n, m in maps] == [("features.0", (6, 28, 28)), ("features.3", (16, 14, 14))]
    res = dict(V.feature_maps(SmallResNet((3, 32, 32), width=8), torch.rand(3, 32, 32)))
    assert tuple(res["layer3.conv2"].shape) == (32, 8, 8)


def test_layer_table_and_param_counts():
    model = V.build_model(V.ModelSpec("mlp", (16,)), (1, 8, 8), 10)
    rows = V.layer_table(model, (1, 8, 8))
    assert [r["output"] for r in rows if r["type"] == "Linear"] == ["(16,)", "(10,)"]
    assert V.param_counts(model) == (64 * 16 + 16 + 16 * 10 + 10,) * 2


def test_transfer_learning_freezes_backbone_and_trains_head():
    from core.assets import Registry
    from core.config import Settings

    weights = str(Registry(Settings.load().cache_dir).path("efficientnet_lite0"))
    model = V.build_model(V.ModelSpec("efficientnet"), (3, 32, 32), 2, weights)
    total, trainable = V.param_counts(model)
    assert trainable == 1280 * 2 + 2 and total > 3_000_000
    tuned = V.build_model(V.ModelSpec("efficientnet", finetune_blocks=2), (3, 32, 32), 2, weights)
    assert V.param_counts(tuned)[1] > trainable
    torch.manual_seed(0)
    y = torch.tensor([0, 1] * 4)
    x = torch.rand(8, 3, 32, 32) * 0.5 + 0.5 * y.view(-1, 1, 1, 1)  # class 1 is brighter: something to learn
    loader = [(x, y)] * 3
    stats = {n: b.clone() for n, b in model.named_buffers() if n.endswith("running_mean")}
    records = [m for m in fit(model, loader, None, TrainConfig(epochs=3, lr=1e-2)) if m.kind == "epoch"]
    assert records[-1].loss < records[0].loss
    # the frozen backbone keeps its ImageNet batch-norm statistics; in the unfrozen blocks they follow the new data
    assert all(torch.equal(b, stats[n]) for n, b in model.named_buffers() if n in stats)
    tuned_stats = {n: b.clone() for n, b in tuned.named_buffers() if n.endswith("running_mean")}
    list(fit(tuned, loader, None, TrainConfig(epochs=1, lr=1e-2)))
    moved = {n.split(".")[1] for n, b in tuned.named_buffers()
             if n in tuned_stats and not torch.equal(b, tuned_stats[n])}
    assert moved == {str(len(tuned._blocks) - 2), str(len(tuned._blocks) - 1)}


def test_state_dict_roundtrip_and_wrong_architecture():
    a = V.build_model(V.ModelSpec("mlp", (16,)), (1, 8, 8), 10)
    b = V.build_model(V.ModelSpec("mlp", (16,)), (1, 8, 8), 10)
    V.load_state_dict_bytes(b, V.state_dict_bytes(a))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    other = V.build_model(V.ModelSpec("lenet"), (1, 8, 8), 10)
    before = [p.clone() for p in b.parameters()]
    with pytest.raises(UserError) as info:
        V.load_state_dict_bytes(b, V.state_dict_bytes(other))
    assert info.value.key == "vision.wrong_arch"
    assert all(torch.equal(p, q) for p, q in zip(before, b.parameters()))  # untouched
    with pytest.raises(UserError):
        V.load_state_dict_bytes(b, b"not a torch file")


def _png(colour=(255, 0, 0), size=(40, 30), mode="RGB") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new(mode, size, colour if mode == "RGB" else 128).save(buf, "PNG")
    return buf.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_upload_converts_and_lists_bad_files():
    files = {f"cats/{i}.png": _png((200, 50, 50)) for i in range(5)}
    files |= {f"dogs/{i}.png": _png(size=(64, 64), mode="L") for i in range(5)}  # grey, other size: converted
    files |= {"dogs/broken.jpg": b"not really a jpeg", "notes.txt": b"hi", "cats/readme.md": b"x"}
    data = D.image_zip(_zip(files), size=32, channels=3)
    assert data.classes == ["cats", "dogs"] and data.shape == (3, 32, 32)
    assert len(data.x_train) + len(data.x_test) == 10
    skipped = dict(data.skipped)
    assert set(skipped) == {"dogs/broken.jpg", "notes.txt", "cats/readme.md"}


@pytest.mark.parametrize("payload,key", [
    (b"", "data.zip_empty"),
    (b"PK-not-a-zip", "data.zip_bad"),
    (_zip({"a.png": _png(), "b.png": _png()}), "data.zip_classes"),
    (_zip({"cats/a.png": _png(), "cats/b.png": _png()}), "data.zip_classes"),
    (_zip({"cats/a.png": _png(), "dogs/x.png": b"corrupt"}), "data.zip_empty_class"),
])
def test_zip_validation(payload, key):
    with pytest.raises(UserError) as info:
        D.image_zip(payload)
    assert info.value.key == key


def test_huge_zip_refused(monkeypatch):
    monkeypatch.setattr(D, "MAX_ZIP_BYTES", 100)
    with pytest.raises(UserError) as info:
        D.image_zip(b"x" * 101)
    assert info.value.key == "data.zip_too_big"


def test_cifar_offline_says_so(tmp_path):
    with pytest.raises(UserError) as info:
        D.cifar10(tmp_path, online=False)
    assert info.value.key == "data.cifar_offline"


def test_a_frozen_backbone_keeps_its_batch_norm_statistics_whoever_calls_train():
    """Frozen means eval-mode batch norms in the backbone: also through a plain `model.train()` (a hand-written
    loop, the exported script) and through the layer table, which restores the mode it found."""
    from core.assets import Registry
    from core.config import Settings

    weights = str(Registry(Settings.load().cache_dir).path("efficientnet_lite0"))
    model = V.build_model(V.ModelSpec("efficientnet", finetune_blocks=1), (3, 32, 32), 2, weights)
    stats = {n: b.clone() for n, b in model.named_buffers() if n.endswith("running_mean")}
    model.train()
    V.layer_table(model, (3, 32, 32))
    x = torch.rand(8, 3, 32, 32)
    loss = torch.nn.functional.cross_entropy(model(x), torch.tensor([0, 1] * 4))
    loss.backward()
    moved = {n.split(".")[1] for n, b in model.named_buffers() if n in stats and not torch.equal(b, stats[n])}
    assert moved == {str(len(model._blocks) - 1)}  # only the unfrozen last block follows the new data
    # and the frozen stem normalises with the ImageNet statistics in training mode too
    stem = torch.nn.Sequential(model._conv_stem, model._bn0)
    with torch.no_grad():
        train_out = stem(x)
        model.eval()
        assert torch.allclose(train_out, stem(x))


@pytest.mark.parametrize("text,hidden", [("256,128", (256, 128)), (" 64 , 32, ", (64, 32)), ("4096", (4096,))])
def test_hidden_layer_sizes_are_parsed(text, hidden):
    assert V.parse_hidden(text) == hidden


@pytest.mark.parametrize("text", ["", ",", "a,b", "0", "4097", "1.5", "-3", ",".join(["8"] * 9)])
def test_bad_hidden_layer_sizes_are_refused(text):
    with pytest.raises(UserError) as info:
        V.parse_hidden(text)
    assert info.value.key == "vis.bad_hidden"


@pytest.fixture(scope="module")
def fashion():
    from core.assets import Registry
    from core.config import Settings

    return Registry(Settings.load().cache_dir).path("fashion_mnist").parent.parent


def test_fashion_mnist_held_as_bytes_gives_the_float_batches(fashion):
    """Fashion-MNIST keeps uint8 pixels (a quarter of float32's memory) and hands out exactly the float images
    torchvision's `data.float() / 255` gives: single images, slices, index batches, the subset split, loader batches,
    the runs' data hash."""
    from torchvision.datasets import FashionMNIST

    from core.runs import data_hash

    data = D.fashion_mnist(fashion)
    ref = FashionMNIST(str(fashion), train=True).data.unsqueeze(1).float() / 255.0
    assert isinstance(data.x_train, D.Pixels) and data.x_train.u8.dtype == torch.uint8
    assert data.x_train.u8.nbytes * 4 == ref.nbytes and len(data.x_train) == 60_000 and data.shape == (1, 28, 28)
    idx = torch.randperm(60_000, generator=torch.Generator().manual_seed(1))[:300]
    assert torch.equal(data.x_train[idx], ref[idx]) and data.x_train[idx].dtype == torch.float32
    assert torch.equal(data.x_train[7], ref[7]) and torch.equal(data.x_train[100:164], ref[100:164])
    dense = D.ImageData("f", data.classes, ref, data.y_train, data.x_test[:], data.y_test)
    a, b = D.subset_split(data, 2000, 0.1, 3), D.subset_split(dense, 2000, 0.1, 3)
    assert all(torch.equal(getattr(a, f), getattr(b, f)) for f in ("x_train", "y_train", "x_val", "y_val"))
    (la, _), (lb, _) = D.loaders(a, 64, 5), D.loaders(b, 64, 5)
    assert all(torch.equal(xa, xb) and torch.equal(ya, yb) for (xa, ya), (xb, yb) in zip(la, lb))
    assert data_hash(data.x_train, data.y_train) == data_hash(ref, data.y_train)
    assert data_hash(data.x_train) != data_hash(D.Pixels(data.x_train.u8.flip(0)))
