"""Day 7: train a small Vision Transformer, look inside it (patches, embeddings, attention, rollout) and compare it
with a CNN of the same parameter count trained on the same data."""
import numpy as np
import plotly.express as px
import streamlit as st

from core import vision, vit
from core.errors import UserError
from core.jobs import Job
from core.train import TrainConfig, fit
from ui.i18n import t
from ui.jobs import job_panel
from ui.state import State
from ui.vision import builtin_data, to_img
from ui.widgets import header, line_chart, metric_columns, precision_select, show_user_error

S = State("vit")
MODELS = ("vit", "cnn")


def data_section():
    """(ImageData, subset) or None with the reason shown."""
    name = st.selectbox(t("vis.dataset"), ["fashion_mnist", "digits", "cifar10"],
                        format_func=lambda o: t(f"vis.ds.{o}"), key="vit.ds")
    data = builtin_data(name)
    if data is None:
        return None
    n = len(data.x_train)
    subset = st.slider(t("vis.subset"), min(100, n), n, min(6000, n), step=100 if n > 1000 else 10,
                       key=f"vit.subset.{name}", help=t("vis.subset_help"))
    return data, subset


def model_section(data):
    """ViTSpec and training settings; defaults per dataset (patch 7 on 28×28, patch 4 on small images)."""
    side = data.shape[1]
    sizes = [p for p in range(2, side // 2 + 1) if side % p == 0]
    small = side < 16
    c1, c2, c3, c4 = st.columns(4)
    patch = c1.selectbox(t("vit.patch"), sizes, index=sizes.index(7 if 7 in sizes else 4), key=f"vit.patch.{side}",
                         help=t("vit.patch_help"))
    dim = c2.select_slider(t("vit.dim"), [16, 32, 64, 96, 128], 32 if small else 64, key=f"vit.dim.{side}")
    depth = c3.slider(t("vit.depth"), 1, 8, 2 if small else 4, key=f"vit.depth.{side}")
    heads = c4.select_slider(t("vit.heads"), [1, 2, 4, 8], 2 if small else 4, key=f"vit.heads.{side}")
    c5, c6, c7 = st.columns(3)
    epochs = c5.slider(t("vis.epochs"), 1, 20, 5 if small else 2, key=f"vit.epochs.{side}")
    lr = c6.select_slider(t("gd.lr"), [3e-4, 1e-3, 2e-3, 3e-3, 5e-3], 3e-3 if small else 2e-3, key=f"vit.lr.{side}")
    seed = int(c7.number_input(t("common.seed"), 0, 10_000, 42, key="vit.seed"))
    spec = vit.ViTSpec(patch, dim, depth, heads)
    return spec, TrainConfig(epochs=epochs, lr=lr, optimizer="adamw", weight_decay=0.05, schedule="cosine", seed=seed)


def _start(spec, cfg, data, subset, compare):
    from core.data import loaders

    split, model, cnn = vision.setup_vit(spec, data, subset, cfg.seed, compare)
    result = {"models": {"vit": model, "cnn": cnn}, "history": {m: [] for m in MODELS}, "test": {},
              "classes": data.classes, "data": data.name}
    S.set("result", result)  # the models live in session_state from the first step: Stop never loses them

    def work(stop):
        for name in MODELS:
            net = result["models"][name]
            if net is None or stop.is_set():
                continue
            train_loader, val_loader = loaders(split, 64, cfg.seed)  # the same batches for both models
            for m in fit(net, train_loader, val_loader, cfg, stop):
                if m.kind == "epoch":
                    result["history"][name].append((m.epoch, m.val_acc))
                yield name, m
            if result["history"][name]:
                result["test"][name] = vision.analyse(net, data.x_test, data.y_test, len(data.classes)).test_acc

    return work


def _live(job: Job) -> None:
    metrics = list(job.metrics)
    if not metrics:
        if job.running:
            st.info(t("common.running"))
        return
    name, last = metrics[-1]
    st.progress(last.step / last.total_steps, text=t("vit.progress", model=t(f"vit.model.{name}"), epoch=last.epoch,
                                                      step=last.step, total=last.total_steps, eta=f"{last.eta:.0f}"))
    loss, acc = {}, {}
    for model in MODELS:
        steps = [m for n, m in metrics if n == model and m.kind == "step"]
        epochs = [m for n, m in metrics if n == model and m.kind == "epoch"]
        stride = max(1, len(steps) // 300)
        if steps:
            loss[t(f"vit.model.{model}")] = ([m.step for m in steps[::stride]], [m.loss for m in steps[::stride]])
        if epochs:
            acc[t(f"vit.model.{model}")] = ([m.epoch for m in epochs], [m.val_acc for m in epochs])
    c1, c2 = st.columns(2)
    c1.plotly_chart(line_chart(loss, x_title=t("gd.step"), y_title="loss", title=t("vit.loss_chart")), key="vit.loss")
    if acc:
        c2.plotly_chart(line_chart(acc, x_title="epoch", y_title="val accuracy", title=t("vit.compare_chart")),
                        key="vit.compare")
    if last.stopped and not job.running:
        st.info(t("vis.stopped", epoch=last.epoch, step=last.step))


def results(data) -> None:
    """Test accuracy of both models, then the trained ViT from the inside."""
    result = S.get("result")
    if result is None or "vit" not in result["test"] or result["data"] != data.name:
        return
    st.subheader(t("vit.results"))
    cards = []
    for name in MODELS:
        if name in result["test"]:
            label = t(f"vit.model.{name}")
            cards += [(t("vit.test_acc", model=label), f"{result['test'][name]:.3f}"),
                      (t("vit.params", model=label), f"{vision.param_counts(result['models'][name])[0]:,}")]
    metric_columns(cards)
    inside(result["models"]["vit"], data, result["classes"])


def inside(model, data, classes) -> None:
    st.subheader(t("vit.inside"))
    idx = int(st.number_input(t("vit.image_idx"), 0, len(data.x_test) - 1, 0, key="vit.idx"))
    image = data.x_test[idx]
    rows, cols = model.grid

    st.markdown(f"**{t('vit.patches_title')}**")
    st.caption(t("vit.patches_help"))
    c1, c2 = st.columns([1, 3])
    c1.image(to_img(image), width=140, caption=classes[int(data.y_test[idx])])
    c2.image([to_img(p) for p in vit.patches(image, model.patch)], width=max(24, 160 // cols),
             caption=[str(i) for i in range(rows * cols)])

    emb = vit.patch_embeddings(model, image).numpy()
    fig = px.imshow(emb, aspect="auto", color_continuous_scale="RdBu_r", color_continuous_midpoint=0,
                    labels=dict(x="dim", y="patch", color=""), title=t("vit.embed_title"))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=40, b=10))
    st.plotly_chart(fig, key="vit.embed")
    st.caption(t("vit.embed_help"))

    sim = vit.position_similarity(model).numpy()  # rows × cols × rows × cols
    tiled = np.full((rows * (rows + 1) - 1, cols * (cols + 1) - 1), np.nan)  # one small map per position, gaps
    for r in range(rows):
        for c in range(cols):
            tiled[r * (rows + 1):r * (rows + 1) + rows, c * (cols + 1):c * (cols + 1) + cols] = sim[r, c]
    fig = px.imshow(tiled, color_continuous_scale="Viridis", zmin=-1, zmax=1, title=t("vit.pos_title"))
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10))
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    st.plotly_chart(fig, key="vit.pos")
    st.caption(t("vit.pos_help"))

    maps = vit.attention_maps(model, image)
    layer = st.slider(t("vit.layer"), 1, maps.shape[0], maps.shape[0], key="vit.layer")
    cls = vit.cls_attention(maps, model.grid)[layer - 1].numpy()  # heads × rows × cols
    fig = px.imshow(cls, facet_col=0, color_continuous_scale="Viridis", title=t("vit.attn_title", layer=layer))
    fig.for_each_annotation(lambda a: a.update(text=f"head {int(a.text.split('=')[-1]) + 1}"))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=60, b=10))
    st.plotly_chart(fig, key="vit.attn")
    st.caption(t("vit.attn_help"))

    st.markdown(f"**{t('vit.rollout_title')}**")
    st.caption(t("vit.rollout_help"))
    picks = range(idx, min(idx + 8, len(data.x_test)))
    preds = [vision.predict_topk(model, data.x_test[i], 1)[0][0] for i in picks]
    st.image([_overlay(data.x_test[i], vit.rollout(vit.attention_maps(model, data.x_test[i]), model.grid).numpy(),
                       model.patch) for i in picks], width=120,
             caption=[f"{classes[p]} {'✓' if p == int(data.y_test[i]) else '✗'}" for i, p in zip(picks, preds)])


