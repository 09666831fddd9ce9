"""LLM providers: the local model streams and repeats with a seed; the OpenAI-compatible provider talks to our
own FastAPI server on 127.0.0.1 through the official openai client; errors are explained, not hung on."""
import threading
import time

import pytest

from core.assets import Registry
from core.config import Settings
from core.errors import UserError
from core.llm.base import complete
from core.llm.local import LocalProvider, load_local
from core.llm.remote import GeminiProvider, OpenAICompatible
from core.procs import free_port
from tests.serving import uvicorn_thread

S = Settings.load()


@pytest.fixture(scope="module")
def smol():
    lm, tok = load_local("smollm2-135m", Registry(S.cache_dir), S.cache_dir)
    return LocalProvider("smollm2-135m", lm, tok)


def test_local_streams_text_and_seed_repeats(smol):
    msgs = [{"role": "user", "content": "Name three colours."}]
    pieces = list(smol.stream(msgs, temperature=0.9, max_tokens=20, seed=7))
    assert len(pieces) > 1 and "".join(pieces).strip()
    assert complete(smol, msgs, temperature=0.9, max_tokens=20, seed=7) == "".join(pieces)
    # and it really samples: other seeds give other text (a provider that always decodes greedily gives one)
    others = {complete(smol, msgs, temperature=0.9, max_tokens=20, seed=s) for s in (1, 2, 3)}
    assert others - {"".join(pieces)}


def test_local_stop_event_cuts_generation(smol):
    stop = threading.Event()
    got = []
    for piece in smol.stream([{"role": "user", "content": "Count from one to one hundred."}], temperature=0,
                             max_tokens=200, stop_event=stop):
        got.append(piece)
        if len(got) == 3:
            stop.set()
    assert 3 <= len(got) <= 6


def test_empty_prompt_and_bad_params_are_user_errors(smol):
    with pytest.raises(UserError) as info:
        list(smol.stream([{"role": "user", "content": "  "}]))
    assert info.value.key == "llm.empty_prompt"
    with pytest.raises(UserError) as info:
        list(smol.stream([{"role": "user", "content": "hi"}], temperature=5))
    assert info.value.key == "llm.bad_params"


def test_long_prompt_is_truncated_with_flag(smol):
    long = "word " * 6000
    assert smol.prompt_ids([{"role": "user", "content": long}]).shape[1] == 4096 and smol.truncated


@pytest.fixture(scope="module")
def server(smol):
    from serve.app import create_app

    with uvicorn_thread(create_app(smol)) as port:
        yield f"http://127.0.0.1:{port}/v1"


def test_compat_provider_with_official_client_against_our_server(server, smol):
    provider = OpenAICompatible(None, "course-local", base_url=server, name="compat")
    assert provider.models() == ["course-local"]
    msgs = [{"role": "user", "content": "Say hello."}]
    streamed = "".join(provider.stream(msgs, temperature=0, max_tokens=12))
    assert streamed.strip() and streamed == complete(smol, msgs, temperature=0, max_tokens=12)
    from openai import OpenAI

    plain = OpenAI(base_url=server, api_key="x").chat.completions.create(model="course-local", messages=msgs,
                                                                        temperature=0, max_tokens=12)
    assert plain.choices[0].message.content == streamed


def test_unreachable_base_url_fails_fast():
    provider = OpenAICompatible(None, "m", base_url=f"http://127.0.0.1:{free_port()}/v1", name="compat")
    start = time.time()
    with pytest.raises(UserError) as info:
        list(provider.stream([{"role": "user", "content": "hi"}]))
    assert info.value.key == "llm.unreachable" and time.time() - start < 10


def test_missing_keys_are_explained():
    for make in (lambda: OpenAICompatible(None, "gpt-4o-mini"), lambda: GeminiProvider(None)):
        with pytest.raises(UserError) as info:
            make()
        assert info.value.key == "llm.no_key"


