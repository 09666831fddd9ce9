"""Day 8: a DCGAN you can watch learn, a latent walk, the mode-collapse switch, and synthetic data vs
augmentation as a measured result."""
from __future__ import annotations

import dataclasses

import streamlit as st

from core import gan, runs, synthetic
from core.data import FASHION_CLASSES
from core.errors import UserError
from ui.i18n import t
from ui.jobs import job_panel, metrics_so_far
from ui.resources import asset_registry, fashion_mnist
from ui.state import State, session_runs_dir
from ui.widgets import header, line_chart, metric_columns, show_code, show_user_error

S = State("gan")
SCALE = {"digits": 6, "fashion_mnist": 2}  # pixels per image pixel in the grids


def class_names(dataset: str) -> list[str]:
    return FASHION_CLASSES if dataset == "fashion_mnist" else [str(i) for i in range(10)]


@st.cache_resource(show_spinner=False)
def shipped_generator(dataset: str):
    return gan.load_generator(gan.weights_path(dataset))


@st.cache_resource(show_spinner=False)
def training_data(dataset: str):
    if dataset == "fashion_mnist":  # the process's one copy, shared with the other pages
        return fashion_mnist().x_train, fashion_mnist().y_train
    return gan.load_data(dataset)


def fashion_root() -> str:
    """Where the exported script finds Fashion-MNIST: the app's prepared copy, or ./data (download on Colab)."""
    try:
        return str(asset_registry().path("fashion_mnist").parent.parent)
    except UserError:  # not prepared here: the script's own download path still works
        return "data"


def show_grid(images, dataset: str, caption: str | None = None, nrow: int = 8) -> None:
    st.image(gan.grid(images, nrow, SCALE[dataset]), caption=caption)


# ---- pretrained generator --------------------------------------------------------------------------------------
def samples_tab() -> None:
    # the page opens on clothes, which look like something from across a classroom; training starts on digits
    dataset = st.radio(t("gan.dataset"), gan.DATASETS, format_func=lambda d: t(f"gan.ds.{d}"), horizontal=True,
                       index=gan.DATASETS.index("fashion_mnist"), key="gan.pre_ds")
    try:
        G, cfg = shipped_generator(dataset)
    except UserError as exc:
        show_user_error(exc)
        return
    kind = "gan.kind.conditional" if cfg.conditional else "gan.kind.plain"
    st.caption(t("gan.shipped_info", kind=t(kind), epochs=cfg.epochs))
    names = class_names(dataset)
    c1, c2 = st.columns(2)
    seed = int(c1.number_input(t("gan.sample_seed"), 0, 10_000, 0, key="gan.pre_seed"))
    labels = None
    if cfg.conditional:
        choice = c2.selectbox(t("gan.class"), [-1, *range(10)], key="gan.pre_class",
                              format_func=lambda i: t("gan.all_classes") if i < 0 else names[i])
        labels = choice if choice >= 0 else None
    show_grid(gan.generate(G, 64, seed, labels), dataset)

    st.subheader(t("gan.walk"))
    st.caption(t("gan.walk_help"))
    c = st.columns(4)
    seed_a = int(c[0].number_input(t("gan.seed_a"), 0, 10_000, 1, key="gan.walk_a"))
    seed_b = int(c[1].number_input(t("gan.seed_b"), 0, 10_000, 2, key="gan.walk_b"))
    steps = c[2].slider(t("gan.walk_steps"), 2, 16, 10, key="gan.walk_steps")
    mode = c[3].radio(t("gan.walk_mode"), ["slerp", "lerp"], format_func=lambda m: t(f"gan.mode.{m}"),
                      key="gan.walk_mode", help=t("gan.walk_mode_help"))
    label_a = label_b = 0
    if cfg.conditional:
        c = st.columns(2)
        label_a = c[0].selectbox(t("gan.label_a"), range(10), format_func=names.__getitem__, key="gan.walk_la")
        label_b = c[1].selectbox(t("gan.label_b"), range(10), 7, format_func=names.__getitem__, key="gan.walk_lb")
    show_grid(gan.latent_walk(G, seed_a, seed_b, steps, mode, label_a, label_b), dataset, nrow=steps)