def _overlay(image, mask, patch: int):
    """The image in grey with the rollout map (rows × cols, upsampled to pixels) in red over it."""
    gray = to_img(image)
    gray = gray.mean(-1) if gray.ndim == 3 else gray
    heat = np.kron(mask / (mask.max() + 1e-8), np.ones((patch, patch)))
    return np.clip(np.stack([0.5 * gray + 0.6 * heat, 0.5 * gray, 0.5 * gray + 0.2 * (1 - heat)], -1), 0, 1)


header("page.vit")
st.caption(t("vit.intro"))
st.caption(t("vit.speed_note"))
got = data_section()
if got is not None:
    data, subset = got
    spec, cfg = model_section(data)
    try:
        preview = vit.build(spec, data.shape, len(data.classes))
    except UserError as exc:
        show_user_error(exc)
        preview = None
    if preview is not None:
        rows, cols = preview.grid
        st.caption(t("vit.tokens", rows=rows, cols=cols, n=rows * cols, p=spec.patch, tokens=rows * cols + 1,
                     params=f"{vision.param_counts(preview)[0]:,}"))
        cfg.precision = precision_select("vit.precision", model=preview)
        compare = st.toggle(t("vit.compare"), True, key="vit.compare_on", help=t("vit.compare_help"))
        job_panel("vit.job", t("vit.train"), lambda: _start(spec, cfg, data, subset, compare), _live,
                  lambda job: results(data), button_key="vit.train")
