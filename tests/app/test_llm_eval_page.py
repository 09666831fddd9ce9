"""The LLM evaluation page: five questions with the small local model give a per-question table and measured
figures; the sandbox box refuses a write; the judge's position-swap runs from the page."""
from ui.strings import KO

from .conftest import figures, run_job


def _open(open_page):
    at = open_page("app_pages/09_llm_eval.py", timeout=600)
    at.sidebar.selectbox(key="le.sql.provider").set_value("smollm2-135m").run()
    at.sidebar.slider(key="le.max").set_value(64)
    at.slider(key="le.n").set_value(5).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_five_questions_with_the_local_model_show_table_and_figures(open_page):
    at = _open(open_page)
    job = run_job(at, "le.run", "le.sql_job", timeout=600)
    results = job.metrics
    assert len(results) == 5
    assert len({r.question.kind for r in results}) == 5  # five different styles, not five easy ones
    table = next(d.value for d in at.dataframe if KO["le.col.gold_sql"] in d.value.columns)
    assert list(table["id"]) == [r.question.id for r in results]
    assert list(table["EX"]) == ["✅" if r.exec_match else "❌" for r in results]
    assert all(g for g in table[KO["le.col.gold_rows"]])  # the gold results are shown
    metrics = {m.label: m.value for m in at.metric}
    ex = sum(r.exec_match for r in results) / 5
    invalid = sum(not r.valid for r in results) / 5
    assert metrics[KO["le.ex"]] == f"{ex:.1%}" and metrics[KO["le.invalid"]] == f"{invalid:.1%}"
    assert metrics[KO["le.n_done"]] == "5"
    fig = next(f for f in figures(at) if f["layout"]["title"]["text"] == KO["le.by_kind"])
    assert len(fig["data"][0]["x"]) == 5  # accuracy per kind, one bar each
    # a second run with another prompt: both runs side by side
    at.radio(key="le.variant").set_value("few_shot")
    at.slider(key="le.n").set_value(1).run()
    second = run_job(at, "le.run", "le.sql_job", timeout=600)
    history = list(at.session_state["le.history"].values())
    assert [h["n"] for h in history] == [5, 1]
    assert history[1]["EX"] == float(second.metrics[0].exec_match)
    compare = next(f for f in figures(at) if len(f["data"]) == 3)
    assert [list(d["y"]) for d in compare["data"]][0] == [h["EX"] for h in history]


def test_sandbox_box_refuses_a_write_with_a_clear_message(open_page):
    at = open_page("app_pages/09_llm_eval.py", timeout=600)
    at.text_area(key="le.own_sql").input("DROP TABLE students")
    at.button(key="le.own_run").click().run()
    assert not at.exception
    assert any(KO["sql.refused"].split(":")[0] in e.value and "SELECT" in e.value for e in at.error)
    at.text_area(key="le.own_sql").input("SELECT count(*) AS n FROM students")
    at.button(key="le.own_run").click().run()
    assert any(list(d.value["n"]) == [120] for d in at.dataframe if "n" in d.value.columns)


def test_the_lora_adapter_of_day_7_answers_the_questions(open_page):
    """The adapter the LoRA page keeps in session_state is offered and answers (here freshly attached, untrained)."""
    from core import lora
    from core.assets import Registry
    from core.config import Settings

    s = Settings.load()
    model, tok = lora.load_base("smollm2-135m", Registry(s.cache_dir), s.cache_dir)
    run = lora.LoraRun(lora.attach_lora(model, lora.LoraSettings()), tok, lora.LoraSettings(), lora.TrainSettings())
    at = _open(open_page)
    at.session_state["lora.run"] = run
    at.run()
    at.sidebar.selectbox(key="le.adapter").set_value("session").run()
    at.slider(key="le.n").set_value(1).run()
    job = run_job(at, "le.run", "le.sql_job", timeout=600)
    assert len(job.metrics) == 1
    assert at.session_state["le.sql_run"]["provider"].startswith("local:LoRA (day 7)")


def test_runner_tab_sends_in_parallel_through_a_flaky_server_and_keeps_every_result(open_page):
    from core.runner import read_results
    from tests.core.test_runner import FlakyServer

    srv = FlakyServer()
    try:
        at = open_page("app_pages/09_llm_eval.py", timeout=600)
        at.radio(key="le.target").set_value("compat").run()
        at.text_input(key="le.run_base").input(srv.url).run()
        at.slider(key="le.run_n").set_value(6)
        at.slider(key="le.conc").set_value(3).run()
        run_job(at, "le.run_many", "le.run_job", timeout=120)
    finally:
        srv.close()
    run = at.session_state["le.runner"]
    results = read_results(run["out"])
    assert sorted(r.id for r in results) == sorted(run["questions"])  # all six, each once, despite the 429s
    assert srv.count > 6 and srv.max_in_flight <= 3
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[KO["le.finished"]] == "6/6"
    assert metrics[KO["le.tokens"]] == f"{6 * 7}+{6 * 3}"  # the server's usage, summed
    assert float(metrics[KO["le.throughput"]].removesuffix("/s")) > 0


def test_judge_tab_measures_position_bias_with_the_local_model(open_page):
    at = open_page("app_pages/09_llm_eval.py", timeout=600)
    at.selectbox(key="le.judge.provider").set_value("smollm2-135m").run()
    at.radio(key="le.judge_mode").set_value("position")
    at.slider(key="le.judge_n").set_value(2).run()
    job = run_job(at, "le.judge_run", "le.judge_job", timeout=600)
    assert len(job.metrics) == 2
    metrics = {m.label: m.value for m in at.metric}
    picks = [c for r in job.metrics for c in (r["better_first"], r["better_second"]) if c in ("A", "B")]
    expected = f"{picks.count('A') / len(picks):.0%}" if picks else "0%"
    assert metrics[KO["le.first_slot"]] == expected
    assert KO["le.consistent"] in metrics
