"""Whisper detects the spoken language itself when the caller does not name one."""
import pytest

from core import voice as V
from core.assets import Registry
from core.config import Settings

SENTENCE = "Today we will train a neural network on Fashion MNIST."


@pytest.fixture(scope="module")
def whisper():
    return V.load_whisper(Registry(Settings.load().cache_dir).path("whisper_base").parent)


def test_english_is_detected_not_passed_in(whisper):
    result = V.transcribe(whisper, V.speak_espeak(SENTENCE, "en"), None)
    assert result.language == "en"
    assert V.word_error_rate(SENTENCE, result.text) <= 0.35, result.text
