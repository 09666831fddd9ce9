"""Day 9: evaluating a generative model. Korean Text-to-SQL scored by execution accuracy, an LLM judge whose
trust is measured (agreement, position bias, length bias), and a runner for many API requests at once."""
from __future__ import annotations

import os
import time

import streamlit as st

from core import judge as J
from core import runner as R
from core import sql_eval as Q
from core.errors import UserError
from ui.i18n import t
from ui.jobs import job_panel
from ui.llm import provider_picker
from ui.resources import heavy_resource, settings
from ui.state import State, session_runs_dir
from ui.widgets import header, metric_columns, show_user_error, tabbed

S = State("le")
SAMPLE_ROWS = 3


@st.cache_resource(show_spinner=False)
def _db():
    return Q.database(settings().cache_dir)


@st.cache_data(show_spinner=False)
def _questions():
    return Q.load_questions()


def _rows_text(outcome, limit: int = 5) -> str:
    if outcome.error:
        return f"⚠️ {outcome.error}"
    text = "; ".join(", ".join(map(str, r)) for r in outcome.rows[:limit])
    return text + (f" … (+{len(outcome.rows) - limit})" if len(outcome.rows) > limit else "") or "∅"


def _results_table(results: list[Q.Scored]) -> None:
    st.dataframe([{"id": r.question.id, t("le.col.kind"): t(f"le.kind.{r.question.kind}"),
                   t("le.col.question"): r.question.question, t("le.col.pred_sql"): r.sql or r.raw[:200],
                   t("le.col.gold_sql"): r.question.gold_sql, t("le.col.pred_rows"): _rows_text(r.pred),
                   t("le.col.gold_rows"): _rows_text(r.gold), "EX": "✅" if r.exec_match else "❌",
                   "EM": "✅" if r.exact_match else "❌", t("le.col.seconds"): round(r.seconds, 1)}
                  for r in results], hide_index=True, key="le.table")


def _summary_figures(summary: Q.Summary, key: str) -> None:
    import plotly.express as px

    metric_columns([(t("le.ex"), f"{summary.execution_accuracy:.1%}"), (t("le.em"), f"{summary.exact_match:.1%}"),
                    (t("le.invalid"), f"{summary.invalid_rate:.1%}"), (t("le.n_done"), str(summary.n))])
    kinds = list(summary.by_kind)
    fig = px.bar(x=[t(f"le.kind.{k}") for k in kinds], y=[summary.by_kind[k] for k in kinds], range_y=[0, 1],
                 labels=dict(x="", y=t("le.ex")), title=t("le.by_kind"))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10))
    st.plotly_chart(fig, key=key)


# ---------------------------------------------------------------- ① Text-to-SQL

def sql_tab(provider, max_tokens: int) -> None:
    st.caption(t("le.sql_intro"))
    db, questions = _db(), _questions()
    c1, c2, c3 = st.columns(3)
    variant = c1.radio(t("le.variant"), Q.VARIANTS, format_func=lambda v: t(f"le.variant.{v}"), key="le.variant",
                       horizontal=True)
    with_rows = c2.toggle(t("le.sample_rows"), key="le.rows", help=t("le.sample_rows_help"))
    n = c3.slider(t("le.n"), 1, len(questions), min(10, len(questions)), key="le.n", help=t("le.n_help"))
    schema = Q.schema_text(db, SAMPLE_ROWS if with_rows else 0)
    with st.expander(t("le.prompt"), icon="🧾"):
        st.json(Q.build_messages(questions[0].question, schema, variant))

    def start():
        if provider is None:
            raise UserError("le.no_provider", "choose a provider first")
        picked = Q.spread(questions, n)
        S.set("runs", S.get("runs", 0) + 1)
        S.set("sql_run", {"provider": provider.id, "variant": variant, "rows": with_rows, "n": len(picked),
                          "no": S.get("runs")})
        return lambda stop: Q.generate_and_score(provider, db, picked, variant, SAMPLE_ROWS if with_rows else 0,
                                                 max_tokens, stop)

    def live(job):
        total = S.get("sql_run", {}).get("n", 1)
        st.progress(min(1.0, len(job.metrics) / total), text=t("le.progress", done=len(job.metrics), n=total))
        if job.metrics:
            last = job.metrics[-1]
            st.caption(t("le.last", id=last.question.id, ok="✅" if last.exec_match else "❌",
                         sql=(last.sql or last.raw)[:160]))

    def done(job):
        results = job.metrics
        if not results:
            return
        S.set("last_results", results)
        summary = Q.summarise(results)
        if job.stopped_early:
            st.info(t("le.stopped", n=len(results)))
        _summary_figures(summary, "le.kind_fig")
        st.caption(t("le.em_note"))
        _results_table(results)
        history = S.setdefault("history", {})
        meta = S.get("sql_run", {})
        history[meta.get("no")] = {t("le.col.provider"): meta.get("provider"), t("le.variant"): t(
            f"le.variant.{meta.get('variant')}") + (" + " + t("le.sample_rows") if meta.get("rows") else ""),
            "n": summary.n, "EX": round(summary.execution_accuracy, 3), "EM": round(summary.exact_match, 3),
            t("le.invalid"): round(summary.invalid_rate, 3)}

    job_panel("le.sql_job", t("le.run"), start, live, done, button_key="le.run", icon="🧮")
    history = S.get("history") or {}
    if len(history) > 1:
        import plotly.graph_objects as go

        st.subheader(t("le.compare"))
        rows = list(history.values())
        st.dataframe(rows, hide_index=True, key="le.history_table")
        labels = [f"{i + 1}. {r[t('le.variant')]}" for i, r in enumerate(rows)]
        fig = go.Figure([go.Bar(name=name, x=labels, y=[r[col] for r in rows])
                         for name, col in (("EX", "EX"), ("EM", "EM"), (t("le.invalid"), t("le.invalid")))])
        fig.update_layout(height=320, barmode="group", margin=dict(l=10, r=10, t=30, b=10), yaxis_range=[0, 1])
        st.plotly_chart(fig, key="le.history_fig")

    with st.expander(t("le.own"), icon="🛡️"):
        st.caption(t("le.own_help"))
        sql = st.text_area(t("le.own_sql"), "SELECT city, count(*) FROM students GROUP BY city", key="le.own_sql")
        if st.button(t("le.own_run"), key="le.own_run"):
            try:
                out = Q.run_user_sql(db, sql)
                st.dataframe([dict(zip(out.columns, r)) for r in out.rows], key="le.own_rows")
            except UserError as exc:
                show_user_error(exc)


