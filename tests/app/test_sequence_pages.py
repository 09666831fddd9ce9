"""Sequence pages in AppTest: a short run updates the chart (with the baseline); CSV uploads are read or explained;
Word2Vec draws its map."""
import pytest

from tests.app.conftest import array, figures, run_job
from ui.strings import KO


def _small_word_rnn(at):
    """The 800 template sentences, word tokens and a narrow network: seconds per epoch, even on a loaded machine."""
    at.selectbox(key="seq.src").set_value("templates").run()
    at.selectbox(key="seq.kind").set_value("word").run()
    at.select_slider(key="seq.embed").set_value(16)
    at.select_slider(key="seq.hidden").set_value(16)
    at.slider(key="seq.maxlen").set_value(16)


def test_short_lstm_run_updates_chart_and_try_box(open_page):
    at = open_page("app_pages/05_sequence.py")
    _small_word_rnn(at)
    at.multiselect(key="seq.cells").set_value(["lstm"])
    at.slider(key="seq.epochs").set_value(2).run()
    job = run_job(at, "seq.train", "seq.job")
    assert [m.epoch for c, m in job.metrics if m.kind == "epoch"] == [1, 2]
    specs = " ".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "TF-IDF" in specs and "LSTM" in specs
    assert any("예측" in m.value for m in at.markdown)  # the try-it box answers
    from core import text_data

    (name, (model, _)), = at.session_state["seq.models"].items()
    ood = text_data.ood()
    gap = next(f for f in figures(at) if f["layout"]["title"]["text"] == KO["sent.gap_chart"])
    bars = {tr["name"]: list(array(tr["y"])) for tr in gap["data"]}
    assert "LSTM" in name and bars[KO["sent.ood"].format(n=len(ood.texts))] == pytest.approx(
        [model.accuracy(ood.texts, ood.labels)])  # the trained LSTM's own score on the OOD sentences


