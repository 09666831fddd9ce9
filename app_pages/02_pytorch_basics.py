"""Day 2: tensors, autograd, gradient descent, linear regression — a playground."""
from __future__ import annotations

import dataclasses
import time

import streamlit as st

from core import autograd_demo as ag
from core import linreg, runs
from core import loss_surface as ls
from core import tensor_lab as tl
from core.errors import UserError
from core.jobs import Job
from ui.charts import broadcast_figure, regression_figure, surface_figure
from ui.classroom import load_run, replayer
from ui.i18n import t
from ui.jobs import job_panel
from ui.state import State, session_runs_dir
from ui.widgets import header, line_chart, show_code, show_user_error, tabbed

S = State("basics")


# ---- 1. tensors ---------------------------------------------------------------------------------------------
def _tensor_form(col, name: str, default_shape: str, default_values: str):
    with col:
        st.markdown(f"**{t('tl.tensor')} `{name}`**")
        creator = st.selectbox(t("tl.creator"), tl.CREATORS, index=4 if name == "a" else 0, key=f"tl.{name}.c")
        if creator == "list":
            values = st.text_input(t("tl.values"), default_values, key=f"tl.{name}.v")
            shape = ""
        else:
            shape, values = st.text_input(t("tl.shape"), default_shape, key=f"tl.{name}.s"), ""
        dtype = st.selectbox("dtype", tl.DTYPES, key=f"tl.{name}.d")
        return tl.make_tensor(creator, shape, dtype, values, seed=0)


def tensor_lab() -> None:
    st.caption(t("tl.intro"))
    ca, cb = st.columns(2)
    try:
        a = _tensor_form(ca, "a", "2,3", "[[1, 2, 3], [4, 5, 6]]")
        b = _tensor_form(cb, "b", "3", "[10, 20, 30]")
    except UserError as exc:
        show_user_error(exc)
        return
    ca.code(f"shape {tuple(a.shape)}  dtype {a.dtype}\n{a}")
    cb.code(f"shape {tuple(b.shape)}  dtype {b.dtype}\n{b}")
    c1, c2 = st.columns([1, 2])
    op = c1.selectbox(t("tl.op"), tl.OPS, format_func=lambda o: t(f"tl.op.{o}"), key="tl.op")
    arg = c2.text_input(t("tl.arg"), {"reshape": "3,2", "permute": "1,0", "sum": "0", "mean": "1", "max": "0",
                                      "index": ":, 1"}.get(op, ""), key=f"tl.arg.{op}",
                        disabled=op in ("add", "mul", "matmul", "transpose"), help=t("tl.arg_help"))
    if op in ("add", "mul"):
        rows = tl.broadcast_table(tuple(a.shape), tuple(b.shape))
        st.plotly_chart(broadcast_figure(rows, {"title": t("tl.broadcast_title"), "axis": t("tl.axis"),
                                                "result": t("tl.result")}), key="tl.bfig")
        st.caption(t("tl.broadcast_legend"))
    try:
        res = tl.apply_op(op, a, b, arg)
    except UserError as exc:
        show_user_error(exc)
        st.info(t("tl.shape_hint"), icon="💡")
        return
    st.markdown(f"**{t('tl.result')}** — `{res.code}`")
    st.code(f"shape {tuple(res.value.shape)}  dtype {res.value.dtype}\n{res.value}")


# ---- 2. autograd --------------------------------------------------------------------------------------------
PRESETS = {
    "linear": "y = w*x + b\nloss = (y - t)**2",
    "neuron": "z = w1*x1 + w2*x2 + b\na = tanh(z)\nloss = (a - t)**2",
    "shared": "u = x*y\nv = u + u*x\nout = u*v + exp(u/10)",
    "logistic": "p = sigmoid(w*x + b)\nloss = -(t*log(p) + (1 - t)*log(1 - p))",
}
DEFAULTS = {"w": 2.0, "x": 3.0, "b": 1.0, "t": 10.0, "w1": 0.5, "w2": -1.0, "x1": 1.0, "x2": 2.0, "y": 2.0}


