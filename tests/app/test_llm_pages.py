"""Chat, summary and prompt-lab pages with no key and no network: the local model answers; keys never leak."""
def _pick_fast_model(at, key):
    at.sidebar.selectbox(key=f"{key}.provider").set_value("smollm2-135m").run()


def test_chat_answers_with_local_model_and_keeps_history(open_page):
    at = open_page("app_pages/08_chat.py", timeout=300)
    _pick_fast_model(at, "chat")
    at.sidebar.slider(key="chat.max").set_value(24)
    at.chat_input(key="chat.input").set_value("What is a tensor?").run()
    assert not at.exception, [e.value for e in at.exception]
    msgs = at.session_state["chat.messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant"] and msgs[1]["content"].strip()
    assert any("토큰" in c.value for c in at.caption)  # token counts
    at.button(key="chat.clear").click().run()
    assert at.session_state["chat.messages"] == []


def test_unreachable_server_keeps_conversation(open_page):
    at = open_page("app_pages/08_chat.py")
    at.session_state["chat.messages"] = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    at.sidebar.selectbox(key="chat.provider").set_value("compat").run()
    at.sidebar.text_input(key="chat.base_url").input("http://127.0.0.1:9/v1").run()
    at.chat_input(key="chat.input").set_value("Are you there?").run()
    assert not at.exception
    assert any("연결할 수 없습니다" in e.value for e in at.error)
    assert [m["content"] for m in at.session_state["chat.messages"]] == ["hi", "hello"]


def test_api_key_typed_is_never_rendered(open_page):
    at = open_page("app_pages/08_chat.py")
    at.sidebar.selectbox(key="chat.provider").set_value("openai").run()
    at.sidebar.text_input(key="apikey.OPENAI_API_KEY").input("sk-typed-secret-999").run()
    assert not at.exception
    rendered = repr([e.value for kind in (at.markdown, at.caption, at.info, at.error, at.warning, at.code)
                     for e in kind])
    assert "sk-typed-secret-999" not in rendered


def test_summary_and_prompt_lab_run_locally(open_page):
    at = open_page("app_pages/08_chat.py", timeout=300)
    at.selectbox(key="summary.provider").set_value("smollm2-135m").run()
    at.text_area(key="sum.text").input("PyTorch is a deep learning library. " * 5)
    at.button(key="sum.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("map-reduce" in c.value for c in at.caption)
    lab = open_page("app_pages/08_prompt_lab.py", timeout=300)
    _pick_fast_model(lab, "lab")
    lab.sidebar.slider(key="lab.max").set_value(16)
    lab.button(key="lab.run").click().run()
    assert not lab.exception, [e.value for e in lab.exception]
    assert len(lab.get("json")) == 2  # the two message lists shown side by side