def test_word2vec_trains_and_handles_unknown_word(open_page):
    at = open_page("app_pages/05_word2vec.py")
    at.selectbox(key="w2v.corpus").set_value("shipped_en")
    at.selectbox(key="w2v.tok").set_value("word")
    at.slider(key="w2v.epochs").set_value(5)
    at.button(key="w2v.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    small = KO["w2v.small"].split("{n}")[1]
    assert at.get("plotly_chart") and any(small in w.value for w in at.warning)  # the map, the small-corpus note
    at.text_input(key="w2v.word").input("존재하지않는단어").run()
    assert any("존재하지않는단어" in e.value for e in at.error)


def test_word2vec_default_corpus_offers_examples_and_warns_on_rare_words(open_page):
    from core import text

    at = open_page("app_pages/05_word2vec.py")
    at.slider(key="w2v.epochs").set_value(3)
    at.button(key="w2v.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    model = at.session_state["w2v.model"]
    assert at.text_input(key="w2v.word").value == "좋다"  # morphemes: 좋았어요, 좋고 … all count as 좋다
    assert text.word_count(model, "좋다") >= text.RARE_COUNT
    rare_note = KO["w2v.rare"].split("{min}")[1]  # the fixed tail of the message
    assert not any(rare_note in w.value for w in at.warning)
    rare = next(w for w in model.wv.index_to_key if 0 < text.word_count(model, w) < text.RARE_COUNT and w.isalpha())
    at.text_input(key="w2v.word").input(rare).run()
    assert not at.exception
    assert [w.value for w in at.warning if rare_note in w.value] == [KO["w2v.rare"].format(
        word=rare, n=text.word_count(model, rare), min=text.RARE_COUNT)]


def test_hub_dataset_offline_is_explained(open_page):
    at = open_page("app_pages/05_sequence.py")
    at.selectbox(key="seq.src").set_value("nsmc").run()
    assert not at.exception
    assert any("NSMC" in e.value or "nsmc" in e.value for e in at.error)


GOOD = "review,label\n정말 재미있는 영화였어요,positive\n시간이 아까웠어요,negative\n배우 연기가 훌륭해요,positive\n"


def test_csv_upload_is_read_and_bad_files_are_explained(open_page):
    at = open_page("app_pages/05_sequence.py")
    at.selectbox(key="seq.src").set_value("csv").run()
    at.file_uploader(key="seq.csv").set_value(("reviews.csv", GOOD.encode("cp949"), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error and at.text_input(key="seq.tok_text").value == "정말 재미있는 영화였어요"  # cp949 decoded
    one_class = "review,label\n좋아요,positive\n최고예요,positive\n"
    at.file_uploader(key="seq.csv").set_value(("one.csv", one_class.encode(), "text/csv")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [KO["text.one_class"].format(found="positive")]
    at.file_uploader(key="seq.csv").set_value(("binary.csv", bytes(range(256)) * 8, "text/csv")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [KO["text.csv_encoding"]]


def test_rnn_and_gru_are_overlaid_with_the_baseline(open_page):
    at = open_page("app_pages/05_sequence.py")
    _small_word_rnn(at)
    at.multiselect(key="seq.cells").set_value(["rnn", "gru"])
    at.slider(key="seq.epochs").set_value(2).run()
    job = run_job(at, "seq.train", "seq.job")
    acc = next(f for f in figures(at) if f["layout"]["title"]["text"] == KO["seq.acc_chart"])
    traces = {tr["name"]: list(array(tr["y"])) for tr in acc["data"]}
    assert set(traces) == {"RNN", "GRU", KO["seq.baseline"]}
    for cell in ("rnn", "gru"):  # each line is its own model's validation accuracy, epoch by epoch
        expected = [m.val_acc for c, m in job.metrics if c == cell and m.kind == "epoch"]
        assert len(expected) == 2 and traces[cell.upper()] == pytest.approx(expected)
    assert traces["RNN"] != traces["GRU"]


def test_tfidf_baseline_shows_validation_and_ood_accuracy_and_marks_unknown_words(open_page):
    from core import text, text_data

    at = open_page("app_pages/05_sequence.py")
    at.selectbox(key="seq.kind").set_value("tfidf").run()
    at.button(key="seq.fit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # an independent reference: the same split and model, fitted here, scored on the separately written OOD set
    d, ood = text_data.shipped(), text_data.ood()
    tr, va = text.split_indices(len(d.texts), 0)
    ref = text.fit_sklearn("tfidf", [d.texts[i] for i in tr], [d.labels[i] for i in tr])
    val_ref = ref.accuracy([d.texts[i] for i in va], [d.labels[i] for i in va])
    ood_ref = ref.accuracy(ood.texts, ood.labels)
    gap = next(f for f in figures(at) if f["layout"]["title"]["text"] == KO["sent.gap_chart"])
    bars = {tr_["name"]: list(array(tr_["y"])) for tr_ in gap["data"]}
    assert bars[KO["sent.val"]] == pytest.approx([val_ref])
    assert bars[KO["sent.ood"].format(n=len(ood.texts))] == pytest.approx([ood_ref])
    assert val_ref > ood_ref > 0.6  # the generalisation gap the chart exists to show
    at.text_input(key="seq.try_text").input("정말 쀍쀍하네요").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(":red-background[쀍쀍하네요]" in m.value for m in at.markdown)  # the unknown word, marked
    assert not any(":red-background[정말]" in m.value for m in at.markdown)  # a known word is not
    assert any("예측" in m.value for m in at.markdown)


def test_default_model_trains_and_shows_validation_and_ood_accuracy(open_page):
    """The default (a neural head on e5 sentence vectors) on 100 shipped sentences uploaded as a CSV: small enough
    to embed in seconds; its bars are its own accuracies, and far above chance on the separately written set."""
    import csv
    import io

    from core import text, text_data

    d = text_data.shipped()
    rows = list(range(0, len(d.texts), len(d.texts) // 100))[:100]
    out = io.StringIO()
    csv.writer(out).writerows([("review", "label")] + [(d.texts[i], d.classes[d.labels[i]]) for i in rows])
    at = open_page("app_pages/05_sequence.py")
    assert at.selectbox(key="seq.kind").value == "e5nn" and any(KO["sent.default_why"] in c.value for c in at.caption)
    at.selectbox(key="seq.src").set_value("csv").run()
    at.file_uploader(key="seq.csv").set_value(("mine.csv", out.getvalue().encode(), "text/csv")).run()
    job = run_job(at, "seq.train", "seq.job")
    epochs = [m for c, m in job.metrics if m.kind == "epoch"]
    assert len(epochs) == at.slider(key="seq.head_epochs").value and epochs[-1].loss < epochs[0].loss
    (name, (model, _)), = at.session_state["seq.models"].items()
    texts, labels = [d.texts[i] for i in rows], [d.labels[i] for i in rows]
    _, val = text.split_indices(len(texts), 0)
    ood = text_data.ood()
    val_ref = model.accuracy([texts[i] for i in val], [labels[i] for i in val])
    ood_ref = model.accuracy(ood.texts, ood.labels)
    gap = next(f for f in figures(at) if f["layout"]["title"]["text"] == KO["sent.gap_chart"])
    bars = {tr["name"]: list(array(tr["y"])) for tr in gap["data"]}
    assert bars[KO["sent.val"]] == pytest.approx([val_ref]) and bars[KO["sent.ood"].format(n=len(ood.texts))] == \
        pytest.approx([ood_ref])
    assert ood_ref > 0.7  # 80 training sentences; chance is 0.5
    assert any(f"{ood_ref:.3f}" in c.value for c in at.caption)  # the result row says it in words too