def autograd_tab() -> None:
    st.caption(t("ag.intro"))
    preset = st.selectbox(t("ag.preset"), list(PRESETS), format_func=lambda k: t(f"ag.preset.{k}"), key="ag.preset")
    source = st.text_area(t("ag.expr"), PRESETS[preset], height=110, key=f"ag.src.{preset}", help=t("ag.expr_help"))
    try:
        program = ag.parse_program(source)
    except UserError as exc:
        show_user_error(exc)
        return
    cols = st.columns(max(len(program.inputs), 1))
    values = {n: cols[i].number_input(n, value=DEFAULTS.get(n, 1.0), step=0.5, key=f"ag.in.{n}", format="%.3f")
              for i, n in enumerate(program.inputs)}
    try:
        out, env = ag.run_engine(program, values)
        torch_out, torch_grads = ag.run_torch(program, values)
    except UserError as exc:
        show_user_error(exc)
        return
    st.graphviz_chart(ag.to_dot(out))
    st.markdown(t("ag.result", name=program.output, value=f"{out.data:.6g}", torch=f"{torch_out:.6g}"))
    rows = [{t("ag.input"): n, t("ag.ours"): env[n].grad, "torch.autograd": torch_grads[n],
             t("ag.match"): "✅" if abs(env[n].grad - torch_grads[n]) <= 1e-6 * max(1, abs(torch_grads[n])) else "❌"}
            for n in program.inputs]
    st.dataframe(rows, hide_index=True)
    st.caption(t("ag.chain_rule"))


# ---- 3. gradient descent ------------------------------------------------------------------------------------
LRS = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 0.8, 1.0, 1.5]


def gd_tab() -> None:
    st.caption(t("gd.intro"))
    c1, c2, c3 = st.columns(3)
    surface = c1.selectbox(t("gd.surface"), list(ls.SURFACES), format_func=lambda s: t(f"gd.surface.{s}"),
                           key="gd.surface")
    formula, start, _, _ = ls.SURFACES[surface]
    c1.latex(formula.replace("·", r"\cdot "))
    opts = c2.multiselect(t("gd.optimizers"), ls.OPTIMIZERS, default=["sgd", "momentum", "adam"], key="gd.opts")
    lr = c2.select_slider(t("gd.lr"), LRS, value=0.01 if surface != "rosenbrock" else 0.001, key=f"gd.lr.{surface}")
    steps = c3.slider(t("gd.steps"), 5, 1000, 150, key="gd.steps")
    sx = c3.number_input("x₀", value=float(start[0]), step=0.1, key=f"gd.sx.{surface}")
    sy = c3.number_input("y₀", value=float(start[1]), step=0.1, key=f"gd.sy.{surface}")
    if not opts:
        st.info(t("gd.pick_one"))
        return
    trajs = {o: ls.descend(surface, (sx, sy), lr, steps, o) for o in opts}
    xs, ys, zs = ls.grid(surface)
    st.plotly_chart(surface_figure(xs, ys, zs, trajs, log_z=surface == "rosenbrock", title=t("gd.map"),
                                    play=t("gd.play")),
                    key="gd.map")
    series = {o: (list(range(len(tr.losses))), tr.losses) for o, tr in trajs.items()}
    st.plotly_chart(line_chart(series, x_title=t("gd.step"), y_title="loss", log_y=True), key="gd.loss")
    for o, tr in trajs.items():
        if tr.diverged:
            st.error(t("gd.diverged", opt=o, lr=lr, step=len(tr.losses)), icon="💥")
        else:
            x, y, f = tr.final
            st.write(t("gd.final", opt=o, x=f"{x:.4f}", y=f"{y:.4f}", f=f"{f:.6f}"))


