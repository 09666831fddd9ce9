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


def test_llm_quantization_table_is_measured_not_written(open_page):
    """Every figure of the engines table comes from a run on this machine: the sizes are the files on disk, torch
    fp32 agrees with itself, int8 engines are smaller, and each engine really generated."""
    from core.catalog import SMALL_MODEL, converted_dir, ct2_dir
    from core.config import Settings
    from core.llm.compare import ENGINES

    at = open_page("app_pages/09_serving.py", timeout=600)
    at.button(key="ev.llm_quant").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[-1].value
    assert list(table.iloc[:, 0]) == list(ENGINES)
    rows = {r.iloc[0]: r for _, r in table.iterrows()}
    cache = Settings.load().cache_dir
    size, agree, decode, sample = (table.columns[i] for i in (1, 5, 3, 6))
    assert abs(rows["ct2-int8"][size] - (ct2_dir(cache, SMALL_MODEL) / "model.bin").stat().st_size / 2**20) < 0.1
    assert abs(rows["torch-fp32"][size] - (converted_dir(cache, SMALL_MODEL) / "model.safetensors").stat().st_size
               / 2**20) < 0.1
    assert rows["torch-fp32"][agree] == 1.0 and all(0 <= a <= 1 for a in table[agree])
    assert rows["ct2-int8"][size] < rows["torch-dynamic-int8"][size] < rows["torch-fp32"][size]
    assert all(d > 0 for d in table[decode]) and all(s.strip() for s in table[sample])


def test_batching_button_measures_one_at_a_time_and_batched(open_page):
    at = open_page("app_pages/09_serving.py", timeout=600)
    at.button(key="ev.batch").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[-1].value
    assert list(table.iloc[:, 1]) == [1, 4, 8, 1, 4, 8] and len(set(table.iloc[:, 0])) == 2
    assert all(v > 0 for v in table.iloc[:, 2]) and all(v > 0 for v in table.iloc[:, 3])
