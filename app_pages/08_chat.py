"""Days 7–8: LLM chat with voice in/out, and summaries — with no API key and no internet by default."""
from __future__ import annotations

import json
import threading

import streamlit as st

from core import voice
from core.errors import UserError
from ui.i18n import t
from ui.llm import provider_picker
from ui.resources import asset_registry, heavy_resource, settings
from ui.state import State, load_chat, save_chat
from ui.widgets import api_key_field, header, show_user_error, tabbed

S = State("chat")
PRESETS = ("assistant", "teacher", "translator", "coder", "custom")


@heavy_resource()
def whisper_model():
    return voice.load_whisper(asset_registry().path("whisper_base").parent)


def _sidebar():
    with st.sidebar:
        st.markdown(f"**{t('chat.settings')}**")
        provider = provider_picker("chat")
        preset = st.selectbox(t("chat.role"), PRESETS, format_func=lambda p: t(f"chat.role.{p}"), key="chat.preset")
        system = st.text_area(t("chat.system"), t(f"chat.sys.{preset}") if preset != "custom" else "",
                              key=f"chat.system.{preset}", height=90)
        params = dict(temperature=st.slider("temperature", 0.0, 1.5, 0.7, 0.1, key="chat.temp"),
                      top_p=st.slider("top_p", 0.1, 1.0, 0.95, 0.05, key="chat.top_p"),
                      max_tokens=st.slider(t("llm.max_tokens"), 16, 1024, 256, 16, key="chat.max"))
        speak = st.toggle(t("chat.speak"), key="chat.speak", help=t("chat.speak_help"))
    return provider, system, params, speak


def _count(provider, text: str) -> str:
    if hasattr(provider, "count_tokens"):
        return str(provider.count_tokens(text))
    return f"≈{max(1, len(text) // 4)}"


def _finish_interrupted() -> None:
    """A Stop click reruns the script mid-answer: stop the generator thread and keep what was said so far."""
    event = S.get("stop_event")
    if event is not None:
        event.set()
    partial = S.get("partial")
    if partial:
        S.get("messages").append({"role": "assistant", "content": "".join(partial) + " " + t("chat.stopped_mark")})
        save_chat(S.get("messages"))
    S.set("partial", None)
    S.set("stop_event", None)


def chat_tab() -> None:
    if "messages" not in S:  # a new session (or a reload with the same ?sid=) continues the saved conversation
        S.set("messages", load_chat())
        if S.get("messages"):
            st.toast(t("session.chat_restored", n=len(S.get("messages"))))
    _finish_interrupted()
    provider, system, params, speak = _sidebar()
    messages = S.get("messages")
    c1, c2, c3 = st.columns([1, 1, 4])
    if c1.button(t("chat.clear"), icon="🧹", key="chat.clear"):
        messages.clear()
        save_chat(messages)
    c2.download_button(t("chat.download"), json.dumps(messages, ensure_ascii=False, indent=1),
                       "conversation.json", "application/json", icon="💾", key="chat.dl")
    for m in messages:
        with st.chat_message(m["role"]):
            st.markdown(m["content"])
            if provider is not None:
                st.caption(t("chat.tokens", n=_count(provider, m["content"])))
    spoken = voice_input()
    prompt = st.chat_input(t("chat.ask"), key="chat.input") or spoken
    if not prompt:
        if not messages:
            st.info(t("chat.hint"))
        return
    if provider is None:
        st.warning(t("chat.no_provider"))
        return
    messages.append({"role": "user", "content": prompt})
    st.chat_message("user").markdown(prompt)
    convo = ([{"role": "system", "content": system}] if system.strip() else []) + messages
    stop = threading.Event()
    S.set("stop_event", stop)
    S.set("partial", [])
    with st.chat_message("assistant"):
        st.button(t("common.stop"), icon="⏹️", key="chat.stop")  # a click reruns → _finish_interrupted
        ahead = provider.ahead() if hasattr(provider, "ahead") else 0  # classmates sharing the local model
        if ahead:
            st.caption(t("queue.waiting", ahead=ahead))
        try:
            def recorded():
                for piece in provider.stream(convo, stop_event=stop, **params):
                    S.get("partial").append(piece)
                    yield piece

            answer = st.write_stream(recorded())
        except UserError as exc:
            show_user_error(exc)  # the conversation so far is kept
            messages.pop()
            S.set("partial", None)
            return
        if getattr(provider, "truncated", False):
            st.warning(t("chat.truncated"))
    S.set("partial", None)
    S.set("stop_event", None)
    messages.append({"role": "assistant", "content": answer})
    save_chat(messages)
    if speak:
        _speak(answer)
    st.rerun()


