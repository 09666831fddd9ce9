"""The flow the DNN and CNN pages share: data → model → train (live) → analyse → compare runs → export.

Each page passes its own model settings widget (and, for CNN, its extra result views) to `vision_page`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import streamlit as st

from core import vision
from core.assets import AssetError
from core.data import AUGMENTATIONS
from core.errors import UserError
from core.jobs import Job
from core.runs import Recorder, epoch_row
from core.train import OPTIMIZERS, SCHEDULES, TrainConfig, fit
from ui.classroom import load_run, replayer
from ui.i18n import t
from ui.jobs import job_panel
from ui.resources import asset_registry, fashion_mnist, light_or, settings
from ui.state import State, session_runs_dir
from ui.widgets import line_chart, metric_columns, precision_select, show_code, show_user_error


@dataclass
class VisionRun:
    spec: vision.RunSpec
    model: object
    classes: list[str]
    shape: tuple
    eval_tf: object
    analysis: vision.Analysis | None = None
    history: list[dict] = field(default_factory=list)   # epoch records, for the run table / overlay


# ---- data ---------------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _digits():
    from core.data import digits

    return digits()


def data_section(S: State, kind: str):
    """Returns (ImageData, subset, val_frac, augment) or None with a message shown."""
    options = ["fashion_mnist", "digits", "upload", "cifar10"]
    name = st.selectbox(t("vis.dataset"), options, format_func=lambda o: t(f"vis.ds.{o}"), key=f"{kind}.ds")
    if name == "upload":
        try:
            data = _upload(S, kind)
        except UserError as exc:
            show_user_error(exc)
            return None
    else:
        data = builtin_data(name)
    if data is None:
        return None
    c1, c2, c3 = st.columns(3)
    n = len(data.x_train)
    if n > 100:
        subset = c1.slider(t("vis.subset"), 100, n, min(light_or(6000, 2000), n), step=100 if n > 1000 else 10,
                           key=f"{kind}.subset.{name}", help=t("vis.subset_help"))
    else:  # a small zip of one's own photos: use them all (a slider needs min < max)
        subset = n
        c1.metric(t("vis.subset"), n)
    val_frac = c2.slider(t("vis.val_frac"), 0.05, 0.3, 0.1, key=f"{kind}.val")
    augment = c3.multiselect(t("vis.augment"), AUGMENTATIONS,
                             format_func=lambda a: t(f"vis.aug.{a}"), key=f"{kind}.aug")
    st.caption(t("vis.data_info", n=n, test=len(data.x_test), shape=data.shape, k=len(data.classes)))
    if augment and st.toggle(t("vis.preview"), key=f"{kind}.preview"):
        _augment_preview(data, tuple(augment))
    return data, subset, val_frac, tuple(augment)


def builtin_data(name: str):
    """Fashion-MNIST, digits or CIFAR-10 (online only) as ImageData; None with the reason shown."""
    try:
        if name == "fashion_mnist":
            with st.spinner(t("vis.loading")):
                return fashion_mnist()
        if name == "digits":
            return _digits()
        from core.data import cifar10

        return cifar10(settings().cache_dir / "datasets", settings().online)
    except UserError as exc:
        show_user_error(exc)
        if name == "cifar10":
            st.info(t("vis.try_fashion"))
        return None


def _upload(S: State, kind: str):
    up = st.file_uploader(t("vis.upload"), type=["zip"], key=f"{kind}.zip", help=t("vis.upload_help"))
    size = st.select_slider(t("vis.img_size"), [28, 32, 48, 64], 32, key=f"{kind}.size")
    if up is None:
        st.info(t("vis.upload_hint"))
        return S.get("upload")  # the last good upload survives a removed file
    from core import data as image_data
    from core.uploads import ParsedCache, content_key

    raw = up.getvalue()
    # parsed once per upload and settings: a rerun (any widget) neither decodes the zip again nor redoes the work
    # of refusing it; one entry per session, so a class of students does not pile their uploads up in memory
    parsed = S.setdefault("parsed", ParsedCache(entries=1))
    try:
        with st.spinner(t("vis.loading")):
            data = parsed.get_or_parse(content_key(raw, size=size, channels=3),
                                       lambda: image_data.image_zip(raw, size=size, channels=3))
    except UserError as exc:  # a refused zip (bomb, not a zip, too big) keeps the last good upload
        show_user_error(exc)
        return S.get("upload")
    S.set("upload", data)
    if data.skipped:
        with st.expander(t("vis.skipped", n=len(data.skipped)), icon="⚠️"):
            st.dataframe([{"file": f, "reason": r} for f, r in data.skipped], hide_index=True)
    return data


def _augment_preview(data, augment):
    import torch

    from core.data import make_transform

    shown = min(4, len(data.x_train))  # a small zip of one's own photos may hold fewer than four
    if shown == 0:
        st.info(t("vis.preview_none"))
        return
    tf = make_transform(augment, data.shape)
    torch.manual_seed(0)
    imgs = [tf(data.x_train[i % shown]) for i in range(3 * shown)]
    st.image([to_img(x) for x in imgs], width=72,
             caption=[t("vis.original") if i < shown else "" for i in range(len(imgs))])


def to_img(x):
    """C×H×W tensor (any range) → H×W or H×W×3 float array in [0, 1] for st.image."""
    x = x.detach().float()
    x = (x - x.min()) / (x.max() - x.min() + 1e-8)
    return x[0].numpy() if x.shape[0] == 1 else x.permute(1, 2, 0).numpy()


# ---- training settings -------------------------------------------------------------------------------------
def train_section(kind: str) -> tuple[TrainConfig, int]:
    c1, c2, c3, c4 = st.columns(4)
    default_epochs = light_or(3, 2) if kind == "dnn" else light_or(2, 1)
    epochs = c1.slider(t("vis.epochs"), 1, 20, default_epochs, key=f"{kind}.epochs")
    lr = c2.select_slider(t("gd.lr"), [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3], 1e-3, key=f"{kind}.lr")
    opt = c3.selectbox(t("vis.optimizer"), OPTIMIZERS, index=2, key=f"{kind}.opt")
    batch = c4.select_slider(t("vis.batch"), [16, 32, 64, 128, 256], 64, key=f"{kind}.batch")
    c5, c6, c7 = st.columns(3)
    schedule = c5.selectbox(t("vis.schedule"), SCHEDULES, format_func=lambda s: t(f"vis.sched.{s}"),
                            key=f"{kind}.sched")
    patience = c6.slider(t("vis.patience"), 0, 5, 0, key=f"{kind}.pat", help=t("vis.patience_help"))
    seed = int(c7.number_input(t("common.seed"), 0, 10_000, 42, key=f"{kind}.seed"))
    return TrainConfig(epochs=epochs, lr=lr, optimizer=opt, schedule=schedule, patience=patience, seed=seed), batch


# ---- the whole flow -----------------------------------------------------------------------------------------
def vision_page(kind: str, model_section: Callable[[], vision.ModelSpec],
                extra_results: Callable[[VisionRun, object], None] | None = None) -> None:
    """The whole page below its title; `model_section()` draws the model widgets and returns the ModelSpec,
    `extra_results(run, data)` adds views under the results."""
    S = State(kind, runs=[], precisions={})
    st.subheader(t("vis.step_data"))
    got = data_section(S, kind)
    if got is None:
        return
    data, subset, val_frac, augment = got
    st.subheader(t("vis.step_model"))
    mspec = model_section()
    cfg, batch = train_section(kind)
    spec = vision.RunSpec(data.name, subset, val_frac, batch, augment, mspec, cfg)
    weights = _efficientnet_weights() if mspec.arch == "efficientnet" else None
    if mspec.arch == "efficientnet" and weights is None:
        return
    try:
        preview = vision.build_model(mspec, data.shape, len(data.classes), weights)
    except UserError as exc:
        show_user_error(exc)
        return
    total, trainable = vision.param_counts(preview)
    st.caption(t("vis.params", total=f"{total:,}", trainable=f"{trainable:,}", pct=f"{100 * trainable / total:.1f}"))
    with st.expander(t("vis.layers"), icon="🧱"):
        st.dataframe(vision.layer_table(preview, data.shape), hide_index=True)
    spec = replace(spec, train=replace(cfg, precision=precision_select(f"{kind}.precision", preview)))

    job_panel(S.key("job"), t("vis.train"), lambda: _start(S, spec, data, weights), lambda job: _live(S, job),
              lambda job: results_section(S, kind, S.get("run"), data, extra_results), button_key=f"{kind}.train",
              replay=lambda: _replay(S, kind, data))
    precision_lesson(S)
    runs_section(S)
    if data.name in ("fashion_mnist", "digits") and mspec.arch != "efficientnet":
        show_code(vision.script(spec, str(asset_registry().path("fashion_mnist").parent.parent)), f"{kind}_train.py")


def _efficientnet_weights():
    try:
        return str(asset_registry().path("efficientnet_lite0"))
    except AssetError as exc:  # missing/corrupt asset, explained on Home
        st.error(t("vis.no_weights", reason=str(exc)))
        return None


def _start(S: State, spec: vision.RunSpec, data, weights):
    model, train_loader, val_loader, eval_tf = vision.setup(spec, data, weights)
    run = VisionRun(spec, model, data.classes, data.shape, eval_tf)
    runs = S.get("runs")  # captured here: the worker thread must never touch st.session_state
    precisions = S.get("precisions")
    recorder = Recorder(session_runs_dir(), S.ns, f"{spec.model.arch}-{spec.dataset}", spec.to_dict(),
                        seed=spec.train.seed, data=(train_loader.dataset.x, train_loader.dataset.y))
    run.history = recorder.history  # the run table and overlay read the recorder's rows

    def work(stop):
        for m in recorder.track(fit(model, train_loader, val_loader, spec.train, stop), epoch_row):
            if m.kind == "epoch":
                precisions[f"{spec.model.arch} · {m.precision}"] = (m.elapsed / m.step, m.val_acc)
            yield m
        if run.history:  # analyse whatever was trained, even after Stop
            run.analysis = vision.analyse(model, data.x_test, data.y_test, len(data.classes), eval_tf)
            final = {"test_acc": run.analysis.test_acc, "test_loss": run.analysis.test_loss}
            recorder.save(final, stop)
            runs.append({"spec": spec, "history": list(run.history), "final": final})

    S.set("run", run)  # the model lives in session_state from the first step: Stop never loses it
    return work


def shipped_spec(d: dict) -> vision.RunSpec:
    """RunSpec from its to_dict() form (JSON turned its tuples into lists)."""
    model = vision.ModelSpec(**{**d["model"], "hidden": tuple(d["model"]["hidden"])})
    return vision.RunSpec(**{**d, "augment": tuple(d["augment"]), "model": model, "train": TrainConfig(**d["train"])})


def _replay(S: State, kind: str, data):
    """Instructor mode: the run shipped in assets/runs/<kind>.* restored as `_start` leaves a run (model in
    session_state), its metrics replayed; the test analysis arrives at the end, as after training."""
    import torch

    from core.data import make_transform
    from core.train import StepMetrics

    record, folder = load_run(kind)
    spec = shipped_spec(record["spec"])
    if data.name != spec.dataset:
        raise UserError("class.replay_dataset", spec.dataset, dataset=t(f"vis.ds.{spec.dataset}"))
    saved = torch.load(folder / f"{kind}.pt", map_location="cpu", weights_only=True)
    model = vision.build_model(spec.model, data.shape, len(data.classes))
    model.load_state_dict(saved["state_dict"])
    eval_tf = make_transform(("normalize",), data.shape) if "normalize" in spec.augment else None
    run = VisionRun(spec, model, data.classes, data.shape, eval_tf)
    runs = S.get("runs")  # captured here: the worker thread must never touch st.session_state

    def finish():
        run.history = record["history"]
        run.analysis = vision.Analysis(**record["analysis"], preds=saved["preds"].long(), labels=saved["labels"].long(),
                                       probs=saved["probs"].float())
        runs.append({"spec": spec, "history": list(run.history), "final": record["final"]})

    S.set("run", run)
    return replayer([StepMetrics(**m) for m in record["metrics"]], finish)


def _live(S: State, job: Job) -> None:
    metrics = list(job.metrics)
    if not metrics:
        if job.running:
            st.info(t("common.running"))
        return
    last = metrics[-1]
    st.progress(last.step / last.total_steps, text=t("vis.progress", epoch=last.epoch, step=last.step,
                                                      total=last.total_steps, eta=f"{last.eta:.0f}",
                                                      speed=f"{last.throughput:.0f}"))
    steps = [m for m in metrics if m.kind == "step"]
    epochs = [m for m in metrics if m.kind == "epoch"]
    stride = max(1, len(steps) // 400)  # keep the chart light on long runs
    loss_series = {t("vis.batch_loss"): ([m.step for m in steps[::stride]], [m.loss for m in steps[::stride]])}
    acc_series = {}
    if epochs:
        loss_series[t("vis.train_epoch")] = ([m.step for m in epochs], [m.loss for m in epochs])
        loss_series[t("vis.val")] = ([m.step for m in epochs], [m.val_loss for m in epochs])
        acc_series = {t("vis.train_epoch"): ([m.epoch for m in epochs], [m.acc for m in epochs]),
                      t("vis.val"): ([m.epoch for m in epochs], [m.val_acc for m in epochs])}
    c1, c2 = st.columns(2)
    c1.plotly_chart(line_chart(loss_series, x_title=t("gd.step"), y_title="loss", title=t("vis.loss_chart")),
                    key="vis.loss")
    if acc_series:
        c2.plotly_chart(line_chart(acc_series, x_title="epoch", y_title="accuracy", title=t("vis.acc_chart")),
                        key="vis.acc")
    if last.stopped and not job.running:
        st.info(t("vis.stopped", epoch=last.epoch, step=last.step))


# ---- after training -----------------------------------------------------------------------------------------
def results_section(S: State, kind: str, run: VisionRun, data, extra=None) -> None:
    a = run.analysis if run is not None else None
    if a is None:
        return
    import plotly.express as px

    st.subheader(t("vis.step_results"))
    metric_columns([(t("vis.test_acc"), f"{a.test_acc:.3f}"), (t("vis.test_loss"), f"{a.test_loss:.3f}"),
                    (t("vis.epochs_done"), len(run.history))])
    c1, c2 = st.columns([3, 2])
    fig = px.imshow(a.confusion, x=run.classes, y=run.classes, text_auto=True, color_continuous_scale="Blues",
                    labels=dict(x=t("vis.pred"), y=t("vis.true"), color="n"), title=t("vis.confusion"))
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=40, b=10))
    c1.plotly_chart(fig, key=f"{kind}.cm")
    bar = px.bar(x=a.per_class, y=run.classes, orientation="h", range_x=[0, 1], title=t("vis.per_class"),
                 labels=dict(x="accuracy", y=""))
    bar.update_layout(height=460, margin=dict(l=10, r=10, t=40, b=10), yaxis=dict(autorange="reversed"))
    c2.plotly_chart(bar, key=f"{kind}.pc")
    wrong = vision.misclassified(a)
    if wrong:
        st.markdown(f"**{t('vis.mistakes')}**")
        st.image([to_img(data.x_test[i]) for i in wrong], width=84,
                 caption=[f"{run.classes[int(a.preds[i])]} ✗ ({run.classes[int(a.labels[i])]})" for i in wrong])
    _predict_box(kind, run, data)
    if extra is not None:
        extra(run, data)
    st.download_button(t("vis.download_weights"), lambda: vision.state_dict_bytes(run.model),  # built on click only
                       f"{kind}_{run.spec.model.arch}.pt", icon="💾")
    up = st.file_uploader(t("vis.load_weights"), type=["pt", "pth"], key=f"{kind}.load")
    if up is not None and st.button(t("vis.load_apply"), key=f"{kind}.load_btn"):
        try:
            vision.load_state_dict_bytes(run.model, up.getvalue())
            run.analysis = vision.analyse(run.model, data.x_test, data.y_test, len(run.classes), run.eval_tf)
            st.success(t("vis.loaded"))
        except UserError as exc:
            show_user_error(exc)


def _predict_box(kind: str, run: VisionRun, data) -> None:
    import plotly.express as px

    from core.data import load_image

    st.markdown(f"**{t('vis.try')}**")
    c1, c2 = st.columns([1, 2])
    up = c1.file_uploader(t("vis.try_upload"), type=["png", "jpg", "jpeg", "bmp", "webp"], key=f"{kind}.try")
    idx = c1.number_input(t("vis.try_index"), 0, len(data.x_test) - 1, 0, key=f"{kind}.try_idx")
    image = data.x_test[int(idx)]
    if up is not None:
        try:
            image = load_image(up.getvalue(), run.shape[1], run.shape[0])
        except UserError as exc:  # a pixel bomb: the test image stays the one picked below
            show_user_error(exc)
        except (OSError, ValueError):  # PIL: not an image, or a truncated one
            st.error(t("vis.not_image"))
    c1.image(to_img(image), width=140)
    top = vision.predict_topk(run.model, image, 3, run.eval_tf)
    fig = px.bar(x=[p for _, p in top], y=[run.classes[i] for i, _ in top], orientation="h", range_x=[0, 1],
                 labels=dict(x=t("vis.prob"), y=""))
    fig.update_layout(height=220, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(autorange="reversed"))
    c2.plotly_chart(fig, key=f"{kind}.top3")
    st.session_state[f"{kind}.probe"] = image


def precision_lesson(S: State) -> None:
    """Time per step and validation accuracy for each model · precision tried this session, side by side."""
    tried = S.get("precisions")
    if not tried:
        return
    import plotly.express as px

    from core.train import bf16_support

    st.subheader(t("precision.lesson"))
    names = list(tried)
    c1, c2 = st.columns(2)
    for col, title, values, key in ((c1, t("precision.ms_step"), [1000 * s for s, _ in tried.values()], "ms"),
                                    (c2, t("precision.val_acc"), [a for _, a in tried.values()], "acc")):
        fig = px.bar(x=names, y=values, title=title, labels=dict(x="", y=""), text_auto=".3g")
        fig.update_layout(height=280, margin=dict(l=10, r=10, t=40, b=10))
        col.plotly_chart(fig, key=f"{S.ns}.prec.{key}")
    _, reason, name = bf16_support("cpu")
    st.caption(t("precision.why_range") + " " + t(reason, name=name))
    if len(names) == 1:
        st.caption(t("precision.try_other"))


def runs_section(S: State) -> None:
    runs = S.get("runs")
    if not runs:
        return
    st.subheader(t("vis.runs"))
    rows = []
    series = {}
    for i, r in enumerate(runs, 1):
        s = r["spec"]
        label = f"#{i} {s.model.arch} d={s.model.dropout} lr={s.train.lr}"
        rows.append({"#": i, "model": s.model.arch, "dropout": s.model.dropout, "lr": s.train.lr,
                     "optimizer": s.train.optimizer, "precision": s.train.precision, "epochs": len(r["history"]),
                     "seed": s.train.seed,
                     "augment": ",".join(s.augment) or "-", "test_acc": round(r["final"]["test_acc"], 4)})
        series[label] = ([h["epoch"] for h in r["history"]], [h["val_acc"] for h in r["history"]])
    st.dataframe(rows, hide_index=True)
    st.plotly_chart(line_chart(series, x_title="epoch", y_title="val accuracy", title=t("vis.compare")),
                    key=f"{S.ns}.compare")
