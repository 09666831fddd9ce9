"""The opt-in LLM check (core.rag_check) on the tiny CTranslate2 model: the prompt holds the chosen sentences and
the question, P("Yes") is a probability that depends on them and agrees with the model's own greedy next word."""
import pytest

from core import rag_check
from core.assets import Registry
from core.config import Settings
from core.llm.base import complete
from core.llm.ct2 import load_ct2

S = Settings.load()


@pytest.fixture(scope="module")
def smol():
    provider = load_ct2("smollm2-135m", Registry(S.cache_dir), S.cache_dir)
    yield provider
    provider.close()


def test_the_check_prompt_numbers_the_sentences_and_asks_yes_or_no():
    msgs = rag_check.check_messages("What is dropout?", ["Dropout zeroes units.", "Adam adapts steps."])
    assert msgs[0]["role"] == "system" and "Yes or No" in msgs[0]["content"]
    assert "[1] Dropout zeroes units.\n[2] Adam adapts steps." in msgs[1]["content"]
    assert "Question: What is dropout?" in msgs[1]["content"]


def test_p_yes_is_a_probability_that_depends_on_the_sentences_and_matches_greedy(smol):
    q = "What is the capital of France?"
    on = rag_check.p_yes(smol, q, ["Paris is the capital of France."])
    off = rag_check.p_yes(smol, q, ["Cats sleep most of the day."])
    assert 0 < on < 1 and 0 < off < 1 and on != pytest.approx(off, abs=1e-4)
    assert rag_check.p_yes(smol, q, ["Paris is the capital of France."]) == pytest.approx(on)  # deterministic
    assert rag_check.p_yes(smol, q, []) == 0.0  # nothing retrieved: nothing to check
    first = complete(smol, rag_check.check_messages(q, ["Paris is the capital of France."]), temperature=0,
                     max_tokens=1)
    assert first.strip() == "Yes" or on < 0.5  # above one half, "Yes" is the greedy next word
