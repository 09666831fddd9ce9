"""Process-wide resources, created once per server process with st.cache_resource.

Big models use `heavy_resource` instead: in light mode (a small cloud box) only the models of the page being shown
stay in memory."""
from __future__ import annotations

import functools
import gc

import streamlit as st

from core.config import Settings
from core.procs import lean_heap, trim_heap


def _secrets() -> dict:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml: perfectly normal on a student laptop
        return {}


_HEAVY: dict[str, object] = {}  # "file:qualname" -> the st.cache_resource function of each big-model loader
_LOADED: dict[tuple, None] = {}  # (loader key, args, kwargs) of every big model now in a cache
_IN_RUN = "_heavy_in_run"  # session key: the entries the session's current run has used
_PAGE = "_heavy_page"  # session key: the page of the session's last full run


def heavy_resource(**cache_args):
    """`st.cache_resource` for a big model (an LLM, an embedder, whisper): the one place to register one. In light
    mode, loading one first drops every other big model that this session's current run does not use (their caches'
    `clear`) and hands the memory back to the OS: a small box holds one page's models at a time. Normal mode: a
    plain cache."""
    def wrap(fn):
        key = f"{fn.__code__.co_filename}:{fn.__qualname__}"  # page scripts all run as __main__

        @functools.wraps(fn)  # the cache keys on fn's name and source, so each loader keeps its own cache
        def load(*args, **kwargs):
            if settings().light:
                _free_all_but(_in_run())
            _LOADED[(key, args, tuple(kwargs.items()))] = None
            return fn(*args, **kwargs)

        cached = _HEAVY[key] = st.cache_resource(show_spinner=False, on_release=_release, **cache_args)(load)

        @functools.wraps(fn)
        def use(*args, **kwargs):
            _in_run().add((key, args, tuple(kwargs.items())))
            return cached(*args, **kwargs)

        use.clear = cached.clear
        return use

    return wrap


def new_run(page: str) -> None:
    """The router calls this before every full run: the big models used from here on are this page's own. In light
    mode, opening another page also drops the last page's big models and trims the heap, so a page that loads none
    through `heavy_resource` (a training run) does not sit on top of them."""
    if settings().light and st.session_state.get(_PAGE) not in (None, page):
        from core import text

        text.kiwi.cache_clear()  # the Korean analyser (~0.5 GB) of word2vec and RAG: the next user loads it again
        _free_all_but(set())
    st.session_state[_PAGE] = page
    st.session_state[_IN_RUN] = set()


def _in_run() -> set:
    from streamlit.runtime.scriptrunner import get_script_run_ctx  # as in Streamlit's multithreading guide

    if get_script_run_ctx() is None:  # a worker thread (a training job): it has no run, and keeps nothing for itself
        return set()
    return st.session_state.setdefault(_IN_RUN, set())


def _release(value) -> None:
    """A CTranslate2 engine's worker thread keeps its provider alive after the cache lets go (light mode's drop, or
    `max_entries` pushing out the oldest): stop it (`close`), so the engine's memory is freed. A run elsewhere that
    still holds it gets its answer all the same: a closed engine loads again when asked (core.llm.ct2)."""
    if callable(getattr(value, "close", None)):
        value.close()


def _free_all_but(keep: set) -> None:
    for entry in [e for e in _LOADED if e not in keep]:
        key, args, kwargs = entry
        _HEAVY[key].clear(*args, **dict(kwargs))
        _LOADED.pop(entry, None)
    gc.collect()
    trim_heap()  # glibc keeps freed heap pages for reuse; this returns them to the OS


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    s = Settings.load(secrets=_secrets())
    s.apply_env()
    if s.light:  # a small box: freed models go back to the OS (measured in bench/memory.py)
        lean_heap()
    return s


@st.cache_resource(show_spinner=False)
def asset_registry():
    from core.assets import Registry

    return Registry(settings().cache_dir)


@heavy_resource()
def embedder(name: str):
    """Offline embedders, one per process. Online ones are built per call with the user's key."""
    from core.embeddings import make_embedder

    return make_embedder(name, asset_registry())


@st.cache_resource(show_spinner=False)
def fashion_mnist():
    """Fashion-MNIST as tensors (~220 MB), one copy per process for every page that uses it. Not a heavy resource:
    sessions keep views of it (a trained model's data), so dropping it would only load a second copy."""
    from core.data import fashion_mnist as load

    return load(asset_registry().path("fashion_mnist").parent.parent, settings().online)


@st.cache_resource(show_spinner=False)
def vector_store():
    from core.vectordb import VectorStore

    return VectorStore(settings().cache_dir / "chroma", url=settings().chroma_url)


@st.cache_resource(show_spinner=False)
def answer_cache():
    from core.rag import AnswerCache

    return AnswerCache(settings().cache_dir / "llm_cache.sqlite")


@heavy_resource(max_entries=2)
def local_llm(model: str):
    """The generation engine of a local model, one per process: CTranslate2 int8 (converted once, ~30–60 s; then
    loaded in about a second), or torch when COURSE_LLM_ENGINE=torch. Its `.lm` is the torch model, loaded only
    when a page reads the model's insides. Light mode keeps no system prompt's state (static_cache_bytes)."""
    if settings().llm_engine == "torch":
        return torch_llm(model)
    from core.llm.ct2 import load_ct2

    return load_ct2(model, asset_registry(), settings().cache_dir, torch_loader=lambda: _torch_pair(model),
                    static_cache_bytes=_static_cache_bytes())


@heavy_resource(max_entries=1)
def lora_int8_llm(folder: str):
    """A merged LoRA model's CTranslate2 int8 copy (core.lora.merge_and_save with int8)."""
    from pathlib import Path

    from core.llm.ct2 import load_ct2

    return load_ct2(f"lora-{Path(folder).parent.name}", asset_registry(), settings().cache_dir, folder=Path(folder),
                    static_cache_bytes=_static_cache_bytes())


def _static_cache_bytes() -> int:
    """What an engine may keep of system prompts' model states: none in light mode. A kept state costs every
    attention head's keys and values (Text-to-SQL's schema, ~350 tokens: ~60 MB on the 0.5B model), and each batch
    that starts with it gets a copy; a small box reads the prompt again instead (bench/memory.py measures it)."""
    from core.llm.ct2 import STATIC_CACHE_BYTES

    return light_or(STATIC_CACHE_BYTES, 0)


def _torch_pair(model: str):
    provider = torch_llm(model)
    return provider.lm, provider.tok


@heavy_resource(max_entries=2)
def torch_llm(model: str):
    """The torch model (logits, attention, sampling internals; LoRA). The first load converts the GGUF (~15–40 s);
    later loads take about a second."""
    from core.llm.local import LocalProvider, load_local

    lm, tok = load_local(model, asset_registry(), settings().cache_dir)
    return LocalProvider(model, lm, tok)


def light_or(normal, light):
    """A default that is smaller in light mode (COURSE_LIGHT=1 or `light = true`: a small cloud box)."""
    return light if settings().light else normal