# ---------------------------------------------------------------- ② LLM judge

def judge_tab() -> None:
    st.caption(t("le.judge_intro"))
    provider = provider_picker("le.judge")
    c1, c2, c3 = st.columns(3)
    mode = c1.radio(t("le.judge_mode"), ("agreement", "position", "length"),
                    format_func=lambda m: t(f"le.judge_mode.{m}"), key="le.judge_mode")
    with_ref = c2.toggle(t("le.judge_ref"), True, key="le.judge_ref", help=t("le.judge_ref_help"))
    n = c3.slider(t("le.judge_n"), 2, 30, 6, key="le.judge_n")
    last = S.get("last_results")
    source = "labelled"
    if mode == "agreement":
        source = c1.radio(t("le.judge_source"), ("labelled", "last_run"), key="le.judge_source",
                          format_func=lambda s: t(f"le.judge_source.{s}"), disabled=not last)
        if not last:
            source = "labelled"

    def start():
        if provider is None:
            raise UserError("le.no_provider", "choose a provider first")
        db = _db()
        schema = Q.schema_text(db)
        S.set("judge_meta", {"mode": mode, "provider": provider.id})
        if mode == "agreement":
            if source == "last_run":
                items = J.items_from_scored(last[:n], with_ref, schema)
            else:
                pairs = J.labelled_pairs(db, _questions(), (n + 1) // 2, with_ref, schema)
                items = [J.Item(p.question, p.context, a, ok) for p in pairs
                         for a, ok in ((p.better, True), (p.worse, False))][:n]
            S.set("judge_total", len(items))
            return lambda stop: J.judge_items(provider, items, stop_event=stop)
        pairs = J.labelled_pairs(db, _questions(), n, with_ref, schema)
        S.set("judge_total", len(pairs))
        if mode == "position":
            return lambda stop: J.position_swap(provider, pairs, stop)
        items = [J.Item(p.question, p.context, p.worse, False) for p in pairs]
        return lambda stop: J.length_probe(provider, items, stop)

    def live(job):
        total = S.get("judge_total") or 1
        st.progress(min(1.0, len(job.metrics) / total), text=t("le.progress", done=len(job.metrics), n=total))

    def done(job):
        rows = job.metrics
        if not rows:
            return
        run = S.get("judge_meta", {})
        if run.get("mode") == "agreement":
            a = J.agreement([r["pass"] for r in rows], [r["item"].truth for r in rows])
            parsed = sum(r["score"].ok for r in rows) / len(rows)
            metric_columns([(t("le.agree"), f"{a['accuracy']:.1%}"), ("Cohen κ", f"{a['kappa']:.2f}"),
                            (t("le.parsed"), f"{parsed:.0%}"), ("n", str(a["n"]))])
            st.info(t("le.trust", provider=run.get("provider"), acc=f"{a['accuracy']:.0%}", kappa=f"{a['kappa']:.2f}",
                      n=a["n"], band=t(f"le.kappa.{_band(a['kappa'])}")), icon="⚖️")
            st.dataframe([{t("le.col.question"): r["item"].question, t("le.col.answer"): r["item"].answer[:160],
                           t("le.col.truth"): "✅" if r["item"].truth else "❌",
                           "correctness": r["score"].correctness, "grounding": r["score"].grounding,
                           "fluency": r["score"].fluency, t("le.col.reasons"): r["score"].reasons[:200]}
                          for r in rows], hide_index=True, key="le.judge_table")
        elif run.get("mode") == "position":
            s = J.position_summary(rows)
            metric_columns([(t("le.consistent"), f"{s['consistent']:.0%}"),
                            (t("le.first_slot"), f"{s['first_slot']:.0%}"),
                            (t("le.when_first"), f"{s['correct_when_first']:.0%}"),
                            (t("le.when_second"), f"{s['correct_when_second']:.0%}")])
            st.caption(t("le.position_note"))
            _bar({t("le.when_first"): s["correct_when_first"], t("le.when_second"): s["correct_when_second"]},
                 "le.position_fig")
        else:
            s = J.length_summary(rows)
            metric_columns([(t("le.padded_wins"), f"{s['padded_wins']:.0%}"), (t("le.decided"), str(s["decided"])),
                            (t("le.score_delta"), f"{s['score_delta']:+.2f}")])
            st.caption(t("le.length_note"))

    job_panel("le.judge_job", t("le.judge_run"), start, live, done, button_key="le.judge_run", icon="⚖️")


def _band(kappa: float) -> str:
    """Landis & Koch's bands for kappa."""
    return next(name for limit, name in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"),
                                         (9.9, "almost")) if kappa < limit)


