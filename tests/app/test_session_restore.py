"""A browser reload starts a new Streamlit session: with the same URL (?sid=…, ?lang=…) it finds its language,
runs and conversation again, and a session with another sid sees none of them."""
import json
import secrets
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.config import Settings
from ui.strings import EN

ROOT = Path(__file__).resolve().parents[2]


def _session(page: str = "app_pages/home.py", **params) -> AppTest:
    """A fresh session opened from a URL carrying params: what a reload (or a pasted link) does."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page != "app_pages/home.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _sid() -> str:
    return secrets.token_hex(8)


def _param(at: AppTest, name: str):
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def test_language_choice_is_in_the_url_and_survives_a_reload():
    at = _session()
    assert _param(at, "lang") == "ko"
    at.sidebar.radio(key="app.lang").set_value("en").run()
    assert _param(at, "lang") == "en"
    reloaded = _session("app_pages/10_runs.py", lang=_param(at, "lang"))
    assert reloaded.session_state["app.lang"] == "en"
    assert EN["page.runs"] in reloaded.title[0].value
    assert _session(lang="xx").session_state["app.lang"] == "ko"  # unknown codes fall back to the default


def test_a_run_trained_in_one_session_is_listed_after_a_reload_only(monkeypatch):
    mine = _sid()
    at = _session("app_pages/08_gan.py", sid=mine)
    at.slider(key="gan.epochs.digits").set_value(1)
    at.select_slider(key="gan.every").set_value(5).run()
    at.button(key="gan.train").click().run()
    assert at.session_state["gan.job"].wait(300)
    folder = Settings.load().runs_dir / mine
    try:
        saved = [p.stem for p in folder.glob("*-gan-*.json")]
        assert len(saved) == 1  # the page wrote it into this session's folder
        reloaded = _session("app_pages/10_runs.py", sid=mine)
        assert saved[0] in list(reloaded.dataframe[0].value["id"])
        other = _session("app_pages/10_runs.py", sid=_sid())
        assert not other.dataframe or saved[0] not in list(other.dataframe[0].value["id"])
        other.toggle(key="runs.everyone").set_value(True).run()  # "all runs on this computer"
        assert saved[0] in list(other.dataframe[0].value["id"])
        showcase = _session("app_pages/10_showcase.py", sid=mine)
        record = json.loads((folder / f"{saved[0]}.json").read_text())
        assert f"{record['created']} · gan · {record['name']}" in showcase.selectbox(key="showcase.run").options
        monkeypatch.setenv("COURSE_LIGHT", "1")  # a shared server: no peeking at classmates' runs
        from ui.resources import settings

        settings.clear()
        try:
            toggles = _session("app_pages/10_runs.py", sid=_sid()).get("toggle")
            assert "runs.everyone" not in [tg.key for tg in toggles]  # (the sidebar's instructor switch stays)
        finally:
            monkeypatch.delenv("COURSE_LIGHT")
            settings.clear()
    finally:
        for p in folder.glob("*.json"):
            p.unlink()
        folder.rmdir()


def test_a_conversation_is_found_again_after_a_reload_and_clear_forgets_it():
    mine = _sid()
    at = _session("app_pages/08_chat.py", sid=mine)
    at.sidebar.selectbox(key="chat.provider").set_value("smollm2-135m").run()
    at.sidebar.slider(key="chat.max").set_value(16)
    at.chat_input(key="chat.input").set_value("What is a tensor?").run()
    said = at.session_state["chat.messages"]
    assert [m["role"] for m in said] == ["user", "assistant"] and said[1]["content"]
    reloaded = _session("app_pages/08_chat.py", sid=mine)
    assert reloaded.session_state["chat.messages"] == said
    assert [m.markdown[0].value for m in reloaded.chat_message] == [m["content"] for m in said]
    assert _session("app_pages/08_chat.py", sid=_sid()).session_state["chat.messages"] == []
    reloaded.button(key="chat.clear").click().run()
    assert _session("app_pages/08_chat.py", sid=mine).session_state["chat.messages"] == []
    assert not (Settings.load().cache_dir / "chats" / f"{mine}.json").exists()
