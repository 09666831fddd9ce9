"""Day 7: LoRA fine-tuning of a small LLM on CPU, with live train/eval loss, Stop and before/after — the parts
of LlamaBoard its users missed: loss plot, live eval loss, visible data errors, Stop, safe merge/export."""
from __future__ import annotations

import dataclasses
import time

import streamlit as st

from core import catalog, lora, runs
from core.errors import UserError
from core.jobs import Job
from ui.classroom import load_run, replayer
from ui.i18n import t
from ui.jobs import job_panel
from ui.resources import asset_registry, light_or, settings
from ui.state import State, session_runs_dir
from ui.widgets import header, line_chart, precision_select, show_code, show_user_error

S = State("lora")
UPLOAD_FILE = "lora_data.jsonl"


@st.cache_data(show_spinner=False)
def _probe(base: str, r: int, alpha: int, targets: tuple[str, ...]):
    """Linear layer names, trainable counts and the method comparison for these settings (one fresh model)."""
    model, _ = lora.load_base(base, asset_registry(), settings().cache_dir)
    names = lora.linear_layer_names(model)
    valid = tuple(x for x in targets if x in names) or tuple(n for n in ("q_proj", "v_proj") if n in names)
    lset = lora.LoraSettings(r=r, alpha=alpha, targets=valid)
    peft_model = lora.attach_lora(model, lset)
    return names, tuple(peft_model.get_nb_trainable_parameters()), lora.method_comparison(peft_model, lset)


def _data(source: str):
    if source == "shipped":
        return lora.shipped_dataset()
    up = st.file_uploader(t("lora.upload"), type=["jsonl", "json", "csv"], key="lora.file", help=t("lora.upload_help"))
    if up is None:
        st.info(t("lora.upload_hint"))
        return None
    return lora.parse_dataset(up.getvalue(), up.name)


