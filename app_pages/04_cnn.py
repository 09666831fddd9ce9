"""Day 4: LeNet / VGG / ResNet and transfer learning, with learned filters and feature maps."""
import streamlit as st

from ui.i18n import t
from ui.vision import vision_page
from ui.widgets import header

header("page.cnn")
st.caption(t("cnn.intro"))
vision_page("cnn")
