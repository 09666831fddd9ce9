"""Inside-a-transformer page: the heatmap shows the weights MiniLM itself returns for the chosen layer/head or
the layer average; top-k keeps exactly k tokens; sampling generates three answers."""
import numpy as np
import pytest

from core.assets import Registry
from core.config import Settings
from tests.app.conftest import array, figures
from ui.strings import KO

SENTENCE = "The cat sat on the mat because it was tired."


@pytest.fixture(scope="module")
def reference_attention():
    """MiniLM's attentions computed here with plain transformers (layers × heads × T × T)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = str(Registry(Settings.load().cache_dir).path("minilm").parent)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, attn_implementation="eager").eval()
    with torch.no_grad():
        out = model(**tok(SENTENCE, return_tensors="pt"), output_attentions=True)
    return torch.stack(out.attentions)[:, 0].numpy()


def _heatmap(at):
    return next(array(f["data"][0]["z"]) for f in figures(at) if f["data"][0]["type"] == "heatmap")


def _kept_bars(at):
    dist = next(f for f in figures(at) if len(f["data"]) == 2 and f["data"][1].get("type") == "bar")
    return sum(c == "#EE4C2C" for c in dist["data"][1]["marker"]["color"])


def test_attention_heatmap_follows_layer_head_and_average(open_page, reference_attention):
    at = open_page("app_pages/07_transformer.py")
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="tf.att_text").input(SENTENCE)
    at.slider(key="tf.layer").set_value(2)
    at.slider(key="tf.head").set_value(4).run()
    np.testing.assert_allclose(_heatmap(at), reference_attention[1, 3], atol=1e-4)
    at.slider(key="tf.layer").set_value(6)
    at.toggle(key="tf.avg").set_value(True).run()
    np.testing.assert_allclose(_heatmap(at), reference_attention[5].mean(0), atol=1e-4)


def test_top_k_keeps_k_tokens_and_sampling_gives_three_answers(open_page):
    at = open_page("app_pages/07_transformer.py")
    assert _kept_bars(at) == 20  # top-k off, top-p 1: all twenty shown tokens can be sampled
    at.slider(key="tf.topk").set_value(2).run()
    assert _kept_bars(at) == 2
    assert KO["tf.sampling_note"].format(kept=2) in [c.value for c in at.caption]
    at.slider(key="tf.topk").set_value(0)
    at.slider(key="tf.topp").set_value(0.05).run()
    assert _kept_bars(at) == 1  # top-p 0.05: only the most likely token (it alone covers 5 %)
    at.button(key="tf.sample").click().run()
    assert not at.exception
    answers = [m.value for m in at.markdown if m.value.startswith("**seed")]
    assert len(answers) == 3 and all(a.split("·", 1)[1].strip() for a in answers)


def test_tokenizers_tab_shows_qwen_with_its_count_and_readable_bytes(open_page):
    from transformers import AutoTokenizer

    from core.text import QWEN_CACHE

    at = open_page("app_pages/07_transformer.py")
    sentence = "맛있어요 👍"
    at.text_input(key="tf.tok_text").input(sentence).run()
    assert not at.exception, [e.value for e in at.exception]
    # the reference: Qwen2.5's tokenizer loaded here from its cached files, counted without the page's code
    qwen = AutoTokenizer.from_pretrained(str(Settings.load().cache_dir / "models" / QWEN_CACHE))
    n = len(qwen(sentence, add_special_tokens=False)["input_ids"])
    shown = {m.label: m.value for m in at.metric}
    assert shown[KO["tf.tok.qwen"]] == f"{n} {KO['tf.tokens']}"
    assert set(shown) == {KO[f"tf.tok.{k}"] for k in ("minilm", "smollm2", "qwen", "e5")}
    text = " ".join(m.value for m in at.markdown)
    assert "\\<0x" in text  # SmolLM2 splits the emoji or Hangul into bytes, shown as <0x..>, never as '�'
    assert "�" not in text