def lora_page() -> None:
    """Setup → train (live) → before/after and saving."""
    st.subheader(t("lora.step_setup"))
    c1, c2 = st.columns(2)
    base = c1.selectbox(t("lora.base"), [*catalog.LORA_BASES, "folder"],
                        format_func=lambda b: t(f"lora.base.{b}"), key="lora.base")
    if base == "folder":
        base = c1.text_input(t("lora.folder"), key="lora.folder", placeholder="/path/to/hf-model")
        if not base:
            return
    with c2:
        source = st.radio(t("lora.data"), ["shipped", "upload"], format_func=lambda s: t(f"lora.data.{s}"),
                          horizontal=True, key="lora.src")
        try:
            report = _data(source)
        except UserError as exc:
            show_user_error(exc)
            return
    if report is None:
        return
    train_ex, eval_ex = lora.split(report.examples, 0.1)
    st.caption(t("lora.data_info", n=len(report.examples), train=len(train_ex), eval=len(eval_ex)))
    if report.bad_rows:
        st.warning(t("lora.bad_rows", n=len(report.bad_rows)))
        st.dataframe([{t("lora.row"): i, t("lora.reason"): why} for i, why in report.bad_rows], hide_index=True)
    c = st.columns(4)
    r = c[0].select_slider("r", [1, 2, 4, 8, 16, 32, 64], 8, key="lora.r", help=t("lora.r_help"))
    alpha = c[1].select_slider("alpha", [1, 2, 4, 8, 16, 32, 64, 128], 16, key="lora.alpha")
    dropout = c[2].slider("dropout", 0.0, 0.5, 0.05, 0.05, key="lora.dropout")
    four_bit = c[3].toggle("QLoRA (4-bit)", key="lora.qlora", disabled=not lora.qlora_available(),
                           help=t("lora.qlora_help"))
    try:
        with st.spinner(t("lora.probing")):
            names, _, _ = _probe(base, r, alpha, ("q_proj", "v_proj"))
        targets = tuple(st.multiselect(t("lora.targets"), names, [n for n in ("q_proj", "v_proj") if n in names],
                                       key="lora.targets", help=t("lora.targets_help")))
        lset = lora.LoraSettings(r, alpha, dropout, targets).validate(names)
        _, (trainable, total), comparison = _probe(base, r, alpha, targets)
    except UserError as exc:
        show_user_error(exc)
        return
    except (OSError, ValueError) as exc:  # a folder transformers cannot read
        st.error(t("llm.unavailable", reason=str(exc)))
        return
    st.caption(t("lora.trainable", n=f"{trainable:,}", total=f"{total:,}", pct=f"{100 * trainable / total:.3f}"))
    _methods(comparison)
    c = st.columns(5)
    tset = lora.TrainSettings(max_steps=c[0].slider(t("lora.steps"), 2, 200, light_or(40, 10), key="lora.steps"),
                           lr=c[1].select_slider(t("gd.lr"), [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3], 2e-3,
                                                 key="lora.lr"),
                           batch_size=c[2].select_slider(t("vis.batch"), [1, 2, 4, 8], 2, key="lora.batch"),
                           max_len=c[3].select_slider(t("lora.max_len"), [64, 128, 192, 256, 384], 256,
                                                      key="lora.maxlen"),
                           eval_every=10, seed=int(c[4].number_input(t("common.seed"), 0, 9999, 0, key="lora.seed")),
                           precision=precision_select("lora.precision", model=None),
                           micro_batch=light_or(0, 1), checkpointing=light_or(False, True))  # a small box:
    # one row per forward pass and activations recomputed, the same updates in less memory (bench/memory.py)

    def replay():  # instructor mode: curves and before/after answers of assets/runs/lora.json (no weights)
        record, _ = load_run("lora")
        S.set("run", None)
        S.set("comparison", [tuple(row) for row in record["comparison"]])
        return replayer(lora.LoraMetric(**m) for m in record["metrics"])

    job_panel(S.key("job"), t("lora.start"), lambda: _start(base, lset, tset, train_ex, eval_ex, four_bit), _live,
              lambda job: _after(S.get("run"), eval_ex), button_key="lora.start", icon="🪄", interval=1.0,
              replay=replay)
    base_path = str(catalog.converted_dir(settings().cache_dir, base)) if base in catalog.LORA_BASES else base
    if source == "shipped":
        show_code(lora.script(base_path, lset, tset), "lora_train.py")
    else:  # the script reads the uploaded rows from a file saved next to it
        show_code(lora.script(base_path, lset, tset, UPLOAD_FILE), "lora_train.py",
                  {UPLOAD_FILE: lora.examples_jsonl(report.examples)})


def _methods(comparison: list[dict]) -> None:
    import plotly.express as px

    with st.expander(t("lora.methods"), icon="⚖️"):
        st.caption(t("lora.methods_help"))
        fig = px.bar(x=[t(f"lora.m.{row['method']}") for row in comparison], y=[row["trainable"] for row in comparison],
                     text=[f"{row['percent']:.3g}%" for row in comparison], log_y=True,
                     labels=dict(x="", y=t("lora.trainable_params")))
        fig.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10))
        st.plotly_chart(fig, key="lora.methods")


def _start(base, lset, tset, train_ex, eval_ex, four_bit: bool = False):
    model, tok = lora.load_base(base, asset_registry(), settings().cache_dir, four_bit)
    peft_model = lora.attach_lora(model, lset)
    run = lora.LoraRun(peft_model, tok, lset, tset)
    out_dir = settings().cache_dir / "lora" / time.strftime("%Y%m%d-%H%M%S")
    S.set("run", run)  # from the first step on: Stop or an error never loses the adapter
    S.set("outputs", {"dir": out_dir, "base": base})
    # made here: the worker thread must not touch Streamlit (session_runs_dir reads the session)
    recorder = runs.Recorder(session_runs_dir(), "lora", f"{base}-r{lset.r}",
                             {"base": base, **dataclasses.asdict(lset), **dataclasses.asdict(tset)}, seed=tset.seed,
                             data=(lora.examples_jsonl(train_ex),))

    lean = settings().light  # read here: the worker thread must not touch Streamlit

    def work(stop):
        last = None
        for last in recorder.track(lora.train(run, train_ex, eval_ex, out_dir, stop), lora.history_row):
            yield last
        if last is not None:  # the Runs page lists it beside the other pages' runs
            recorder.save({"steps": last.step}, stop)
        if lean:  # a small box keeps the adapter on disk, not the model: Compare and Merge load it back
            lora.release(run, out_dir / "adapter")

    return work


