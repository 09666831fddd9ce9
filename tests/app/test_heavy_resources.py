"""Light mode holds one page's big models at a time (ui.resources.heavy_resource); normal mode keeps them all."""
import pytest
from streamlit.testing.v1 import AppTest

from ui.resources import settings


def _page():
    """A page with two cheap 'big models': each load returns a new token, so a reload shows as a new token."""
    import uuid

    import streamlit as st

    from ui.resources import heavy_resource, new_run

    class Engine(str):  # a token that, like a CTranslate2 provider, has a worker to stop with close()
        closed = False

        def close(self):
            self.closed = True

    @heavy_resource()
    def model_a():
        return Engine(uuid.uuid4().hex)

    @heavy_resource()
    def model_b():
        return uuid.uuid4().hex

    page = st.session_state.get("page", "models")
    new_run(page)  # what the router does before every page run
    if page != "models":  # another page, one that loads no big model (a training run, say)
        return
    which = st.radio("models", ["a", "b", "both"], key="which")
    if which in ("a", "both"):
        st.markdown(f"a:{model_a()}")
        st.session_state.setdefault("first_a", model_a())
    if "first_a" in st.session_state:
        st.markdown(f"first_a_closed:{st.session_state.first_a.closed}")
    if which in ("b", "both"):
        st.markdown(f"b:{model_b()}")


def _tokens(at: AppTest) -> dict[str, str]:
    assert not at.exception, [e.value for e in at.exception]
    return dict(m.value.split(":") for m in at.markdown)


@pytest.fixture
def mode(monkeypatch):
    def _set(light: bool) -> None:
        monkeypatch.setenv("COURSE_LIGHT", "1" if light else "0")
        settings.clear()  # Settings are cached per process: read the variable again

    yield _set
    monkeypatch.delenv("COURSE_LIGHT")
    settings.clear()


def _a_then_b_then_a(at: AppTest) -> tuple[str, str]:
    at.radio(key="which").set_value("a").run()
    first = _tokens(at)["a"]
    at.radio(key="which").set_value("b").run()
    at.radio(key="which").set_value("a").run()
    return first, _tokens(at)["a"]


def test_light_mode_loading_b_drops_a(mode):
    mode(light=True)
    at = AppTest.from_function(_page).run()
    first, again = _a_then_b_then_a(at)
    assert first != again  # B's load dropped A: A was loaded again
    assert _tokens(at)["first_a_closed"] == "True"  # and the dropped one was closed (its worker stopped)


def test_light_mode_keeps_the_models_one_run_uses_together(mode):
    mode(light=True)
    at = AppTest.from_function(_page)
    at.run()
    at.radio(key="which").set_value("both").run()
    before = _tokens(at)
    at.run()
    at.run()
    assert _tokens(at) == before and {"a", "b"} <= set(before)  # a page needing both does not reload either


def test_light_mode_opening_another_page_drops_the_last_pages_models(mode):
    mode(light=True)
    at = AppTest.from_function(_page).run()
    first = _tokens(at)["a"]
    at.run()
    assert _tokens(at)["a"] == first  # a rerun of the same page keeps its model
    at.session_state["page"] = "training"
    at.run()
    at.session_state["page"] = "models"
    at.run()
    assert _tokens(at)["a"] != first


def test_normal_mode_keeps_every_model(mode):
    mode(light=False)
    at = AppTest.from_function(_page).run()
    first, again = _a_then_b_then_a(at)
    at.session_state["page"] = "training"
    at.run()
    at.session_state["page"] = "models"
    at.run()
    assert first == again == _tokens(at)["a"] and _tokens(at)["first_a_closed"] == "False"


def test_light_mode_drops_qwens_subword_table_for_another_pages_model(mode):
    """Qwen's tokenizer and embedding table (~120–250 MB) is one of the big things light mode keeps per page."""
    from ui.resources import embedder
    from ui.text import qwen_subword

    mode(light=True)
    first = qwen_subword()
    assert qwen_subword() is first and first.hf.tokenize("hello")
    embedder("e5")  # another page's big model (loaded outside any page run: nothing of this one is kept)
    assert qwen_subword() is not first
    mode(light=False)
    kept = qwen_subword()
    embedder("e5")
    assert qwen_subword() is kept


def test_light_mode_engines_keep_no_system_prompt_and_normal_mode_keeps_them(mode):
    """A kept system prompt costs every attention head's keys and values (~60 MB for Text-to-SQL's schema on the
    0.5B model), once kept and once more per batch: a small box reads it again instead."""
    from core.llm.base import complete
    from core.llm.ct2 import STATIC_CACHE_BYTES
    from ui.resources import local_llm

    system = "You write one SQLite query for this schema.\n" + "\n".join(
        f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT, score REAL);" for i in range(8))
    msgs = [{"role": "system", "content": system}, {"role": "user", "content": "How many rows are in t1?"}]
    kept = {}
    for light in (True, False):
        mode(light=light)
        local_llm.clear()
        engine = local_llm("smollm2-135m")
        for _ in range(2):  # a system prompt is kept on its second use
            complete(engine, msgs, temperature=0, max_tokens=4)
        kept[light] = (engine.static_cache_bytes, len(engine._static_kept))
        local_llm.clear()
    assert kept == {True: (0, 0), False: (STATIC_CACHE_BYTES, 1)}
