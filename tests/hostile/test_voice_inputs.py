"""Speech: option injection into eSpeak (the LLM's answer is spoken) and audio that would cost hours of CPU."""
import io
import math
import struct
import subprocess
import wave

import pytest

from core import voice as V
from tests.hostile.conftest import bounded, refused

SECRET = " ".join(["confidential"] * 60)  # long: reading it aloud would take many seconds


def _wav(seconds: float, rate: int = 8000, tone: bool = False) -> bytes:
    n = int(seconds * rate)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        if tone:
            w.writeframes(bytes(int(128 + 100 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(n)))
        else:
            w.writeframes(b"\x80" * n)
    return buf.getvalue()


def _wav_seconds(wav: bytes) -> float:
    """From the byte count: eSpeak's --stdout WAV declares an 'unknown' (maximal) length in its header."""
    with wave.open(io.BytesIO(wav)) as w:
        return (len(wav) - 44) / (w.getframerate() * w.getsampwidth() * w.getnchannels())


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text(SECRET)
    return path


@pytest.mark.skipif(V.espeak_binary() is None, reason="needs the espeak-ng binary")
def test_espeak_binary_speaks_option_lookalikes_literally(sandbox, secret_file):
    text = f"-f{secret_file}"
    with bounded(20):
        spoken = V.speak_espeak(text, "en")
    literal = subprocess.run([V.espeak_binary(), "-v", "en-us", "-s", "150", "--stdout", "--", text],
                             capture_output=True, check=True).stdout
    read_out = subprocess.run([V.espeak_binary(), "-v", "en-us", "-s", "150", "--stdout", "-f", str(secret_file)],
                              capture_output=True, check=True).stdout
    assert _wav_seconds(read_out) > 2 * _wav_seconds(spoken)  # the file's words were not what got spoken
    assert abs(_wav_seconds(spoken) - _wav_seconds(literal)) < 0.05


def test_espeak_library_speaks_option_lookalikes_literally(sandbox, secret_file):
    pytest.importorskip("espeakng_loader")
    with bounded(20):
        spoken = V._speak_espeak_library(f"-f{secret_file}", "en-us", 150)
        read_out = V._speak_espeak_library(SECRET, "en-us", 150)
    assert 0.3 < _wav_seconds(spoken) < _wav_seconds(read_out) / 2


@pytest.mark.parametrize("lang", ["--stdout", "en -w /tmp/x", "../../etc", "-f/etc/passwd"])
def test_voice_name_is_not_an_option_either(sandbox, lang):
    refused(V.speak_espeak, "hello", lang, key="voice.bad_language")


def test_eleven_minutes_of_audio_are_refused_before_decoding(sandbox):
    long = _wav(11 * 60)  # 5 MB at 8 kHz/8-bit: small in bytes, long in time
    assert len(long) < V.MAX_AUDIO_BYTES
    refused(V.transcribe, None, long, "en", key="voice.too_long", seconds=5, rss_mb=80)


def test_a_header_that_hides_the_length_is_measured_from_the_packets(sandbox):
    """A 'streaming' WAV whose sizes say 0xFFFFFFFF: no usable declared duration, 11 minutes of packets."""
    hidden = bytearray(_wav(11 * 60))
    hidden[4:8] = struct.pack("<I", 0xFFFFFFFF)
    data_at = hidden.find(b"data")
    hidden[data_at + 4:data_at + 8] = struct.pack("<I", 0xFFFFFFFF)
    refused(V.transcribe, None, bytes(hidden), "en", key="voice.too_long", seconds=10, rss_mb=120)


def test_probe_measures_real_audio(sandbox):
    with bounded(5):
        seconds = V.audio_seconds(_wav(3.0, tone=True))
    assert seconds == pytest.approx(3.0, abs=0.1)


@pytest.mark.parametrize("payload,key", [
    (b"", "voice.empty"),
    (b"definitely not audio" * 50, "voice.not_audio"),
    (b"%PDF-1.4\n" + b"\x00" * 2000, "voice.not_audio"),          # a PDF renamed .wav
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000, "voice.not_audio"),  # an image renamed .mp3
    (b"x" * (V.MAX_AUDIO_BYTES + 1), "voice.too_big"),
])
def test_non_audio_is_refused(sandbox, payload, key):
    refused(V.transcribe, None, payload, "en", key=key)
