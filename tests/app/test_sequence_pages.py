"""Sequence pages in AppTest: a short run updates the chart (with the baseline); Word2Vec draws its map."""


def test_short_lstm_run_updates_chart_and_try_box(open_page):
    at = open_page("app_pages/05_sequence.py")
    at.multiselect(key="seq.cells").set_value(["lstm"])
    at.slider(key="seq.epochs").set_value(2).run()
    at.button(key="seq.train").click().run()
    job = at.session_state["seq.job"]
    assert job.wait(120) and job.error is None
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [m.epoch for c, m in job.metrics if m.kind == "epoch"] == [1, 2]
    specs = " ".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "TF-IDF" in specs and "LSTM" in specs
    assert any("예측" in m.value for m in at.markdown)  # the try-it box answers


def test_word2vec_trains_and_handles_unknown_word(open_page):
    at = open_page("app_pages/05_word2vec.py")
    at.slider(key="w2v.epochs").set_value(5)
    at.button(key="w2v.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.get("plotly_chart") and at.warning  # the map, and the small-corpus note
    at.text_input(key="w2v.word").input("존재하지않는단어").run()
    assert any("존재하지않는단어" in e.value for e in at.error)


def test_bad_csv_upload_path_keeps_page_alive(open_page):
    at = open_page("app_pages/05_sequence.py")
    at.selectbox(key="seq.src").set_value("nsmc").run()
    assert not at.exception
    assert any("NSMC" in e.value or "nsmc" in e.value for e in at.error)
