"""Chat, summary and prompt-lab pages with no key and no network: the local model answers; keys never leak."""
import json

from ui.strings import KO


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


# Two distinct paragraphs of ~350 characters: with 500-character chunks the summary needs a map step per part and
# a reduce step, which is what the page's map-reduce claim is about.
LONG = ("Seoul is the capital of Korea. The city has a population of nearly ten million people and its subway "
        "carries millions of riders every day. The Han river divides the city into north and south. ") * 2 + "\n\n" + (
        "PyTorch is a deep learning library. It builds the computation graph while the code runs, and autograd "
        "computes the gradients for training neural networks on CPUs and GPUs. ") * 2


def test_summary_maps_each_chunk_then_reduces(open_page):
    at = open_page("app_pages/08_chat.py", timeout=600)
    at.selectbox(key="summary.provider").set_value("smollm2-135m").run()
    at.text_area(key="sum.text").input(LONG)
    at.slider(key="sum.chunk").set_value(500).run()
    before = {m.value for m in at.markdown}
    at.button(key="sum.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert KO["sum.chunks"].format(n=2) in [c.value for c in at.caption]
    partials = [m.value for m in at.markdown if m.value.startswith(("**1.**", "**2.**"))]
    assert len(partials) == 2 and all(p.split("**", 2)[2].strip() for p in partials)  # both map answers shown
    summary = [m.value for m in at.markdown if m.value not in before and m.value not in partials and m.value.strip()]
    assert len(summary) == 1, summary  # the reduce answer, not blank


def test_prompt_lab_answers_both_prompts_and_few_shot_shows_the_examples(open_page):
    lab = open_page("app_pages/08_prompt_lab.py", timeout=300)
    _pick_fast_model(lab, "lab")
    lab.sidebar.slider(key="lab.max").set_value(16)
    assert lab.selectbox(key="lab.tpl0").value == "zero_shot" and lab.selectbox(key="lab.tpl1").value == "few_shot"
    before = {m.value for m in lab.markdown}
    lab.button(key="lab.run").click().run()
    assert not lab.exception, [e.value for e in lab.exception]
    sent = [json.loads(j.value) for j in lab.json]
    assert len(sent) == 2
    example = "배송이 빠르고 포장도 꼼꼼해요"  # the first row of the examples table
    assert all(example not in m["content"] for m in sent[0])  # zero-shot: no examples
    assert {"role": "user", "content": example} in sent[1]  # few-shot: the example as a real turn
    assert {"role": "assistant", "content": "positive"} in sent[1]
    answers = [m.value for m in lab.markdown if m.value not in before and m.value.strip()]
    assert len(answers) == 2, answers  # one streamed answer per prompt, neither blank


def test_voice_in_becomes_the_question_and_the_answer_is_spoken(open_page):
    from core import voice as V

    at = open_page("app_pages/08_chat.py", timeout=600)
    _pick_fast_model(at, "chat")
    at.sidebar.slider(key="chat.max").set_value(16)
    at.sidebar.toggle(key="chat.speak").set_value(True)
    at.selectbox(key="chat.stt_lang").set_value("auto")
    at.audio_input(key="chat.mic").set_value(("question.wav", V.speak_espeak("What is a neural network?", "en"),
                                              "audio/wav")).run()
    at.button(key="chat.transcribe").click().run()
    assert not at.exception, [e.value for e in at.exception]
    msgs = at.session_state["chat.messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant"] and msgs[1]["content"].strip()
    assert "neural network" in msgs[0]["content"].lower()  # the transcript was sent as the question
    assert KO["chat.tts_engine"].format(engine="espeak-ng") in [c.value for c in at.caption]
    assert at.get("audio")  # the answer, spoken, on the page
