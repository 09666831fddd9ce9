"""Process-wide resources, created once per server process with st.cache_resource."""
from __future__ import annotations

import streamlit as st

from core.config import Settings


def _secrets() -> dict:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml: perfectly normal on a student laptop
        return {}


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    s = Settings.load(secrets=_secrets())
    s.apply_env()
    return s


@st.cache_resource(show_spinner=False)
def asset_registry():
    from core.assets import Registry

    return Registry(settings().cache_dir)


@st.cache_resource(show_spinner=False)
def embedder(name: str):
    """Offline embedders, one per process. Online ones are built per call with the user's key."""
    from core.embeddings import make_embedder

    return make_embedder(name, asset_registry())


@st.cache_resource(show_spinner=False)
def vector_store():
    from core.vectordb import VectorStore

    return VectorStore(settings().cache_dir / "chroma", url=settings().chroma_url)


@st.cache_resource(show_spinner=False)
def answer_cache():
    from core.rag import AnswerCache

    return AnswerCache(settings().cache_dir / "llm_cache.sqlite")


@st.cache_resource(show_spinner=False, max_entries=2)
def local_llm(model: str):
    """The generation engine of a local model, one per process: CTranslate2 int8 (converted once, ~30–60 s; then
    loaded in about a second), or torch when COURSE_LLM_ENGINE=torch. Its `.lm` is the torch model, loaded only
    when a page reads the model's insides."""
    if settings().llm_engine == "torch":
        return torch_llm(model)
    from core.llm.ct2 import load_ct2

    return load_ct2(model, asset_registry(), settings().cache_dir, torch_loader=lambda: _torch_pair(model))


@st.cache_resource(show_spinner=False, max_entries=1)
def lora_int8_llm(folder: str):
    """A merged LoRA model's CTranslate2 int8 copy (core.lora.merge_and_save with int8)."""
    from pathlib import Path

    from core.llm.ct2 import load_ct2

    return load_ct2(f"lora-{Path(folder).parent.name}", asset_registry(), settings().cache_dir, folder=Path(folder))


def _torch_pair(model: str):
    provider = torch_llm(model)
    return provider.lm, provider.tok


@st.cache_resource(show_spinner=False, max_entries=2)
def torch_llm(model: str):
    """The torch model (logits, attention, sampling internals; LoRA). The first load converts the GGUF (~15–40 s);
    later loads take about a second."""
    from core.llm.local import LocalProvider, load_local

    lm, tok = load_local(model, asset_registry(), settings().cache_dir)
    return LocalProvider(model, lm, tok)


def light_or(normal, light):
    """A default that is smaller in light mode (COURSE_LIGHT=1 or `light = true`: a small cloud box)."""
    return light if settings().light else normal
