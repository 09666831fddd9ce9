"""Day 2 page in AppTest: train the linear regression, and bad expressions give a message, not a traceback."""
import json

from core.config import Settings
from tests.app.conftest import run_job
from ui.strings import KO

PAGE = "app_pages/02_pytorch_basics.py"


def test_linreg_run_draws_charts_and_summary(open_page):
    at = open_page(PAGE)
    at.slider(key="lr.epochs").set_value(30)
    at.slider(key="lr.delay").set_value(0.0)
    before = set(Settings.load().runs_dir.rglob("*-linreg-*.json"))
    job = run_job(at, "lr.train", "basics.job", 60)
    assert len(job.metrics) == 30 and job.metrics[-1].loss < job.metrics[0].loss
    chart_keys = {c.proto.id for c in at.get("plotly_chart")}
    assert len(chart_keys) >= 4  # broadcast + gd map + gd loss + linreg loss + fit
    assert any(KO["lr.summary"].split(":")[0] in s.value for s in at.success)
    assert any("final loss" in c.value for c in at.code)  # the show-code script
    new = set(Settings.load().runs_dir.rglob("*-linreg-*.json")) - before
    assert len(new) == 1
    saved = json.loads(next(iter(new)).read_text())
    next(iter(new)).unlink()  # keep the student's runs folder as it was
    assert [h["loss"] for h in saved["history"]] == [m.loss for m in job.metrics]
    assert saved["final"]["w"] == job.metrics[-1].w and saved["settings"]["epochs"] == 30


def test_unsafe_expression_is_refused_kindly(open_page):
    at = open_page(PAGE)
    at.text_area(key="ag.src.linear").input("__import__('os').system('echo hi')").run()
    assert not at.exception
    assert any("__import__" in e.value and "tanh" in e.value for e in at.error)


def test_shape_mismatch_is_explained(open_page):
    at = open_page(PAGE)
    at.text_input(key="tl.b.v").input("[1, 2]")  # (2,3) @ (2,) cannot work
    at.selectbox(key="tl.op").set_value("matmul").run()
    assert not at.exception
    assert any("matmul" in e.value for e in at.error)
    assert at.info  # the shape hint


def test_gd_large_lr_shows_divergence(open_page):
    at = open_page(PAGE)
    at.select_slider(key="gd.lr.bowl").set_value(1.5).run()
    assert not at.exception
    assert len(at.error) >= 1 and "1.5" in at.error[0].value
