"""The default chat model, Qwen2.5-0.5B: GGUF → fp32 conversion, then the cached copy, both answering alike.

DEFAULT_MODEL test: the only one using Qwen (every other LLM test uses SmolLM2); it converts into a temporary
cache so the conversion really runs (~50 s, 2.4 GB written)."""

import pytest

from core.assets import Registry
from core.config import Settings
from core.llm.base import complete
from core.llm.local import LocalProvider, converted_dir, load_local

MSGS = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


@pytest.mark.default_model
def test_qwen_converts_once_then_loads_from_cache_and_answers(tmp_path):
    registry = Registry(Settings.load().cache_dir)
    steps = []
    # fp32 asked for: the dtype probe has tests of its own (test_llm.py) and would double this test's time
    lm, tok = load_local("qwen2.5-0.5b", registry, tmp_path, progress=steps.append, dtype="float32")
    assert steps == ["converting", "saving", "cached"]
    assert (converted_dir(tmp_path, "qwen2.5-0.5b") / "config.json").exists()
    first = complete(LocalProvider("qwen2.5-0.5b", lm, tok), MSGS, temperature=0, max_tokens=6)
    assert "paris" in first.lower(), first
    del lm
    steps.clear()
    lm, tok = load_local("qwen2.5-0.5b", registry, tmp_path, progress=steps.append, dtype="float32")
    assert steps == ["cached"]
    assert complete(LocalProvider("qwen2.5-0.5b", lm, tok), MSGS, temperature=0, max_tokens=6) == first