def _bar(values: dict, key: str) -> None:
    import plotly.express as px

    fig = px.bar(x=list(values), y=list(values.values()), range_y=[0, 1], labels=dict(x="", y=""))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=20, b=10))
    st.plotly_chart(fig, key=key)


# ---------------------------------------------------------------- ③ many requests at once

def _target() -> R.Target | None:
    from core import evaluate
    from core.catalog import LOCAL_MODELS, SMALL_MODEL

    kind = st.radio(t("le.target"), ("server", "openai", "gemini", "compat"), format_func=lambda k: t(f"le.t.{k}"),
                    key="le.target", horizontal=True)
    s = settings()
    if kind == "server":
        proc = S.get("proc")
        running = proc is not None and proc.poll() is None
        c1, c2 = st.columns(2)
        model = c1.selectbox(t("llm.provider"), list(LOCAL_MODELS), index=list(LOCAL_MODELS).index(SMALL_MODEL),
                             key="le.server_model", disabled=running)
        if not running and c2.button(t("ev.start"), icon="🚀", key="le.server_start"):
            try:
                with st.spinner(t("ev.starting")):
                    proc, url = evaluate.start_server(model)
                S.set("proc", proc)
                S.set("url", url)
                running = True
            except UserError as exc:
                show_user_error(exc)
        if running and c2.button(t("ev.stop"), icon="⏹️", key="le.server_stop"):
            evaluate.stop_server(proc)
            S.set("proc", None)
            running = False
        if not running:
            st.caption(t("le.server_needed"))
            return None
        st.caption(t("ev.running", url=S.get("url")))
        return R.Target(S.get("url") + "/v1", os.environ.get("COURSE_SERVE_KEY"), "course-local", "server")
    names = {"openai": "OPENAI_API_KEY", "gemini": "GEMINI_API_KEY", "compat": "COURSE_LLM_API_KEY"}
    defaults = {"openai": (None, "gpt-4o-mini"), "gemini": (R.GEMINI_OPENAI_URL, "gemini-2.0-flash"),
                "compat": (s.llm_base_url or "http://127.0.0.1:8000/v1", s.llm_model or "course-local")}
    base, model = defaults[kind]
    c1, c2, c3 = st.columns(3)
    if kind == "compat":
        base = c1.text_input(t("llm.base_url"), base, key="le.run_base")
    model = c2.text_input(t("llm.model"), model, key=f"le.run_model.{kind}")
    typed = c3.text_input(t("le.run_key"), type="password", key=f"le.run_key.{kind}")
    key = typed or s.api_keys.get(names[kind])
    if kind != "compat" and not key:
        st.info(t("llm.need_key", provider=kind))
        return None
    return R.Target(base, key, model, kind)


