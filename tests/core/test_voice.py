"""Voice: eSpeak NG speaks, faster-whisper (shipped whisper-base) transcribes; gTTS failure falls back."""
import io
import wave

import pytest

from core import voice as V
from core.assets import Registry
from core.config import Settings
from core.errors import UserError


@pytest.fixture(scope="module")
def whisper():
    return V.load_whisper(Registry(Settings.load().cache_dir).path("whisper_base").parent)


def test_english_round_trip_recovers_most_words(whisper):
    sentence = "Today we will train a neural network on Fashion MNIST."
    result = V.transcribe(whisper, V.speak_espeak(sentence, "en"), "en")
    assert V.word_error_rate(sentence, result.text) <= 0.35, result.text
    assert result.language == "en" and result.duration > 1


def test_english_is_detected_not_passed_in(whisper):
    """Whisper detects the spoken language itself when the caller does not name one."""
    sentence = "Today we will train a neural network on Fashion MNIST."
    result = V.transcribe(whisper, V.speak_espeak(sentence, "en"), None)
    assert result.language == "en"
    assert V.word_error_rate(sentence, result.text) <= 0.35, result.text


def test_stt_engines_offered_and_chosen():
    """faster-whisper and the API always; openai-whisper only when its weights are cached (it would download)."""
    engines = V.stt_engines()
    assert engines[0] == "faster-whisper" and "openai-api" in engines and set(engines) <= set(V.STT_ENGINES)
    assert ("openai-whisper" in engines) == V.openai_whisper_available()
    with pytest.raises(UserError) as info:
        V.transcribe_with("openai-api", b"RIFF", "en")
    assert info.value.key == "llm.no_key"
    with pytest.raises(UserError) as info:
        V.transcribe_with("whisper.cpp", b"RIFF", "en")
    assert info.value.key == "voice.bad_engine" and info.value.params["engine"] == "whisper.cpp"


def test_korean_pipeline_returns_korean_text(whisper):
    # eSpeak's Korean voice is robotic, so whisper-base recovers only fragments: check the pipeline, not accuracy
    result = V.transcribe(whisper, V.speak_espeak("안녕하세요. 오늘은 신경망을 학습합니다.", "ko"), "ko")
    assert result.language == "ko" and any("가" <= ch <= "힣" for ch in result.text)


def test_shipped_espeak_library_works_without_the_binary(whisper):
    wav = V._speak_espeak_library("Hello students", "en-us", 150)
    with wave.open(io.BytesIO(wav)) as w:
        assert w.getnframes() > w.getframerate() * 0.5  # more than half a second of audio
    assert "hello" in V.transcribe(whisper, wav, "en").text.lower()


def test_gtts_failure_falls_back_to_espeak(monkeypatch):
    def broken(text, lang):
        raise RuntimeError("gTTS returned no audio")

    monkeypatch.setattr(V, "speak_gtts", broken)
    speech = V.speak("안녕하세요", "ko", online=True)
    assert speech.engine == "espeak-ng" and "no audio" in speech.fallback_reason and speech.audio[:4] == b"RIFF"


def test_offline_gtts_really_fails_and_falls_back():
    speech = V.speak("hello", "en", engine="gtts")  # this machine has no internet: a real failure
    assert speech.engine == "espeak-ng" and speech.fallback_reason


@pytest.mark.parametrize("audio,key", [(b"", "voice.empty"), (b"definitely not audio" * 50, "voice.not_audio")])
def test_bad_audio(whisper, audio, key):
    with pytest.raises(UserError) as info:
        V.transcribe(whisper, audio)
    assert info.value.key == key


def test_silence_is_explained(whisper):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x00" * 32000)
    with pytest.raises(UserError) as info:
        V.transcribe(whisper, buf.getvalue())
    assert info.value.key == "voice.silence"


def test_error_rates():
    assert V.word_error_rate("a b c d", "a x c d") == 0.25
    assert V.char_error_rate("신경망", "신경망") == 0.0
