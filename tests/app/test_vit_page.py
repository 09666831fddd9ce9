"""The ViT page in AppTest on digits: the ViT and the same-size CNN train (well above chance), the comparison chart
holds both models' validation curves, and the attention views are the trained model's."""
import numpy as np

from core import vit
from core.data import digits
from tests.app.conftest import array, figures, run_job
from ui.strings import KO

TEST = digits()


def test_vit_trains_on_digits_and_shows_attention_and_the_cnn_comparison(open_page):
    at = open_page("app_pages/07_vit.py")
    at.selectbox(key="vit.ds").set_value("digits").run()
    assert at.selectbox(key="vit.patch.8").value == 4
    run_job(at, "vit.train", "vit.job")
    result = at.session_state["vit.result"]
    model, cnn = result["models"]["vit"], result["models"]["cnn"]
    assert result["test"]["vit"] > 0.5 and result["test"]["cnn"] > 0.5  # chance is 0.1
    n_vit, n_cnn = (sum(p.numel() for p in m.parameters()) for m in (model, cnn))
    assert abs(n_cnn - n_vit) / n_vit < 0.3  # a fair, same-size CNN
    shown = {m.label: m.value for m in at.metric}
    assert shown[KO["vit.test_acc"].format(model=KO["vit.model.vit"])] == f"{result['test']['vit']:.3f}"

    figs = {f["layout"]["title"]["text"]: f for f in figures(at) if f["layout"].get("title")}
    compare = figs[KO["vit.compare_chart"]]
    curves = {trace["name"]: array(trace["y"]) for trace in compare["data"]}
    assert set(curves) == {KO["vit.model.vit"], KO["vit.model.cnn"]}
    assert list(curves[KO["vit.model.vit"]]) == [a for _, a in result["history"]["vit"]]

    attn = figs[KO["vit.attn_title"].format(layer=len(model.blocks))]  # the last layer by default
    heads = [array(trace["z"]).reshape(model.grid) for trace in attn["data"]]
    expected = vit.cls_attention(vit.attention_maps(model, TEST.x_test[0]), model.grid)[-1]
    assert len(heads) == expected.shape[0]
    np.testing.assert_allclose(np.stack(heads), expected.numpy(), atol=1e-5)  # the trained model's own attention
    assert all(0 < h.sum() <= 1 + 1e-5 for h in heads)  # [CLS]'s attention over patches (the rest is on itself)
    rollout = [c for img in at.image for c in img.captions if c.endswith(("✓", "✗"))]
    assert len(rollout) == 8
    assert sum(c.endswith("✓") for c in rollout) >= 4  # the trained ViT gets most of them right
