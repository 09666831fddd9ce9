"""Every page the router registers renders without an exception and shows its title (discovered, so each new
page is covered automatically)."""
import pytest

from ui.course import routed_pages
from ui.strings import KO

PAGES = routed_pages()


def test_router_registers_home_and_the_built_pages():
    paths = [p.path for p in PAGES]
    assert paths[0] == "app_pages/home.py" and len(paths) >= 2


@pytest.mark.parametrize("spec", PAGES, ids=[p.path for p in PAGES])
def test_page_renders(open_page, spec):
    at = open_page(spec.path)
    assert not at.exception, [e.value for e in at.exception]
    titles = [t.value for t in at.title]
    expected = KO["home.title"] if spec.path == "app_pages/home.py" else f"{spec.icon} {KO[spec.title_key]}"
    assert expected in titles


def test_home_shows_course_map_and_environment(open_page):
    at = open_page("app_pages/home.py")
    text = " ".join(m.value for m in at.markdown)
    for n in range(1, 11):
        assert f"{n}일차" in text
    assert "OPENAI_API_KEY" in text and "torch" in text
    from core.assets import ASSETS

    table = next(m.value for m in at.markdown if KO["home.asset_col"] in m.value)  # the asset table
    assert table.count("\n") == len(ASSETS) + 1 and all(a.title in table for a in ASSETS)


def test_language_switch_changes_page_text(open_page):
    at = open_page("app_pages/home.py")
    at.sidebar.radio[0].set_value("en").run()
    assert "🎓 AI service development with PyTorch and LLMs" in [t.value for t in at.title]


def test_api_key_values_never_rendered(open_page, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-very-secret-123")
    from ui.resources import settings

    settings.clear()
    try:
        at = open_page("app_pages/home.py")
        everything = repr([e.value for e in at.markdown]) + repr([e.value for e in at.caption])
        assert "sk-test-very-secret-123" not in everything
        assert "`OPENAI_API_KEY`: 설정됨" in everything
    finally:
        settings.clear()