def _speak(text: str) -> None:
    lang = "ko" if any("가" <= ch <= "힣" for ch in text) else "en"
    try:
        speech = voice.speak(text, lang, online=settings().online)
    except UserError as exc:
        show_user_error(exc)
        return
    S.set("last_audio", speech)
    if speech.fallback_reason:
        st.toast(t("chat.tts_fallback"))


def voice_input() -> str | None:
    """Microphone or an uploaded file → text, which is sent to the chat."""
    speech = S.get("last_audio")
    if speech is not None:
        st.audio(speech.audio, format=speech.mime)
        st.caption(t("chat.tts_engine", engine=speech.engine))
    with st.expander(t("chat.voice"), icon="🎙️"):
        c1, c2 = st.columns(2)
        recorded = c1.audio_input(t("chat.mic"), key="chat.mic")
        uploaded = c2.file_uploader(t("chat.audio_file"), type=["wav", "mp3", "m4a", "ogg", "webm", "flac"],
                                    key="chat.audio")
        c3, c4 = st.columns(2)
        lang = c3.selectbox(t("chat.stt_lang"), ["ko", "en", "auto"], key="chat.stt_lang")
        engine = c4.selectbox(t("chat.stt_engine"), voice.stt_engines(), key="chat.stt_engine")
        audio = recorded or uploaded
        if audio is None or not st.button(t("chat.transcribe"), icon="📝", key="chat.transcribe"):
            return None
        language = None if lang == "auto" else lang
        key = api_key_field("OPENAI_API_KEY", t("llm.openai_key")) if engine == "openai-api" else None
        if engine == "openai-api" and not key:
            st.info(t("llm.need_key", provider="OpenAI"))
            return None
        try:
            with st.spinner(t("chat.transcribing")):
                result = voice.transcribe_with(engine, audio.getvalue(), language, api_key=key,
                                               whisper=whisper_model() if engine == "faster-whisper" else None,
                                               filename=getattr(audio, "name", "audio.wav"))
        except UserError as exc:
            show_user_error(exc)
            return None
        st.caption(t("chat.transcribed", engine=result.engine, lang=result.language, sec=f"{result.seconds:.1f}"))
        return result.text


def summary_tab() -> None:
    from core import documents
    from core.summary import summarize

    provider = provider_picker("summary")
    text = st.text_area(t("sum.paste"), height=180, key="sum.text")
    up = st.file_uploader(t("sum.upload"), type=["txt", "md", "pdf", "docx"], key="sum.file")
    c1, c2, c3 = st.columns(3)
    form = c1.radio(t("sum.form"), ["bullets", "one_line"], format_func=lambda f: t(f"sum.form.{f}"), key="sum.form")
    lang = c2.radio(t("sum.lang"), ["ko", "en"], format_func=lambda x: {"ko": "한국어", "en": "English"}[x],
                    key="sum.lang", horizontal=True)
    chunk = c3.slider(t("sum.chunk"), 500, 4000, 1500, 100, key="sum.chunk")
    if not st.button(t("sum.run"), type="primary", icon="📝", key="sum.run") or provider is None:
        return
    try:
        if up is not None:
            text = "\n\n".join(d.text for d in documents.load_upload(up.name, up.getvalue()))
        bar = st.progress(0.0, text=t("sum.mapping"))
        result = summarize(provider, text, form, lang, chunk,
                           progress=lambda i, n: bar.progress(i / n, text=t("sum.progress", i=i, n=n)))
        bar.empty()
    except UserError as exc:
        show_user_error(exc)
        return
    st.caption(t("sum.chunks", n=result.chunks))
    st.markdown(result.text)
    if result.partials:
        with st.expander(t("sum.partials"), icon="🧩"):
            for i, p in enumerate(result.partials, 1):
                st.markdown(f"**{i}.** {p}")


header("page.chat")
st.caption(t("chat.intro"))
tabbed([("chat.tab.chat", chat_tab), ("chat.tab.summary", summary_tab)])
