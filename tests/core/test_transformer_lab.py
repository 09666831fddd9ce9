"""Attention weights and sampling filters on the shipped models."""
import pytest

from core import transformer_lab as TL
from core.assets import Registry
from core.config import Settings
from core.errors import UserError
from core.llm.local import load_local

S = Settings.load()
REG = Registry(S.cache_dir)


def test_attention_shapes_and_rows_sum_to_one():
    model, tok = TL.load_encoder(str(REG.path("minilm").parent))
    tokens, w = TL.attention(model, tok, "The cat sat on the mat.")
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert tuple(w.shape) == (6, 12, len(tokens), len(tokens))
    assert abs(float(w.sum(-1).mean()) - 1) < 1e-5
    with pytest.raises(UserError):
        TL.attention(model, tok, "  ")


@pytest.fixture(scope="module")
def smol():
    return load_local("smollm2-135m", REG, S.cache_dir)


def test_top_k_and_top_p_filters(smol):
    lm, tok = smol
    assert sum(d.kept for d in TL.next_token_distribution(lm, tok, "Name a colour.", 1.0, top_k=3)) == 3
    dist = TL.next_token_distribution(lm, tok, "Name a colour.", 1.0, top_p=0.3, show=200)
    kept = [d.prob for d in dist if d.kept]
    assert sum(kept) >= 0.3 and sum(kept) - kept[-1] < 0.3  # the smallest set reaching p
    assert all(d.kept == (i < len(kept)) for i, d in enumerate(dist))  # kept tokens are the most likely ones


def test_temperature_sharpens_and_flattens(smol):
    lm, tok = smol
    top = [TL.next_token_distribution(lm, tok, "Name a colour.", t)[0].prob for t in (0.5, 1.0, 1.5)]
    assert top[0] > top[1] > top[2]
    raw = TL.next_token_distribution(lm, tok, "Name a colour.", 1.0)[0]
    assert abs(raw.prob - raw.raw) < 1e-6
    with pytest.raises(UserError):
        TL.next_token_distribution(lm, tok, "hi", temperature=0)
