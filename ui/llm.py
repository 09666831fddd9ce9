"""Choosing an LLM provider: the shipped local models by default, OpenAI / Gemini with a key, or any
OpenAI-compatible server by base URL. Shared by the RAG, chat and prompt-lab pages."""
from __future__ import annotations

import streamlit as st

from core.catalog import CHAT_MODEL, LOCAL_MODELS, SMALL_MODEL
from core.errors import UserError
from ui.i18n import t
from ui.resources import local_llm, lora_int8_llm, settings, torch_llm
from ui.widgets import api_key_field, show_user_error

PROVIDERS = (*LOCAL_MODELS, "openai", "gemini", "compat")


# pickers whose page reads the torch model itself (the agent's constrained decoding: provider.lm), not only the
# CTranslate2 engine's text
TORCH_PICKERS = {"agent"}


def default_provider(key: str = "") -> str:
    """The class server when one is configured (COURSE_LLM_BASE_URL); otherwise the 0.5B model, whose Korean is
    better: in CTranslate2 int8 (~0.6 GB of weights) even light mode holds it; light mode takes the small model
    where the 0.5B one would run in torch fp32 (~1.9 GB): the torch engine, or a page that needs the torch model."""
    s = settings()
    if s.llm_base_url:
        return "compat"
    in_torch = s.llm_engine == "torch" or key in TORCH_PICKERS
    return SMALL_MODEL if s.light and in_torch else CHAT_MODEL


def engine(model: str, key: str = ""):
    """A local model's provider: the CTranslate2 engine, except where a page reads the torch model itself in light
    mode: there the torch provider generates too, so the page holds one copy of the model, not an int8 engine
    beside the fp32 weights (the agent page: ~0.2 GB less on a small box)."""
    if settings().light and key in TORCH_PICKERS:
        return torch_llm(model)
    return local_llm(model)


def provider_picker(key: str, default: str | None = None):
    """Widgets for the provider; returns a ready provider, or None with the reason shown."""
    from core.llm.remote import GeminiProvider, OpenAICompatible
    from core.lora import merged_int8_models

    default = default or default_provider(key)
    merged = merged_int8_models(settings().cache_dir)  # LoRA page: merge → convert → here
    options = (*LOCAL_MODELS, "lora_int8", *PROVIDERS[len(LOCAL_MODELS):]) if merged else PROVIDERS
    choice = st.selectbox(t("llm.provider"), options, index=options.index(default),
                          format_func=lambda p: t(f"llm.p.{p}"), key=f"{key}.provider")
    try:
        if choice == "lora_int8":
            folder = st.selectbox(t("llm.lora_run"), merged, format_func=lambda p: p.parent.name,
                                  key=f"{key}.lora_run")
            with st.spinner(t("llm.loading", model=folder.parent.name)):
                return lora_int8_llm(str(folder))
        if choice in LOCAL_MODELS:
            with st.spinner(t("llm.loading", model=choice)):
                provider = engine(choice, key)
            st.caption(t("llm.small_hint"))
            return provider
        if choice == "openai":
            api_key = api_key_field("OPENAI_API_KEY", t("llm.openai_key"))
            model = st.text_input(t("llm.model"), "gpt-4o-mini", key=f"{key}.oai_model")
            return OpenAICompatible(api_key, model) if api_key else _need_key("OpenAI")
        if choice == "gemini":
            api_key = api_key_field("GEMINI_API_KEY", t("llm.gemini_key"))
            model = st.text_input(t("llm.model"), "gemini-2.0-flash", key=f"{key}.gem_model")
            return GeminiProvider(api_key, model) if api_key else _need_key("Gemini")
        s = settings()
        base_url = st.text_input(t("llm.base_url"), s.llm_base_url or "http://127.0.0.1:8000/v1",
                                 key=f"{key}.base_url", help=t("llm.base_url_help"))
        model = st.text_input(t("llm.model"), s.llm_model or "course-local", key=f"{key}.compat_model")
        # a configured key is used, never sent to the browser as the field's value
        api_key = st.text_input(t("llm.compat_key"), type="password", key=f"{key}.compat_key")
        if not api_key and s.api_keys.get("COURSE_LLM_API_KEY"):
            st.caption(t("llm.key_from_settings"))
        return OpenAICompatible(api_key or s.api_keys.get("COURSE_LLM_API_KEY"), model, base_url=base_url,
                                name="compat")
    except UserError as exc:  # a missing model (AssetError) too
        show_user_error(exc)
    return None


def _need_key(name: str):
    st.info(t("llm.need_key", provider=name))
    return None
