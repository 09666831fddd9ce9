"""Day 2 page in AppTest: train the linear regression, and bad expressions give a message, not a traceback."""
from ui.strings import KO

PAGE = "app_pages/02_pytorch_basics.py"


def _wait_job(at, key: str, timeout: float = 60):
    job = at.session_state[key]
    assert job.wait(timeout), "training did not finish"
    return job


def test_linreg_run_draws_charts_and_summary(open_page):
    at = open_page(PAGE)
    at.slider(key="lr.epochs").set_value(30)
    at.slider(key="lr.delay").set_value(0.0)
    at.button(key="lr.train").click().run()
    job = _wait_job(at, "basics.job")
    at.run()
    assert not at.exception
    assert len(job.metrics) == 30 and job.metrics[-1].loss < job.metrics[0].loss
    chart_keys = {c.proto.id for c in at.get("plotly_chart")}
    assert len(chart_keys) >= 4  # broadcast + gd map + gd loss + linreg loss + fit
    assert any(KO["lr.summary"].split(":")[0] in s.value for s in at.success)
    assert any("final loss" in c.value for c in at.code)  # the show-code script


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
