"""LoRA page in AppTest: a 2-step run completes and shows the loss chart."""
from ui.strings import KO


def test_two_step_run_completes_and_shows_chart(open_page):
    at = open_page("app_pages/07_lora.py", timeout=300)
    at.slider(key="lora.steps").set_value(2)
    at.select_slider(key="lora.batch").set_value(1)
    at.select_slider(key="lora.maxlen").set_value(64)
    at.button(key="lora.start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = at.session_state["lora.job"]
    assert job.wait(240) and job.error is None, job.error
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert job.metrics[-1].done and job.metrics[-1].step == 2
    assert any(KO["lora.chart"] in c.proto.spec for c in at.get("plotly_chart"))
    assert any(KO["lora.finished"].split(" (")[0] in s.value for s in at.success)
