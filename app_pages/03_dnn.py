"""Day 3: train an MLP on Fashion-MNIST with live charts, Stop, analysis and run comparison."""
import streamlit as st

from core import vision
from core.errors import UserError
from ui.i18n import t
from ui.vision import vision_page
from ui.widgets import header


def model_section() -> vision.ModelSpec:
    """Hidden layers, activation, dropout and BatchNorm of the MLP."""
    c1, c2, c3, c4 = st.columns(4)
    hidden_text = c1.text_input(t("vis.hidden"), "256,128", key="dnn.hidden", help=t("vis.hidden_help"))
    try:
        hidden = vision.parse_hidden(hidden_text)
    except UserError:
        st.warning(t("vis.bad_hidden"))
        hidden = (256, 128)
    return vision.ModelSpec("mlp", hidden, c2.selectbox(t("vis.activation"), ["relu", "gelu", "tanh", "sigmoid"],
                                                        key="dnn.act"),
                            c3.slider(t("vis.dropout"), 0.0, 0.7, 0.0, 0.05, key="dnn.dropout"),
                            c4.toggle("BatchNorm", key="dnn.bn"))


header("page.dnn")
st.caption(t("dnn.intro"))
vision_page("dnn", model_section)