def runner_tab(max_tokens: int) -> None:
    st.caption(t("le.run_intro"))
    target = _target()
    questions = _questions()
    c1, c2, c3, c4 = st.columns(4)
    concurrency = c1.slider(t("le.concurrency"), 1, 16, 4, key="le.conc")
    rpm = c2.number_input("RPM", 1, 100_000, 500, key="le.rpm", help=t("le.rpm_help"))
    tpm = c3.number_input("TPM", 1000, 10_000_000, 200_000, step=1000, key="le.tpm", help=t("le.tpm_help"))
    n = c4.slider(t("le.n"), 1, len(questions), min(8, len(questions)), key="le.run_n")
    variant = st.radio(t("le.variant"), Q.VARIANTS, format_func=lambda v: t(f"le.variant.{v}"), key="le.run_variant",
                       horizontal=True)

    def start():
        if target is None:
            raise UserError("le.no_target", "start the server or give a key first")
        db = _db()
        schema = Q.schema_text(db)
        examples = Q.load_examples() if variant == "few_shot" else None
        picked = Q.spread(questions, n)
        reqs = [R.Request(q.id, Q.build_messages(q.question, schema, variant, examples), max_tokens) for q in picked]
        out = session_runs_dir() / "llm_eval" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        stats = R.Stats()
        S.set("runner", {"out": out, "stats": stats, "n": len(reqs), "model": target.model,
                         "questions": {q.id: q for q in picked}})
        budget = R.Budget(int(concurrency), int(rpm), int(tpm))
        return lambda stop: R.run_iter(target, reqs, out, budget, R.Retry(), stop, stats)

    def live(job):
        run = S.get("runner") or {}
        total, stats = run.get("n", 1), run.get("stats")
        st.progress(min(1.0, len(job.metrics) / total), text=t("le.progress", done=len(job.metrics), n=total))
        if stats is not None:
            st.caption(t("le.run_live", sent=len(stats.sent), retries=stats.retries, flight=stats.in_flight))

    def done(job):
        run = S.get("runner") or {}
        results = R.read_results(run["out"]) if run.get("out") else []
        if not results:
            return
        s = R.summary(results, run["model"], run["stats"].elapsed)
        metric_columns([(t("le.finished"), f"{s['done']}/{run['n']}"), (t("le.throughput"),
                                                                       f"{s['requests_per_s']:.2f}/s"),
                        (t("le.tokens"), f"{s['prompt_tokens']}+{s['completion_tokens']}"),
                        (t("le.cost"), f"${s['cost_usd']:.4f}")])
        if s["estimated"]:
            st.caption(t("le.tokens_estimated"))
        st.caption(t("le.saved", path=str(run["out"]), retries=s["retries"], failed=s["failed"]))
        db = _db()
        scored = [Q.score(db, run["questions"][r.id], r.text or "", r.seconds) for r in results
                  if r.id in run["questions"] and r.error is None]
        if scored:
            _summary_figures(Q.summarise(scored), "le.run_fig")

    job_panel("le.run_job", t("le.run_many"), start, live, done, button_key="le.run_many", icon="📨")


@heavy_resource(max_entries=1)
def _saved_adapter(path: str):
    """A LoRA adapter saved by the day-7 page, on a fresh copy of its base (the shared chat model stays clean)."""
    import json
    from pathlib import Path

    from core import lora
    from core.catalog import LOCAL_MODELS, converted_dir
    from core.llm.local import LocalProvider
    from ui.resources import asset_registry

    base = json.loads((Path(path) / "adapter_config.json").read_text())["base_model_name_or_path"]
    base = next((m for m in LOCAL_MODELS if str(converted_dir(settings().cache_dir, m)) == base), base)
    model, tok = lora.load_base(base, asset_registry(), settings().cache_dir)
    return LocalProvider(f"{Path(path).parent.name}+LoRA", lora.load_adapter(model, Path(path)).eval(), tok)


def adapter_choice(provider):
    """The provider, or a LoRA adapter trained on the day-7 page: this session's run, or one saved to disk."""
    from core.llm.local import LocalProvider

    run = st.session_state.get("lora.run")
    saved = sorted((settings().cache_dir / "lora").glob("*/adapter/adapter_config.json"), reverse=True)
    options = ["none"] + (["session"] if run is not None else []) + [str(p.parent) for p in saved[:10]]
    choice = st.selectbox(t("le.adapter"), options, key="le.adapter", help=t("le.adapter_help"),
                          format_func=lambda o: t(f"le.adapter.{o}") if o in ("none", "session") else o)
    if choice == "none":
        return provider
    try:
        if choice == "session":
            return LocalProvider("LoRA (day 7)", run.model, run.tokenizer)
        with st.spinner(t("llm.loading", model=choice)):
            return _saved_adapter(choice)
    except UserError as exc:
        show_user_error(exc)
    return None


def llm_eval_page() -> None:
    with st.sidebar:
        provider = adapter_choice(provider_picker("le.sql"))
        max_tokens = st.slider(t("llm.max_tokens"), 32, 512, 160, 16, key="le.max")
    tabbed([("le.tab.sql", lambda: sql_tab(provider, max_tokens)), ("le.tab.judge", judge_tab),
            ("le.tab.runner", lambda: runner_tab(max_tokens))])


header("page.llm_eval")
st.caption(t("le.intro"))
llm_eval_page()
