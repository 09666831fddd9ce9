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


@pytest.fixture(scope="module")
def qwen_tok():
    from core.text import load_qwen_subword

    return load_qwen_subword(REG, S.cache_dir).hf


def test_byte_level_tokens_get_readable_forms_and_character_spans(smol, qwen_tok):
    text = "배송이 빠르고 good"
    for tok in (smol[1], qwen_tok):
        assert TL.is_byte_level(tok)
        pieces = TL.token_pieces(tok, text)
        assert not any(c in p.readable for p in pieces for c in "ëìĠ�")
        for p in pieces:
            a, b = p.span
            if not p.partial:  # a whole token reads as exactly the characters it covers
                assert p.readable.strip() == text[a:b].strip()
        # the partial pieces of one character together carry its UTF-8 bytes
        for ch in {text[p.span[1] - 1] for p in pieces if p.partial}:
            hexes = "".join(p.readable.strip() for p in pieces if p.partial and text[p.span[1] - 1] == ch)
            assert hexes == "".join(f"<0x{b:02X}>" for b in ch.encode())
    assert sum(p.partial for p in TL.token_pieces(smol[1], text)) > sum(p.partial for p in TL.token_pieces(
        qwen_tok, text))  # SmolLM2's English-centric vocabulary splits more Korean into bytes


def test_korean_capable_tokenizers_need_fewer_tokens(smol, qwen_tok):
    minilm = TL.load_encoder(str(REG.path("minilm").parent))[1]
    assert not TL.is_byte_level(minilm)
    text = "배송이 빠르고 포장도 꼼꼼해요"
    counts = TL.token_counts(text, {"minilm": minilm, "smollm2": smol[1], "qwen": qwen_tok, "e5": None})
    assert counts["minilm"] == len(TL.token_pieces(minilm, text)) and counts["qwen"] < counts["smollm2"]
    assert 3 <= counts["e5"] < counts["smollm2"]
    with pytest.raises(UserError):
        TL.token_counts(" ", {"e5": None})


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
