"""Search and RAG pages in AppTest, offline, with the shipped models."""
from ui.strings import KO


def test_search_default_corpus_shows_results(open_page):
    at = open_page("app_pages/06_search.py", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert "대한민국헌법.txt" in text and KO["search.score"] in text
    at.text_input(key="search.q").input("종교의 자유와 국교").run()
    assert "제20조" in " ".join(m.value for m in at.markdown)


def test_rag_threshold_answers_dont_know_and_local_model_answers(open_page):
    at = open_page("app_pages/06_rag.py", timeout=300)
    at.sidebar.radio(key="rag.mode").set_value("llm").run()
    at.sidebar.selectbox(key="rag.provider").set_value("smollm2-135m")
    at.sidebar.slider(key="rag.max").set_value(32)
    at.slider(key="rag.th").set_value(0.99).run()
    at.chat_input(key="rag.question").set_value("우주의 나이는?").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("0.99" in w.value for w in at.warning)  # "I don't know", no LLM call
    at.slider(key="rag.th").set_value(0.5).run()
    at.chat_input(key="rag.question").set_value("대통령의 임기는 몇 년인가요?").run()
    assert not at.exception, [e.value for e in at.exception]
    history = at.session_state["rag.history"]
    result = history[1]["result"]
    assert len(history) == 2 and result.text.strip() and result.citations
    assert "[1]" in history[1]["retrieval"].prompt_text
    if result.origin == "extract":  # the model's words were not backed by the sources: the page says so
        assert result.model_text and KO["rag.unsupported"] in [w.value for w in at.warning]
    assert KO["rag.cache_hit"] in [c.value for c in at.caption] or KO["rag.cache_miss"] in [c.value for c in at.caption]
