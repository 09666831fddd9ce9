"""?sid= in the URL: a session keeps one private namespace across reruns and page switches, and a reload with the
same URL finds it again; a forged or malformed sid is replaced, never trusted."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def _home(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def test_new_session_gets_a_sid_that_survives_reruns_and_pages():
    at = _home()
    sid = at.session_state["app.sid"]
    assert len(sid) == 16 and at.query_params["sid"] in (sid, [sid])
    at.switch_page("app_pages/01_eda.py").run()
    assert at.session_state["app.sid"] == sid and at.query_params["sid"] in (sid, [sid])


def test_reload_with_the_url_keeps_the_namespace_and_bad_ones_are_replaced():
    assert _home(sid="0123456789abcdef").session_state["app.sid"] == "0123456789abcdef"
    for bad in ("../../etc", "0123456789ABCDEF", "x" * 16, ""):
        assert _home(sid=bad).session_state["app.sid"] != bad