# ---- training ------------------------------------------------------------------------------------------------
def train_settings() -> gan.GANConfig:
    dataset = st.radio(t("gan.dataset"), gan.DATASETS, format_func=lambda d: t(f"gan.ds.{d}"), horizontal=True,
                       key="gan.ds")
    c = st.columns(4)
    latent = c[0].select_slider(t("gan.latent_dim"), [8, 16, 32, 64, 100], 32, key="gan.latent")
    width = c[1].select_slider(t("gan.width"), [8, 16, 32, 64], 32, key="gan.width")
    g_lr = c[2].select_slider(t("gan.g_lr"), [5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3], 2e-4, key="gan.g_lr")
    d_lr = c[3].select_slider(t("gan.d_lr"), [5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3], 2e-4, key="gan.d_lr")
    c = st.columns(4)
    epochs = c[0].slider(t("gan.epochs"), 1, 50, 10 if dataset == "digits" else 1, key=f"gan.epochs.{dataset}")
    subset = c[1].select_slider(t("gan.subset"), [0, 1000, 5000, 10000, 20000], 0 if dataset == "digits" else 5000,
                                key=f"gan.subset.{dataset}")
    every = c[2].select_slider(t("gan.sample_every"), [5, 10, 25, 50, 100], 10 if dataset == "digits" else 25,
                               key="gan.every")
    seed = int(c[3].number_input(t("common.seed"), 0, 10_000, 0, key="gan.seed"))
    c = st.columns(3)
    batchnorm = c[0].toggle(t("gan.batchnorm"), True, key="gan.bn")
    conditional = c[1].toggle(t("gan.conditional"), False, key="gan.cond")
    collapse = c[2].toggle(t("gan.collapse"), False, key="gan.collapse", help=t("gan.collapse_help"))
    cfg = gan.GANConfig(dataset, latent, width, conditional, batchnorm, g_lr, d_lr, epochs=epochs, subset=subset,
                        sample_every=every, seed=seed)
    if collapse:
        cfg = cfg.collapsed()
        st.warning(t("gan.collapse_on", g_lr=cfg.g_lr, g_steps=cfg.g_steps), icon="💥")
    if dataset == "fashion_mnist" and subset == 0:
        st.caption(t("gan.fashion_slow"))
    return cfg


def train_tab() -> None:
    cfg = train_settings()

    def start():
        cfg.validate()
        x, y = training_data(cfg.dataset)
        G, D = gan.build(cfg)
        S.set("model", (G, cfg))  # kept from the first step: Stop never loses the generator
        # made here: the worker thread must not touch Streamlit (session_runs_dir reads the session)
        recorder = runs.Recorder(session_runs_dir(), "gan", f"{'cgan' if cfg.conditional else 'dcgan'}-{cfg.dataset}",
                                 dataclasses.asdict(cfg), seed=cfg.seed, data=(x, y))

        def work(stop):
            yield from recorder.track(gan.train(G, D, x, y, cfg, stop), gan.history_row)
            recorder.save(stop_event=stop)

        return work

    job_panel(S.key("job"), t("gan.train"), start, live_training, done_training, button_key="gan.train",
              icon="🎲")
    show_code(gan.script(cfg, fashion_root()), f"dcgan_{cfg.dataset}.py")


def live_training(job) -> None:
    metrics = metrics_so_far(job)
    if not metrics:
        return
    last = metrics[-1]
    st.progress(last.step / last.total_steps, text=t("gan.progress", epoch=last.epoch, step=last.step,
                                                      total=last.total_steps, eta=f"{last.eta:.0f}"))
    steps = [m.step for m in metrics]
    c1, c2 = st.columns(2)
    with c1:
        st.plotly_chart(line_chart({t("gan.d_loss"): (steps, [m.d_loss for m in metrics]),
                                    t("gan.g_loss"): (steps, [m.g_loss for m in metrics])},
                                   x_title=t("gan.step"), y_title=t("gan.loss"), title=t("gan.losses")),
                        key="gan.loss_chart")
        st.plotly_chart(line_chart({t("gan.d_real"): (steps, [m.d_real for m in metrics]),
                                    t("gan.d_fake"): (steps, [m.d_fake for m in metrics])},
                                   x_title=t("gan.step"), y_title=t("gan.prob"), title=t("gan.probs")),
                        key="gan.prob_chart")
        st.caption(t("gan.probs_hint"))
    grids = [m for m in metrics if m.samples is not None]
    with c2:
        if grids:
            _, cfg = S.get("model")
            show_grid(grids[-1].samples, cfg.dataset, t("gan.grid_at", step=grids[-1].step))
            st.plotly_chart(line_chart({t("gan.diversity"): ([m.step for m in grids],
                                                             [m.diversity for m in grids])},
                                       x_title=t("gan.step"), y_title=t("gan.diversity"),
                                       title=t("gan.diversity_chart"), height=240), key="gan.div_chart")


