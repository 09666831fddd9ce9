"""Day-9 page: metrics follow the threshold; quantization runs; the server starts, answers what it would
answer the OpenAI client directly, and stops."""


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
        assert [b.key for b in at.button if b.key in ("ev.start", "ev.stop")] == ["ev.stop"]  # one of the two
        assert proc.poll() is None and at.success
        assert any('"tools"' in c.value and at.session_state["serve.url"] in c.value for c in at.code)
        at.text_input(key="ev.q").input("Name one colour.")
        before = {m.value for m in at.markdown}
        at.button(key="ev.send").click().run()
        assert not at.exception and not at.error
        shown = [m.value for m in at.markdown if m.value not in before]
        from openai import OpenAI  # ask the same server directly: the page must show what it answers

        direct = OpenAI(base_url=at.session_state["serve.url"] + "/v1", api_key="x").chat.completions.create(
            model="course-local", messages=[{"role": "user", "content": "Name one colour."}], temperature=0,
            max_tokens=60).choices[0].message.content
        assert direct.strip() and shown == [direct]
    finally:
        at.button(key="ev.stop").click().run()
    assert proc.poll() is not None
    assert [b.key for b in at.button if b.key in ("ev.start", "ev.stop")] == ["ev.start"]


def test_metrics_case_switch_trades_precision_for_accuracy(open_page):
    from core import text_data

    at = open_page("app_pages/09_serving.py")
    shown = {}
    for case in ("ood", "rare_positive"):
        at.radio(key="ev.case").set_value(case).run()
        assert not at.exception, [e.value for e in at.exception]
        shown[case] = {m.label: float(m.value) for m in at.metric}
    ood = text_data.ood()
    assert 0.3 < sum(ood.labels) / len(ood.labels) < 0.7  # the OOD case is balanced: precision is meaningful there
    # with positives rare, the same classifier's precision at 0.5 collapses while accuracy stays well above it
    assert shown["rare_positive"]["precision"] < shown["ood"]["precision"] - 0.2
    assert shown["rare_positive"]["accuracy"] > shown["rare_positive"]["precision"] + 0.3
