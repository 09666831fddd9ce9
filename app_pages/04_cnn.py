"""Day 4: LeNet / VGG / ResNet and transfer learning, with learned filters and feature maps."""
import streamlit as st

from core import vision
from ui.i18n import t
from ui.vision import VisionRun, to_img, vision_page
from ui.widgets import header


def model_section() -> vision.ModelSpec:
    """Architecture, width, dropout and (for EfficientNet) how many blocks to fine-tune."""
    c1, c2, c3, c4 = st.columns(4)
    arch = c1.selectbox(t("vis.arch"), vision.CNN_ARCHS, format_func=lambda a: t(f"vis.arch.{a}"), key="cnn.arch")
    width = c2.select_slider(t("vis.width"), [8, 16, 32, 64], 32, key="cnn.width",
                             disabled=arch in ("lenet", "efficientnet"))
    dropout = c3.slider(t("vis.dropout"), 0.0, 0.7, 0.0, 0.05, key="cnn.dropout")
    finetune = c4.slider(t("vis.finetune"), 0, 4, 0, key="cnn.ft", disabled=arch != "efficientnet",
                         help=t("vis.finetune_help"))
    if arch == "efficientnet":
        st.caption(t("vis.transfer_note"))
    return vision.ModelSpec(arch, dropout=dropout, batchnorm=True, width=width, finetune_blocks=finetune)


def feature_maps(run: VisionRun, data) -> None:
    """The first conv layer's filters and every conv block's feature maps for the probed image."""
    image = st.session_state.get("cnn.probe", data.x_test[0])
    with st.expander(t("vis.filters_maps"), icon="🔍", expanded=True):
        w = vision.first_conv_filters(run.model)
        if w is not None:
            st.markdown(f"**{t('vis.filters')}** `{tuple(w.shape)}`")
            st.image([to_img(f[:3] if f.shape[0] >= 3 else f[:1]) for f in w[:32]], width=48)
        x = run.eval_tf(image.unsqueeze(0))[0] if run.eval_tf is not None else image
        for name, fmap in vision.feature_maps(run.model, x):
            st.markdown(f"`{name}` → {tuple(fmap.shape)}")
            st.image([to_img(c.unsqueeze(0)) for c in fmap[:16]], width=64)


header("page.cnn")
st.caption(t("cnn.intro"))
vision_page("cnn", model_section, feature_maps)
