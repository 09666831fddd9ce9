"""Transformer internals for the day-7 page: how tokenizers split text, what attention heads look at, and how
temperature / top-k / top-p reshape the next-token distribution."""
from __future__ import annotations

from dataclasses import dataclass

from core.errors import UserError


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