def test_invalid_key_is_explained_without_leaking_it(smol):
    from serve.app import create_app

    with uvicorn_thread(create_app(smol, api_key="right-key")) as port:
        wrong = OpenAICompatible("sk-wrong-key-123", "course-local", base_url=f"http://127.0.0.1:{port}/v1")
        with pytest.raises(UserError) as info:
            list(wrong.stream([{"role": "user", "content": "hi"}]))
        assert info.value.key == "llm.bad_key" and "sk-wrong-key-123" not in str(info.value.params)
        right = OpenAICompatible("right-key", "course-local", base_url=f"http://127.0.0.1:{port}/v1")
        assert "".join(right.stream([{"role": "user", "content": "hi"}], max_tokens=4, temperature=0)).strip()


class _Probe:
    """Simulates the greedy check: the token ids and seconds/token each dtype would give on some machine."""

    def __init__(self, bf16_tokens, bf16_s):
        self.bf16_tokens, self.bf16_s, self.calls = bf16_tokens, bf16_s, 0

    def __call__(self, lm, tok):
        import torch

        self.calls += 1
        if next(lm.parameters()).dtype == torch.bfloat16:
            return self.bf16_tokens, self.bf16_s
        return [1, 2, 3, 4], 0.1


def test_dtype_choice_needs_same_output_and_speed(tmp_path):
    import torch

    from core.llm.local import choose_dtype, dtype_for

    lm = torch.nn.Linear(4, 4)
    assert choose_dtype(lm, None, _Probe([1, 2, 3, 4], 0.04))[0] == "bfloat16"
    assert choose_dtype(lm, None, _Probe([1, 2, 9, 9], 0.04))[0] == "float32"  # faster but different text
    assert choose_dtype(lm, None, _Probe([1, 2, 3, 4], 0.30))[0] == "float32"  # same text but slower (no native bf16)
    assert next(lm.parameters()).dtype == torch.float32  # the check leaves the model as it found it
    probe = _Probe([1, 2, 9, 9], 0.04)
    assert dtype_for("m", lm, None, tmp_path, probe) == "float32" and probe.calls == 2
    assert dtype_for("m", lm, None, tmp_path, probe) == "float32" and probe.calls == 2  # remembered on disk


def test_local_model_loads_in_the_remembered_dtype(smol):
    import json

    from core.llm.local import machine_key

    known = json.loads((S.cache_dir / "models" / "dtype_choice.json").read_text())
    choice = known[f"smollm2-135m|{machine_key()}"]
    assert str(smol.lm.dtype) == f"torch.{choice['dtype']}" and choice["dtype"] in ("float32", "bfloat16")
    assert smol.id == f"local:smollm2-135m/{choice['dtype']}"


def test_provider_ids_name_kind_model_and_server():
    a = OpenAICompatible("k", "gpt-4o-mini")
    b = OpenAICompatible(None, "gpt-4o-mini", base_url="http://127.0.0.1:9/v1", name="openai")
    assert a.id == "openai:gpt-4o-mini@https://api.openai.com/v1" and b.id == "openai:gpt-4o-mini@http://127.0.0.1:9/v1"
    assert GeminiProvider("k", "gemini-2.0-flash").id == "gemini:gemini-2.0-flash"


def _tiny_lm(tied: bool):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=tied)
    return Qwen2ForCausalLM(config)


def test_twin_embeddings_are_tied_to_the_output_copy_and_saved_once(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    from core.llm.local import tie_twin_embeddings

    lm = _tiny_lm(tied=False)
    with torch.no_grad():  # one matrix quantised twice: the input copy differs by noise
        out = lm.get_output_embeddings().weight
        lm.get_input_embeddings().weight.copy_(out + 0.02 * out.std() * torch.randn_like(out))
    kept = out.detach().clone()
    assert tie_twin_embeddings(lm)
    assert torch.equal(lm.get_input_embeddings().weight, kept)
    lm.save_pretrained(tmp_path)
    again = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert again.get_input_embeddings().weight.data_ptr() == again.get_output_embeddings().weight.data_ptr()
    assert torch.equal(again.get_output_embeddings().weight, kept)


def test_different_embedding_matrices_stay_apart():
    from core.llm.local import tie_twin_embeddings

    lm = _tiny_lm(tied=False)  # two independent random matrices: not one matrix twice
    assert not tie_twin_embeddings(lm)
    assert lm.get_input_embeddings().weight.data_ptr() != lm.get_output_embeddings().weight.data_ptr()
    assert not tie_twin_embeddings(_tiny_lm(tied=True))  # already one