def done_training(job) -> None:
    grids = [m for m in job.metrics if m.diversity is not None]
    if not grids or S.get("model") is None:
        return
    _, cfg = S.get("model")
    x, _ = training_data(cfg.dataset)
    real = gan.diversity(x[:64])
    ratio = grids[-1].diversity / real
    st.subheader(t("gan.result"))
    metric_columns([(t("gan.real_div"), f"{real:.2f}"), (t("gan.final_div"), f"{grids[-1].diversity:.2f}")])
    (st.error if ratio < 0.35 else st.success)(t("gan.collapsed" if ratio < 0.35 else "gan.healthy", ratio=ratio))
    st.caption(t("gan.run_saved"))


# ---- synthetic data and augmentation -----------------------------------------------------------------------------
def synthetic_tab() -> None:
    c = st.columns(4)
    n = c[0].select_slider(t("syn.n_labelled"), [100, 200, 500, 1000, 2000], 500, key="syn.n")
    n_syn = c[1].select_slider(t("syn.n_synthetic"), [500, 1000, 2000, 5000], 2000, key="syn.nsyn")
    epochs = c[2].slider(t("syn.epochs"), 1, 30, 10, key="syn.epochs")
    seed = int(c[3].number_input(t("common.seed"), 0, 10_000, 0, key="syn.seed"))
    st.caption(t("syn.intro", n=n))
    arms = st.multiselect(t("syn.arms"), synthetic.ARMS, synthetic.ARMS, format_func=lambda a: t(f"syn.arm.{a}"),
                          key="syn.arms")
    cfg = synthetic.SynthConfig(n_labelled=n, n_synthetic=n_syn, epochs=epochs, seed=seed, arms=tuple(arms))

    def start():
        cfg.validate()
        G = shipped_generator("fashion_mnist")[0] if "gan" in cfg.arms else None
        data = fashion_mnist()
        S.set("syn_cfg", cfg)
        recorders = {arm: runs.Recorder(session_runs_dir(), "synthetic", f"{arm}-{cfg.n_labelled}",
                                        dataclasses.asdict(cfg) | {"arm": arm}, seed=cfg.seed) for arm in cfg.arms}

        def work(stop):
            steps = []
            for s in synthetic.run_arms(data, cfg, G, stop):
                steps.append(s)
                yield s
            for arm, (epochs_done, accs) in synthetic.curves(steps).items():  # one run per arm
                for e, a in zip(epochs_done, accs):
                    recorders[arm].record({"epoch": e, "val_acc": a})
                recorders[arm].save(synthetic.summary(steps)[arm], stop)

        return work

    job_panel(S.key("syn_job"), t("syn.start"), start, live_synthetic, done_synthetic, button_key="syn.start",
              icon="🧪", disabled=not arms)


def live_synthetic(job) -> None:
    steps = metrics_so_far(job)
    if not steps:
        return
    last = steps[-1]
    m = last.metrics
    st.progress(m.step / m.total_steps, text=t("syn.progress", arm=t(f"syn.arm.{last.arm}"), epoch=m.epoch,
                                               step=m.step, total=m.total_steps))
    cfg = S.get("syn_cfg")
    series = {t(f"syn.arm.{arm}"): xy for arm, xy in synthetic.curves(steps).items()}
    if series:
        st.plotly_chart(line_chart(series, x_title=t("syn.epoch"), y_title=t("syn.acc"),
                                   title=t("syn.chart", n=cfg.n_val)), key="syn.chart")


def done_synthetic(job) -> None:
    summary = synthetic.summary(list(job.metrics))
    if not summary:
        return
    base = summary.get("none", {}).get("best_val_acc")
    cols = st.columns(len(summary))
    for col, (arm, s) in zip(cols, summary.items()):
        delta = f"{s['best_val_acc'] - base:+.1%} {t('syn.gain')}" if base is not None and arm != "none" else None
        col.metric(f"{t(f'syn.arm.{arm}')} · {t('syn.best')}", f"{s['best_val_acc']:.1%}", delta)
    st.info(t("syn.lesson", n=S.get("syn_cfg").n_labelled), icon="💡")


header("page.gan")
st.caption(t("gan.intro"))
tab_samples, tab_train, tab_syn = st.tabs([t("gan.tab.samples"), t("gan.tab.train"), t("gan.tab.synthetic")])
with tab_samples:
    samples_tab()
with tab_train:
    train_tab()
with tab_syn:
    synthetic_tab()
