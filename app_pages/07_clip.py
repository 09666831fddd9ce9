"""Day 7: the CLIP idea — images and Korean/English captions in one space, trained here as a small dual encoder."""
from __future__ import annotations

import streamlit as st

from core.errors import UserError
from ui.i18n import current_language, t
from ui.jobs import job_panel
from ui.resources import embedder, fashion_mnist
from ui.state import State
from ui.widgets import header, line_chart, metric_columns, show_user_error

S = State("clip")


def _start(steps: int, lr: float):
    from core import clip as C

    data = fashion_mnist()
    model = C.DualEncoder(embedder("e5"))
    S.set("model", model)  # a Stop keeps what was trained so far
    cfg = C.ClipConfig(steps=steps, lr=lr)
    x_eval, y_eval = data.x_test[:1000], data.y_test[:1000]
    return lambda stop: C.train(model, data.x_train, data.y_train, cfg, x_eval, y_eval, 50, stop)


def _live(job) -> None:
    if not job.metrics:
        return
    steps = [m.step for m in job.metrics]
    evals = [(m.step, m.zero_shot) for m in job.metrics if m.zero_shot is not None]
    st.plotly_chart(line_chart({"InfoNCE loss": (steps, [m.loss for m in job.metrics])}, x_title="step",
                               y_title="loss", height=260), key="clip.loss_chart")
    if evals:
        st.caption(t("clip.zero_shot_now", acc=f"{evals[-1][1]:.1%}", step=evals[-1][0]))


def _results(job) -> None:
    import plotly.express as px

    from core import clip as C

    model = S.get("model")
    if model is None or not job.metrics:
        return
    data = fashion_mnist()
    x, y = data.x_test[:1000], data.y_test[:1000]
    st.subheader(t("clip.zero_shot"))
    metric_columns([(t("clip.acc_ko"), f"{model.zero_shot(x, y, lang='ko'):.1%}"),
                    (t("clip.acc_en"), f"{model.zero_shot(x, y, lang='en'):.1%}"),
                    (t("clip.acc_both"), f"{model.zero_shot(x, y):.1%}"), (t("clip.chance"), "10%")])
    st.caption(t("clip.heldout_help", templates=" · ".join(C.HELDOUT_TEMPLATES["ko"] + C.HELDOUT_TEMPLATES["en"])))
    st.subheader(t("clip.matrix"))
    names = C.CLASSES_KO if current_language() == "ko" else C.CLASSES_EN
    tpl = C.HELDOUT_TEMPLATES["ko" if current_language() == "ko" else "en"][0]
    first = [int((y == c).nonzero()[0]) for c in range(10)]
    sim = model.similarity(x[first], [tpl.format(n) for n in names])
    fig = px.imshow(sim, x=names, y=names, color_continuous_scale="Viridis", text_auto=".2f", aspect="auto",
                    labels=dict(x=t("clip.captions"), y=t("clip.images"), color="cos"))
    st.plotly_chart(fig, key="clip.matrix_chart")
    st.subheader(t("clip.search"))
    query = st.text_input(t("clip.query"), t("clip.query_default"), key=S.key("query"))
    try:
        hits = model.search(query, x[:500], k=8)
        st.caption(t("clip.found", classes=", ".join(names[int(y[i])] for i, _ in hits)))
        cols = st.columns(8)
        for col, (i, score) in zip(cols, hits):
            col.image(x[i, 0].numpy(), caption=f"{names[int(y[i])]} {score:.2f}", clamp=True, width="stretch")
    except UserError as exc:
        show_user_error(exc)
    _own_image(model, names)


def _own_image(model, names) -> None:
    from core import clip as C
    from core.data import load_image

    st.subheader(t("clip.own"))
    up = st.file_uploader(t("clip.upload"), type=["png", "jpg", "jpeg", "webp"], key=S.key("upload"))
    invert = st.checkbox(t("clip.invert"), True, key=S.key("invert"), help=t("clip.invert_help"))
    if up is None:
        return
    try:
        img = load_image(up.getvalue(), 28, 1)
    except UserError as exc:
        show_user_error(exc)
        return
    img = 1 - img if invert else img
    top = C.classify(model, img, "ko" if current_language() == "ko" else "en")
    c1, c2 = st.columns([1, 3])
    c1.image(img[0].numpy(), clamp=True, width=112)
    c2.table({t("clip.class"): [names[i] for i, _ in top], t("clip.prob"): [f"{p:.1%}" for _, p in top]})


def clip_page() -> None:
    st.info(t("clip.what"), icon="ℹ️")
    c1, c2 = st.columns(2)
    steps = c1.slider(t("clip.steps"), 50, 600, 200, 50, key=S.key("steps"))
    lr = c2.select_slider(t("clip.lr"), [1e-3, 3e-3, 1e-2], 3e-3, key=S.key("lr"))
    job_panel(S.key("job"), t("clip.train"), lambda: _start(steps, lr), _live, _results, icon="🔗")


header("page.clip")
st.caption(t("clip.intro"))
clip_page()
