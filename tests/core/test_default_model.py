"""Local chat models from their GGUF files: the conversion to an fp32 copy and the reload from it (on SmolLM2, the
small model), then the default chat model, Qwen2.5-0.5B, answering.

DEFAULT_MODEL test: the only one using Qwen (every other LLM test uses SmolLM2). It loads Qwen through the real
cache as the app does, so on a fresh machine it converts it there once (~50 s, 2.4 GB) and the app then starts
from the copy."""

import pytest

from core.assets import Registry
from core.config import Settings
from core.llm.base import complete
from core.llm.local import LocalProvider, converted_dir, load_local

MSGS = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
S = Settings.load()


def test_gguf_converts_once_then_loads_from_the_copy_alike(tmp_path):
    registry = Registry(S.cache_dir)
    steps = []
    # fp32 asked for: the dtype probe has tests of its own (test_llm.py)
    lm, tok = load_local("smollm2-135m", registry, tmp_path, progress=steps.append, dtype="float32")
    assert steps == ["converting", "saving", "cached"]
    assert (converted_dir(tmp_path, "smollm2-135m") / "config.json").exists()
    first = complete(LocalProvider("smollm2-135m", lm, tok), MSGS, temperature=0, max_tokens=6)
    assert first.strip()
    del lm
    steps.clear()
    lm, tok = load_local("smollm2-135m", registry, tmp_path, progress=steps.append, dtype="float32")
    assert steps == ["cached"]
    assert complete(LocalProvider("smollm2-135m", lm, tok), MSGS, temperature=0, max_tokens=6) == first


@pytest.fixture(scope="module")
def qwen():
    lm, tok = load_local("qwen2.5-0.5b", Registry(S.cache_dir), S.cache_dir, dtype="float32")
    return LocalProvider("qwen2.5-0.5b", lm, tok)


@pytest.mark.default_model
def test_default_model_answers(qwen):
    assert (converted_dir(S.cache_dir, "qwen2.5-0.5b") / "config.json").exists()
    # its GGUF holds the embedding matrix twice (Q5_0 and Q8_0): the copy keeps it once
    assert qwen.lm.get_input_embeddings().weight.data_ptr() == qwen.lm.get_output_embeddings().weight.data_ptr()
    answer = complete(qwen, MSGS, temperature=0, max_tokens=6)
    assert "paris" in answer.lower(), answer


@pytest.mark.default_model
def test_the_agent_writes_a_word_problem_as_a_program_and_computes_it_in_one_call(qwen):
    from core.agent import final_answer, make_backend, run_agent
    from core.tools import make_tools

    tools = make_tools()
    task = "연필 12자루에 9,600원이면 연필 5자루는 얼마인가요?"  # two steps: a unit price, then five of them
    steps = list(run_agent(make_backend(qwen, tools), tools, task, max_steps=4))
    program = next(s.text for s in steps if s.kind == "program")
    calls = [s for s in steps if s.kind == "call"]
    assert "9600" in program and "=" in program, program  # the program the model wrote, shown as its own step
    assert [c.tool for c in calls] == ["calculator"], calls  # inlined: one call computes every line
    assert final_answer(steps).startswith("4000"), final_answer(steps)


@pytest.mark.default_model
def test_the_nearest_pool_tasks_pull_the_first_tool_choice_towards_their_tools(qwen, tmp_path):
    """Few-shot tool choice with the real pool: for a look-up the model rated below another tool on its own, the
    nearest worked tasks (which name the look-up tool) raise that tool's probability."""
    from core.agent import make_backend
    from core.embeddings import make_embedder
    from core.tools import ToolContext, make_tools
    from core.vectordb import VectorStore

    registry = Registry(S.cache_dir)
    tools = make_tools(ToolContext(VectorStore(tmp_path), make_embedder("e5", registry), registry))
    backend = make_backend(qwen, tools)
    messages = backend.start("헌법상 국회의 임시회는 누가 요구할 수 있어?")
    shots = backend._shots()
    assert shots and all(m["tool_calls"][0]["function"]["name"] in backend.names for m in shots[1::2])
    before = backend.choose(backend._prompt(messages), backend.names)[1]["constitution"]
    after = backend.choose(backend._prompt(messages[:1] + shots + messages[1:]), backend.names)[1]["constitution"]
    assert after > before and after > 0.5, (before, after)
