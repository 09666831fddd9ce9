"""Day-9 page: metrics follow the threshold; quantization runs; the server starts, answers and stops."""


def test_metrics_quantization_and_server(open_page):
    at = open_page("app_pages/09_serving.py")
    assert not at.exception, [e.value for e in at.exception]
    recall_at = {}
    for th in (0.1, 0.9):
        at.slider(key="ev.th").set_value(th).run()
        recall_at[th] = float(next(m.value for m in at.metric if m.label == "recall"))
    assert recall_at[0.1] > recall_at[0.9]
    at.button(key="ev.quant").click().run()
    assert not at.exception and len(at.dataframe) == 1
    at.button(key="ev.start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    proc = at.session_state["serve.proc"]
    try:
        assert proc.poll() is None and at.success
        at.button(key="ev.send").click().run()
        assert not at.exception and not at.error
    finally:
        at.button(key="ev.stop").click().run()
    assert proc.poll() is not None