# ---- 4. linear regression -----------------------------------------------------------------------------------
def _data_source():
    mode = st.radio(t("lr.source"), ["generate", "csv"], format_func=lambda m: t(f"lr.source.{m}"),
                    horizontal=True, key="lr.mode")
    if mode == "generate":
        c = st.columns(5)
        params = dict(slope=c[0].number_input(t("lr.slope"), value=2.0, step=0.5, key="lr.slope"),
                      intercept=c[1].number_input(t("lr.intercept"), value=-1.0, step=0.5, key="lr.icpt"),
                      noise=c[2].slider(t("lr.noise"), 0.0, 5.0, 1.0, key="lr.noise"),
                      n=c[3].slider("n", 10, 2000, 200, key="lr.n"),
                      seed=int(c[4].number_input(t("common.seed"), value=42, step=1, key="lr.seed")))
        x, y = linreg.make_data(**params)
        return x, y, params
    up = st.file_uploader(t("lr.upload"), type=["csv"], key="lr.csv")
    if up is None:
        st.info(t("lr.upload_hint"))
        return None
    df, numeric = linreg.load_csv(up.getvalue())
    c1, c2 = st.columns(2)
    xc = c1.selectbox("x", numeric, key="lr.xc")
    yc = c2.selectbox("y", numeric, index=1, key="lr.yc")
    x, y, dropped = linreg.columns_to_tensors(df, xc, yc)
    if dropped:
        st.warning(t("lr.dropped", n=dropped))
    return x, y, None


def linreg_tab() -> None:
    st.caption(t("lr.intro"))
    try:
        data = _data_source()
    except UserError as exc:
        show_user_error(exc)
        return
    if data is None:
        return
    x, y, params = data
    c1, c2, c3 = st.columns(3)
    lr = c1.select_slider(t("gd.lr"), [0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3], value=0.03, key="lr.lr")
    epochs = c2.slider(t("lr.epochs"), 10, 1000, 200, key="lr.epochs")
    delay = c3.slider(t("lr.delay"), 0.0, 0.1, 0.01, key="lr.delay", help=t("lr.delay_help"))
    seed = params["seed"] if params else 0

    def start():
        # made here: the worker thread must not touch Streamlit (session_runs_dir reads the session)
        recorder = runs.Recorder(session_runs_dir(), "linreg", f"lr{lr}-{epochs}ep",
                                 {"lr": lr, "epochs": epochs, "data": params or "csv"}, seed=seed, data=(x, y))

        def run(stop):
            for step in recorder.track(linreg.fit(x, y, lr, epochs, seed, stop), dataclasses.asdict):
                yield step
                time.sleep(delay)
            recorder.save(stop_event=stop)  # the Runs page lists it beside the other pages' runs

        S.set("data", (x, y, linreg.closed_form(x, y), epochs))
        return run

    def replay():  # instructor mode: the run shipped in assets/runs/linreg.json, on its own generated data
        record, _ = load_run("linreg")
        x0, y0 = linreg.make_data(**record["params"])
        S.set("data", (x0, y0, linreg.closed_form(x0, y0), record["epochs"]))
        return replayer(linreg.LinRegStep(**step) for step in record["steps"])

    job_panel(S.key("job"), t("lr.train"), start, _render_linreg, button_key="lr.train", icon=None, replay=replay)
    if params:
        show_code(linreg.script(lr=lr, epochs=epochs, **params), "linear_regression.py")


def _render_linreg(job: Job) -> None:
    x, y, closed, total = S.get("data")
    steps = list(job.metrics)
    if not steps:
        return
    last = steps[-1]
    st.progress(min(1.0, last.epoch / total), text=t("lr.progress", epoch=last.epoch, loss=f"{last.loss:.4f}"))
    c1, c2 = st.columns(2)
    c1.plotly_chart(line_chart({"MSE": ([s.epoch for s in steps], [s.loss for s in steps])}, x_title="epoch",
                               y_title="loss", log_y=True), key="lr.loss")
    c2.plotly_chart(regression_figure(x, y, last.w, last.b, closed if not job.running else None,
                                      {"data": t("lr.data"), "sgd": "nn.Linear (SGD)",
                                       "closed": t("lr.closed")}), key="lr.fit")
    if not job.running:
        st.success(t("lr.summary", w=f"{last.w:.4f}", b=f"{last.b:.4f}", cw=f"{closed[0]:.4f}",
                     cb=f"{closed[1]:.4f}", loss=f"{last.loss:.6f}"))
        if job.stopped_early:
            st.info(t("lr.stopped", epoch=last.epoch))


header("page.basics")
tabbed([("basics.tab.tensors", tensor_lab), ("basics.tab.autograd", autograd_tab), ("basics.tab.gd", gd_tab),
        ("basics.tab.linreg", linreg_tab)])
