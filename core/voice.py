"""Speech in and out.

STT: faster-whisper on the shipped multilingual whisper-base (offline default); the openai-whisper package when
its model file is already on disk; OpenAI's transcription API with a key.
TTS: gTTS (online, natural voice) with a fall back to eSpeak NG (offline; Debian's espeak-ng, or the library
shipped in the espeakng-loader wheel). eSpeak's Korean voice is robotic: fine to hear, hard for Whisper to read.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

from core.errors import UserError

MAX_AUDIO_BYTES = 25 * 1024 * 1024
# Opus packs 10 hours into 20 MB: bytes say nothing about the CPU whisper will spend, the duration does
MAX_AUDIO_SECONDS = 10 * 60
MAX_TTS_CHARS = 4000
_ESPEAK_LIBRARY = threading.Lock()  # libespeak-ng keeps global state: one synthesis at a time
STT_ENGINES = ("faster-whisper", "openai-whisper", "openai-api")


@dataclass
class Transcript:
    text: str
    language: str
    duration: float
    seconds: float  # processing time
    engine: str


def load_whisper(model_dir: Path):
    from faster_whisper import WhisperModel

    return WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(model, audio: bytes, language: str | None = None) -> Transcript:
    """faster-whisper; language 'ko' / 'en' or None for auto-detect. Non-audio and silence raise UserError."""
    import time

    from faster_whisper.audio import decode_audio

    _check_audio(audio)
    audio_seconds(audio)  # refuses non-audio and anything over the limit before a sample is decoded
    try:
        samples = decode_audio(io.BytesIO(audio))
    except Exception as exc:  # PyAV raises InvalidDataError and friends
        raise UserError("voice.not_audio", str(exc)) from exc
    if len(samples) > MAX_AUDIO_SECONDS * 16000:  # decode_audio resamples to 16 kHz; a header can lie
        raise UserError("voice.too_long", "audio too long", limit_min=MAX_AUDIO_SECONDS // 60)
    if len(samples) < 1600 or float(abs(samples).max()) < 1e-3:
        raise UserError("voice.silence", "no speech found")
    start = time.perf_counter()
    # vad_filter: silence is skipped instead of transcribed (and hallucinated over).
    # Korean: keep low-confidence segments (eSpeak's robotic voice is otherwise dropped as 'no speech')
    segments, info = model.transcribe(samples, language=language, beam_size=5, vad_filter=True,
                                      no_speech_threshold=None if language == "ko" else 0.6)
    text = " ".join(s.text.strip() for s in segments).strip()
    if not text:
        raise UserError("voice.silence", "no speech found")
    return Transcript(text, info.language, info.duration, time.perf_counter() - start, "faster-whisper")


def audio_seconds(audio: bytes, limit: float = MAX_AUDIO_SECONDS) -> float:
    """Duration from the container's packets (demuxed, not decoded); UserError for non-audio or over `limit`."""
    import av

    try:
        with av.open(io.BytesIO(audio), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise UserError("voice.not_audio", "no audio stream")
            stream = container.streams.audio[0]
            declared = float(container.duration / av.time_base) if container.duration else 0.0
            if declared > limit:
                raise UserError("voice.too_long", "audio too long", limit_min=int(limit // 60))
            seconds = 0.0
            for packet in container.demux(stream):  # headers can lie; packet timestamps are what gets decoded
                if packet.duration and packet.time_base:
                    seconds += float(packet.duration * packet.time_base)
                if seconds > limit:
                    raise UserError("voice.too_long", "audio too long", limit_min=int(limit // 60))
    except UserError:
        raise
    except Exception as exc:  # PyAV raises InvalidDataError, FFmpegError and friends
        raise UserError("voice.not_audio", str(exc)[:200]) from exc
    return max(seconds, declared)


def _check_audio(audio: bytes) -> None:
    if not audio:
        raise UserError("voice.empty", "empty audio")
    if len(audio) > MAX_AUDIO_BYTES:
        raise UserError("voice.too_big", "audio too big", limit_mb=MAX_AUDIO_BYTES // 2**20)


def openai_whisper_available(name: str = "base") -> bool:
    """openai-whisper downloads its checkpoint on first use; only offer it when the file is already there."""
    return (Path.home() / ".cache" / "whisper" / f"{name}.pt").exists()


def transcribe_openai_whisper(audio: bytes, language: str | None = None, name: str = "base") -> Transcript:
    import time

    import whisper

    _check_audio(audio)
    if not openai_whisper_available(name):
        raise UserError("voice.no_openai_whisper", "the openai-whisper model is not downloaded", name=name)
    audio_seconds(audio)
    with tempfile.NamedTemporaryFile(suffix=".audio") as f:
        f.write(audio)
        f.flush()
        start = time.perf_counter()
        result = whisper.load_model(name).transcribe(f.name, language=language, fp16=False)
    return Transcript(result["text"].strip(), result.get("language", language or "?"), 0.0,
                      time.perf_counter() - start, "openai-whisper")


def stt_engines() -> list[str]:
    """The speech-to-text engines this machine offers, in STT_ENGINES order: openai-whisper only when its weights
    are already cached (it would download them)."""
    return [e for e in STT_ENGINES if e != "openai-whisper" or openai_whisper_available()]


def transcribe_with(engine: str, audio: bytes, language: str | None = None, *, whisper=None,
                    api_key: str | None = None, filename: str = "audio.wav") -> Transcript:
    """Transcribe with the chosen engine: faster-whisper (offline; `whisper` is its loaded model), openai-whisper
    (local, when cached) or the OpenAI API (needs `api_key`)."""
    if engine == "faster-whisper":
        return transcribe(whisper, audio, language)
    if engine == "openai-whisper":
        return transcribe_openai_whisper(audio, language)
    if engine == "openai-api":
        if not api_key:
            raise UserError("llm.no_key", "an API key is needed", provider="OpenAI")
        return transcribe_api(audio, api_key, language, filename)
    raise UserError("voice.bad_engine", f"unknown speech-to-text engine {engine}", engine=engine)


def transcribe_api(audio: bytes, api_key: str, language: str | None = None, filename: str = "audio.wav") -> Transcript:
    import time

    from openai import OpenAI

    from core.llm.errors import translate

    _check_audio(audio)
    audio_seconds(audio)
    start = time.perf_counter()
    try:
        client = OpenAI(api_key=api_key, timeout=20, max_retries=0)
        res = client.audio.transcriptions.create(model="whisper-1", file=(filename, audio), language=language)
    except Exception as exc:  # SDK errors of many types
        raise translate(exc, "OpenAI") from exc
    return Transcript(res.text.strip(), language or "?", 0.0, time.perf_counter() - start, "openai-api")


# ---- text to speech ---------------------------------------------------------------------------------------------
@dataclass
class Speech:
    audio: bytes
    mime: str
    engine: str
    fallback_reason: str = ""


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


def speak_espeak(text: str, lang: str = "ko", speed: int = 150) -> bytes:
    """WAV bytes from eSpeak NG: the Debian binary if present, else the library shipped in espeakng-loader."""
    if not text.strip():
        raise UserError("voice.empty_text", "nothing to say")
    voice = {"ko": "ko", "en": "en-us"}.get(lang, lang)
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)*", voice):
        raise UserError("voice.bad_language", "unknown voice", lang=voice[:20])
    text = text[:MAX_TTS_CHARS]
    binary = espeak_binary()
    if binary:
        # '--' ends the options: an answer starting with '-f<path>' is spoken, never read from a file
        out = subprocess.run([binary, "-v", voice, "-s", str(int(speed)), "--stdout", "--", text],
                             capture_output=True, timeout=60)
        if out.returncode == 0 and out.stdout:
            return out.stdout
    return _speak_espeak_library(text, voice, speed)


def _speak_espeak_library(text: str, voice: str, speed: int) -> bytes:
    """eSpeak NG through ctypes on the shipped library (synchronous mode, samples collected in a callback)."""
    try:
        import espeakng_loader
    except ImportError as exc:
        raise UserError("voice.no_tts", "no offline TTS engine") from exc
    with _ESPEAK_LIBRARY:
        return _synth_library(espeakng_loader, text, voice, speed)


def _synth_library(espeakng_loader, text: str, voice: str, speed: int) -> bytes:
    """The text goes to espeak_Synth as data (no command line, SSML flag off), so nothing in it is an option."""
    import ctypes

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    rate = lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0)  # 2 = AUDIO_OUTPUT_SYNCHRONOUS
    if rate <= 0:
        raise UserError("voice.no_tts", "eSpeak failed to start")
    samples = bytearray()
    callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def on_audio(wav, n, _events):
        if n > 0:
            samples.extend(ctypes.string_at(wav, n * 2))
        return 0

    cb = callback_type(on_audio)
    lib.espeak_SetSynthCallback(cb)
    lib.espeak_SetVoiceByName(voice.encode())
    lib.espeak_SetParameter(1, speed, 0)  # 1 = espeakRATE
    data = text.encode("utf-8")
    lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, 0x01, None, None)  # 0x01 = espeakCHARS_UTF8
    lib.espeak_Synchronize()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(samples))
    return buf.getvalue()


def speak_gtts(text: str, lang: str = "ko") -> bytes:
    from gtts import gTTS

    buf = io.BytesIO()
    gTTS(text=text[:4000], lang=lang).write_to_fp(buf)
    data = buf.getvalue()
    if not data:  # gTTS can 'succeed' with nothing written when the network drops
        raise RuntimeError("gTTS returned no audio")
    return data


def speak(text: str, lang: str = "ko", online: bool = False, engine: str = "auto") -> Speech:
    """gTTS when online (or asked), falling back to eSpeak on any failure; eSpeak offline."""
    if not text.strip():
        raise UserError("voice.empty_text", "nothing to say")
    reason = ""
    if engine == "gtts" or (engine == "auto" and online):
        try:
            return Speech(speak_gtts(text, lang), "audio/mp3", "gtts")
        except Exception as exc:  # network, rate limit, bad language: fall back, and say why
            reason = f"{type(exc).__name__}: {str(exc)[:120]}"
    return Speech(speak_espeak(text, lang), "audio/wav", "espeak-ng", reason)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words / reference length (for the voice benchmark and tests)."""
    import re

    ref = re.findall(r"\w+", reference.lower())
    hyp = re.findall(r"\w+", hypothesis.lower())
    return _edit_distance(ref, hyp) / max(len(ref), 1)


def char_error_rate(reference: str, hypothesis: str) -> float:
    ref = [c for c in reference if c.isalnum()]
    hyp = [c for c in hypothesis if c.isalnum()]
    return _edit_distance(ref, hyp) / max(len(ref), 1)


def _edit_distance(a: list, b: list) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]