def _live(job: Job) -> None:
    metrics = list(job.metrics)
    if not metrics:
        st.info(t("lora.warming_up") if job.running else t("common.done"))
        return
    last = metrics[-1]
    total = max(last.total, 1)
    per_step = last.elapsed / max(last.step, 1)
    st.progress(min(last.step / total, 1.0), text=t("lora.progress", step=last.step, total=total,
                                                    eta=f"{per_step * (total - last.step):.0f}",
                                                    per=f"{per_step:.1f}"))
    train = [(m.step, m.loss) for m in metrics if m.loss is not None]
    evals = [(m.step, m.eval_loss) for m in metrics if m.eval_loss is not None and not m.done]
    series = {t("lora.train_loss"): ([s for s, _ in train], [v for _, v in train])}
    if evals:
        series[t("lora.eval_loss")] = ([s for s, _ in evals], [v for _, v in evals])
    st.plotly_chart(line_chart(series, x_title=t("gd.step"), y_title="loss", title=t("lora.chart")), key="lora.chart")
    if last.done:
        st.success(t("lora.stopped", step=last.step) if last.stopped else t("lora.finished", step=last.step))


def _after(run: lora.LoraRun | None, eval_ex) -> None:
    if run is None:  # a replay ships its answers, not its adapter
        _answers()
        return
    st.subheader(t("lora.step_after"))
    if run.truncated:
        st.caption(t("lora.truncated", n=run.truncated))
    questions = [ex.messages[-2]["content"] for ex in eval_ex[:2]] or [t("lora.default_q")]
    custom = st.text_input(t("lora.ask"), t("lora.default_q"), key="lora.custom")
    out = S.get("outputs")
    if st.button(t("lora.compare"), icon="🔍", key="lora.compare"):
        rows = []
        with st.spinner(t("common.running")), _model(run, out) as model:
            for q in [custom] + questions:
                rows.append((q, lora.generate(model, run.tokenizer, q, 64, adapter=False),
                             lora.generate(model, run.tokenizer, q, 64, adapter=True)))
        S.set("comparison", rows)
    _answers()
    c1, c2 = st.columns(2)
    if c1.button(t("lora.save"), icon="💾", key="lora.save"):
        path = run.adapter_dir if run.model is None else lora.save_adapter(run.model, out["dir"] / "adapter")
        S.set("adapter_zip", lora.zip_folder(path))
        st.success(t("lora.saved", path=str(path)))
    if S.get("adapter_zip"):
        c1.download_button(t("lora.download"), S.get("adapter_zip"), "lora-adapter.zip", "application/zip",
                           key="lora.dl")
    if c2.button(t("lora.merge"), icon="🧬", key="lora.merge"):
        with st.spinner(t("common.running")), _model(run, out) as model:
            path = out["dir"] / "merged"
            lora.merge_and_save(model, run.tokenizer, path, int8=True, keep=run.adapter_dir is None)
        st.success(t("lora.merged", path=str(path)))
        st.caption(t("lora.merged_int8", path=str(lora.int8_dir(path))))


def _model(run: lora.LoraRun, out: dict):
    """The trained model for one action; in light mode it was released after training and loads again here."""
    return lora.loaded(run, out["base"], asset_registry(), settings().cache_dir)


def _answers() -> None:
    for q, before, after in S.get("comparison") or []:
        st.markdown(f"**❓ {q}**")
        c1, c2 = st.columns(2)
        c1.markdown(f"*{t('lora.before')}*")
        c1.text(before)
        c2.markdown(f"*{t('lora.after')}*")
        c2.text(after)


header("page.lora")
st.caption(t("lora.intro"))
lora_page()
