"""DNN and CNN pages in AppTest: a short digits run learns (well above chance) and the analysis on the page is
the trained model's: confusion matrix, confident mistakes, top-3 on an uploaded image, first-layer filters;
EfficientNet transfer learning trains only its new head."""
import io

import numpy as np
import pytest

from core.data import digits
from tests.app.conftest import array, figures, run_job
from ui.strings import KO

TEST = digits()  # the page's digits split: 360 test images


def _train(at, kind, epochs=3):
    at.selectbox(key=f"{kind}.ds").set_value("digits").run()
    at.slider(key=f"{kind}.subset.digits").set_value(1400)
    at.select_slider(key=f"{kind}.lr").set_value(3e-3)
    at.slider(key=f"{kind}.epochs").set_value(epochs)
    return run_job(at, f"{kind}.train", f"{kind}.job")


def _png(image) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((image[0].numpy() * 255).round().astype("uint8"), "L").save(buf, "PNG")
    return buf.getvalue()


def _top3(at):
    bars = [f["data"][0] for f in figures(at) if f["data"] and f["data"][0].get("orientation") == "h"
            and len(f["data"][0]["y"]) == 3]
    assert len(bars) == 1
    return list(bars[0]["y"]), array(bars[0]["x"])


@pytest.mark.parametrize("kind,page", [("dnn", "app_pages/03_dnn.py"), ("cnn", "app_pages/04_cnn.py")])
def test_digits_run_learns_and_the_page_analyses_the_trained_model(open_page, kind, page):
    at = open_page(page)
    job = _train(at, kind)
    assert [m.epoch for m in job.metrics if m.kind == "epoch"] == [1, 2, 3]
    acc = at.session_state[f"{kind}.run"].analysis.test_acc
    assert acc > 0.7  # chance is 0.1
    assert next(m.value for m in at.metric if m.label == KO["vis.test_acc"]) == f"{acc:.3f}"
    cm = next(array(f["data"][0]["z"]) for f in figures(at) if f["layout"]["title"]["text"] == KO["vis.confusion"])
    assert cm.shape == (10, 10) and cm.sum() == len(TEST.y_test) and np.trace(cm) == round(acc * len(TEST.y_test))
    mistakes = [c for img in at.image for c in img.captions if "✗" in c]
    assert len(mistakes) == min(16, len(TEST.y_test) - np.trace(cm))
    for caption in mistakes:  # "predicted ✗ (true)": a real mistake each
        pred, true = caption.split(" ✗ (")
        assert pred != true.rstrip(")")
    assert len(at.session_state[f"{kind}.runs"]) == 1  # the run is kept for comparison


def test_top3_follows_an_uploaded_image(open_page):
    at = open_page("app_pages/03_dnn.py")
    _train(at, "dnn")
    i = next(j for j in range(1, 50) if TEST.y_test[j] != TEST.y_test[0])
    at.file_uploader(key="dnn.try").set_value(("digit.png", _png(TEST.x_test[i]), "image/png")).run()
    assert not at.exception and not at.error
    uploaded = _top3(at)
    assert np.all(np.diff(uploaded[1]) <= 0) and uploaded[1].sum() <= 1 + 1e-6
    at.file_uploader(key="dnn.try").set_value(None)
    at.number_input(key="dnn.try_idx").set_value(i).run()
    by_index = _top3(at)
    assert uploaded[0] == by_index[0]  # the PNG of test image i is classified like test image i itself
    np.testing.assert_allclose(uploaded[1], by_index[1], atol=0.02)
    at.number_input(key="dnn.try_idx").set_value(0).run()
    assert _top3(at)[0] != uploaded[0]  # and not like image 0, the default


def test_cnn_shows_its_first_layer_filters(open_page):
    from torch import nn

    at = open_page("app_pages/04_cnn.py")
    _train(at, "cnn", epochs=1)
    model = at.session_state["cnn.run"].model
    first = next(m for m in model.modules() if isinstance(m, nn.Conv2d)).weight
    assert f"**{KO['vis.filters']}** `{tuple(first.shape)}`" in [m.value for m in at.markdown]
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    maps = [m.value for m in at.markdown if m.value.startswith("`") and "→" in m.value]
    assert len(maps) >= len(convs)  # a feature-map row per conv layer at least
    sizes = [len(img.value) for img in at.image]
    assert min(32, first.shape[0]) in sizes  # one picture per filter


def _colour_zip(per_class: int = 75) -> bytes:
    """Your own images, Teachable-Machine style: one folder per class (red and blue squares with some noise)."""
    import zipfile

    from PIL import Image

    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, rgb in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
            for i in range(per_class):
                pixels = np.clip(np.array(rgb) + rng.normal(0, 20, (32, 32, 3)), 0, 255).astype("uint8")
                png = io.BytesIO()
                Image.fromarray(pixels, "RGB").save(png, "PNG")
                z.writestr(f"{name}/{i}.png", png.getvalue())
    return buf.getvalue()


def test_efficientnet_transfer_learning_trains_only_the_new_head(open_page):
    import torch

    from core.assets import Registry
    from core.config import Settings

    at = open_page("app_pages/04_cnn.py")
    at.selectbox(key="cnn.ds").set_value("upload").run()
    at.file_uploader(key="cnn.zip").set_value(("mine.zip", _colour_zip(), "application/zip")).run()
    at.selectbox(key="cnn.arch").set_value("efficientnet").run()
    assert not at.exception, [e.value for e in at.exception]
    head = 1280 * 2 + 2  # the new 2-class Linear head on EfficientNet-Lite0's 1280 features
    assert any(f"{head:,}개" in c.value for c in at.caption), [c.value for c in at.caption]
    at.slider(key="cnn.epochs").set_value(1)
    run_job(at, "cnn.train", "cnn.job")
    trained = at.session_state["cnn.run"].model.state_dict()
    imagenet = torch.load(Registry(Settings.load().cache_dir).path("efficientnet_lite0"), weights_only=True)
    # a frozen batch norm (FrozenBatchNorm2d) counts no batches: it has every ImageNet tensor but that counter
    backbone = [k for k in imagenet if not k.startswith("_fc") and not k.endswith("num_batches_tracked")]
    prefix = next(k for k in trained if k.endswith(backbone[0]))[: -len(backbone[0])]  # a wrapper may prefix keys
    # frozen: ImageNet weights and batch-norm statistics intact
    assert all(torch.equal(trained[prefix + k], imagenet[k]) for k in backbone)
    assert trained[prefix + "_fc.weight"].shape == (2, 1280)
    assert at.metric  # the trained model was analysed on the page


def test_efficientnet_on_tiny_digits_is_explained_not_a_traceback(open_page):
    at = open_page("app_pages/04_cnn.py")
    at.selectbox(key="cnn.ds").set_value("digits").run()
    at.selectbox(key="cnn.arch").set_value("efficientnet").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("EfficientNet" in e.value and "32" in e.value for e in at.error)


def test_small_zip_of_own_images_is_accepted(open_page):
    at = open_page("app_pages/04_cnn.py")
    at.selectbox(key="cnn.ds").set_value("upload").run()
    at.file_uploader(key="cnn.zip").set_value(("mine.zip", _colour_zip(12), "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == KO["vis.subset"] for m in at.metric)  # all the photos are used: no slider to pick from
