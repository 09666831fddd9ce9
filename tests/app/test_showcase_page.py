"""Showcase page in AppTest: a saved run appears with its curves, goes full screen, and exports its report."""
import pytest

from core import runs

PAGE = "app_pages/10_showcase.py"


def _reset():
    """Resources built with the temporary cache dir must not outlive the test."""
    from ui.resources import settings, vector_store

    settings.clear()
    vector_store.clear()


@pytest.fixture
def saved_run(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    from ui.resources import settings

    settings.clear()
    path = runs.save_run(tmp_path / "runs", "dnn", "mlp-fashion", {"lr": 0.003},
                         [{"epoch": 1, "loss": 0.9, "val_acc": 0.7}, {"epoch": 2, "loss": 0.5, "val_acc": 0.81}],
                         {"test_acc": 0.8123}, seed=3, script="print('the exact script')\n")
    yield path.stem
    _reset()


def test_run_is_shown_presented_and_exported(open_page, saved_run):
    at = open_page(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="showcase.run").value == saved_run
    assert any(m.value == "0.8123" for m in at.metric)
    assert len(at.get("plotly_chart")) == 2  # loss and val_acc
    assert any("the exact script" in c.value for c in at.code)
    assert at.get("download_button")  # the HTML report
    at.button(key=f"showcase.present.run.{saved_run}").click().run()
    assert not at.exception
    assert any("stSidebar" in m.value for m in at.markdown)  # the present view hides the chrome
    assert [t.value for t in at.title] == ["dnn · mlp-fashion"]
    at.button(key="showcase.exit").click().run()
    assert at.selectbox(key="showcase.run").value == saved_run


def test_empty_showcase_explains_where_work_comes_from(open_page, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    from ui.resources import settings

    settings.clear()
    try:
        at = open_page(PAGE)
        assert not at.exception and any("DNN" in i.value for i in at.info)
    finally:
        _reset()
