"""The CTranslate2 int8 engine: it streams, stops, repeats a seed, agrees with torch fp32 greedily, generates
concurrent calls as one batch with each its own answer, and the server batches concurrent requests."""
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.assets import READY, Registry
from core.config import Settings
from core.llm.base import complete
from core.llm.ct2 import load_ct2, prefix_agreement
from core.llm.local import LocalProvider, load_local


def _fresh_process(code: str) -> str:
    """What a Python program prints when run in a new interpreter from the project's root (it must succeed)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout

S = Settings.load()
REG = Registry(S.cache_dir)
# short prompts of our own; the agreement is the share of the first 16 greedy tokens int8 writes before it first
# differs from fp32, averaged over them
SHORT = ["Name three colours.", "What is the capital of France?", "Write one sentence about a cat.",
         "What is 2 plus 2?"]
AGREEMENT = 0.25


@pytest.fixture(scope="module")
def smol():
    return load_ct2("smollm2-135m", REG, S.cache_dir)


def test_ct2_streams_and_stops(smol):
    msgs = [{"role": "user", "content": "Count from one to one hundred."}]
    pieces = list(smol.stream(msgs, temperature=0, max_tokens=20))
    assert len(pieces) > 3 and "".join(pieces).strip()
    assert smol.count_tokens("".join(pieces)) <= 21  # max_tokens holds (a re-tokenised text may differ by one)
    stop = threading.Event()
    got = []
    for piece in smol.stream(msgs, temperature=0, max_tokens=200, stop_event=stop):
        got.append(piece)
        if len(got) == 3:
            stop.set()
    assert len(got) == 3 and "".join(got) == "".join(pieces[:3])
    # a reader that leaves early ends its job: the engine is free for the next one at once
    it = smol.stream(msgs, temperature=0, max_tokens=200)
    next(it)
    it.close()
    assert complete(smol, msgs, temperature=0, max_tokens=20) == "".join(pieces)


def test_a_closed_engine_answers_again_the_same(smol):
    """Light mode closes an engine it drops (ui.resources); a session still holding it gets its answer, not an
    error: the engine loads again."""
    msgs = [{"role": "user", "content": "Name a colour."}]
    before = complete(smol, msgs, temperature=0, max_tokens=8)
    smol.close()
    assert smol.generator is None
    assert complete(smol, msgs, temperature=0, max_tokens=8) == before
    assert smol.generator is not None


def test_closing_frees_the_torch_model_and_lm_loads_it_again():
    """An engine whose page read its torch model (`lm`: the agent, logits) lets that go too when light mode drops
    it; a holder asking again gets a model of the same weights."""
    import gc
    import weakref

    import torch

    loads = []

    def loader():
        loads.append(1)
        return load_local("smollm2-135m", REG, S.cache_dir)

    provider = load_ct2("smollm2-135m", REG, S.cache_dir, torch_loader=loader)
    first = weakref.ref(provider.lm)
    weight = provider.lm.get_input_embeddings().weight[:3].detach().clone()
    provider.close()
    gc.collect()
    assert first() is None and len(loads) == 1
    assert torch.equal(provider.lm.get_input_embeddings().weight[:3], weight) and len(loads) == 2
    provider.close()


def test_an_engine_closed_while_its_torch_model_loads_does_not_hang():
    """Loading the torch model through ui.resources from a job's thread drops every other big model in light mode,
    this engine too: close() runs inside `lm`'s load, in the same thread."""
    provider = load_ct2("smollm2-135m", REG, S.cache_dir, torch_loader=lambda: (provider.close(), ("lm", "tok"))[1])
    got = []
    worker = threading.Thread(target=lambda: got.append(provider.lm), daemon=True)
    worker.start()
    worker.join(20)
    assert got == ["lm"]


def test_ct2_seed_repeats_and_seeds_differ(smol):
    msgs = [{"role": "user", "content": "Write one sentence about a cat."}]

    def say(seed):
        return complete(smol, msgs, temperature=1.0, top_p=1.0, max_tokens=10, seed=seed)

    first = {seed: say(seed) for seed in range(3)}
    assert say(1) == first[1]
    assert len(set(first.values())) >= 2, first


def test_ct2_int8_greedy_agrees_with_torch_fp32(smol):
    """The int8 engine says what fp32 says: the same facts (MKL's VNNI int8 kernels once answered the capital of
    France with "L'Étoile, la Marseillaise, …" on a Xeon, see core/__init__.py), and mostly the same first words
    (a 135M model's int8 rounding changes wording early: mean prefix agreement 0.35 on that Xeon, above 0.5 on AVX2)."""
    lm, tok = load_local("smollm2-135m", REG, S.cache_dir, dtype="float32")
    fp32 = LocalProvider("smollm2-135m", lm, tok)
    scores, answers = [], {}
    for prompt in SHORT:
        msgs = [{"role": "user", "content": prompt}]
        ref, got = (complete(p, msgs, temperature=0, max_tokens=16) for p in (fp32, smol))
        answers[prompt] = (ref, got)
        scores.append(prefix_agreement(tok(ref)["input_ids"], tok(got)["input_ids"], 16))
    for prompt, fact in (("What is the capital of France?", "Paris"), ("What is 2 plus 2?", "4")):
        assert all(fact in a for a in answers[prompt]), answers[prompt]
    assert sum(scores) / len(scores) >= AGREEMENT, (scores, answers)
    assert prefix_agreement([1, 2, 3, 4], [1, 2, 9, 4], 4) == 0.5 and prefix_agreement([1], [], 4) == 0.0


def test_concurrent_calls_are_one_batch_each_with_its_own_answer(smol):
    prompts = ["Name three colours.", "Name three animals."]
    alone = [complete(smol, [{"role": "user", "content": p}], temperature=0, max_tokens=12) for p in prompts]
    assert alone[0] != alone[1]
    answers = {}

    def ask(i):
        answers[i] = complete(smol, [{"role": "user", "content": prompts[i]}], temperature=0, max_tokens=12)

    before = _both_while_busy(smol, ask)
    assert smol.batches[before:] == [2], smol.batches[before:]
    assert [answers[0], answers[1]] == alone


def _both_while_busy(provider, ask) -> int:
    """Two asks arrive while the engine is busy (its lock held, as a running batch or the agent holds it); they
    are then generated together. Returns how many batches ran before."""
    before = len(provider.batches)
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    with provider.exclusive():
        for th in threads:
            th.start()
        deadline = time.time() + 60
        while provider.ahead() < 2 and time.time() < deadline:
            time.sleep(0.05)
    for th in threads:
        th.join(120)
    return before


# our own texts: Korean, English, code, whitespace runs, a tool call, a special token written as text
TEXTS = ["대한민국의 수도는 어디인가요? 헌법 제1조를 설명하세요.", "def f(x):\n    return x ** 2  # 제곱\n\n\n",
         "  leading and trailing spaces  ",
         "<tool_call>{\"name\": \"calc\", \"arguments\": {\"x\": \"2+2\"}}</tool_call>",
         "emoji 🙂 and 한자 漢字, numbers 1234567 and 3.14159", "<|im_end|> written by a user"]
TOOLS = [{"type": "function", "function": {"name": "calc", "description": "Evaluate arithmetic.",
                                           "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}}}]


@pytest.mark.parametrize("model", ["smollm2-135m", "qwen2.5-0.5b"])
def test_torch_free_tokenizer_gives_the_same_ids_as_autotokenizer(model):
    from transformers import AutoTokenizer

    from core.llm.ct2 import _hf, load_tokenizer, prepare

    folder = prepare(model, REG, S.cache_dir)
    ours, auto = load_tokenizer(folder), AutoTokenizer.from_pretrained(str(_hf(folder)))
    for text in TEXTS:
        assert ours(text)["input_ids"] == auto(text)["input_ids"], text
        ids = auto(text)["input_ids"]
        assert ours.decode(ids, skip_special_tokens=True) == auto.decode(ids, skip_special_tokens=True)
    chats = [[{"role": "user", "content": t}] for t in TEXTS]
    chats.append([{"role": "system", "content": "너는 친절한 조교다."}, {"role": "user", "content": TEXTS[0]},
                  {"role": "assistant", "content": TEXTS[1]}, {"role": "user", "content": TEXTS[2]}])
    for chat in chats:
        for tools in (None, TOOLS):
            a = ours.apply_chat_template(chat, tools=tools, add_generation_prompt=True, return_dict=True)
            b = auto.apply_chat_template(chat, tools=tools, add_generation_prompt=True, return_dict=True)
            assert a["input_ids"] == b["input_ids"], (chat, tools)
    assert ours.eos_token_id == auto.eos_token_id


def test_an_int8_chat_does_not_import_torch():
    """torch is ~650 MiB of a chat's peak RSS: the int8 path (tokenizer, template, engine) must not load it."""
    code = ("import sys\n"
            "from core.assets import Registry\nfrom core.config import Settings\n"
            "from core.llm.base import complete\nfrom core.llm.ct2 import load_ct2\n"
            "s = Settings.load()\np = load_ct2('smollm2-135m', Registry(s.cache_dir), s.cache_dir)\n"
            "text = complete(p, [{'role': 'user', 'content': '안녕하세요, 자기소개를 해 주세요.'}], temperature=0,"
            " max_tokens=8)\n"
            "p.close()\nprint(bool(text.strip()), 'torch' in sys.modules)\n")
    out = _fresh_process(code)
    assert out.split() == ["True", "False"], out


def test_asset_status_lists_the_converted_models():
    st = REG.status("smollm2_ct2")
    assert st.state == READY and (st.path / "model.bin").exists() and (st.path / "check.json").exists()


@pytest.fixture(scope="module")
def server(smol):
    from serve.app import create_app
    from tests.serving import uvicorn_thread

    with uvicorn_thread(create_app(smol)) as port:
        yield f"http://127.0.0.1:{port}"


def test_server_generates_concurrent_requests_together(server, smol):
    import httpx

    prompts = ["Name three colours.", "Name three animals."]
    alone = [complete(smol, [{"role": "user", "content": p}], temperature=0, max_tokens=12) for p in prompts]
    answers = {}

    def ask(i):
        r = httpx.post(f"{server}/v1/chat/completions", timeout=120,
                       json={"messages": [{"role": "user", "content": prompts[i]}], "temperature": 0,
                             "max_tokens": 12})
        answers[i] = r.json()["choices"][0]["message"]["content"]

    before = _both_while_busy(smol, ask)
    assert smol.batches[before:] == [2], smol.batches[before:]
    assert [answers[0], answers[1]] == alone


def test_a_short_answer_ends_before_the_long_one_in_its_batch(smol):
    """A batch lasts as long as its longest answer; each reader gets its end when its own row ends."""
    asks = [("Say yes.", 3), ("Count from one to one hundred, in words.", 150)]
    still_running = {}

    def ask(i):
        prompt, n = asks[i]
        complete(smol, [{"role": "user", "content": prompt}], temperature=0, max_tokens=n)
        still_running[i] = smol.ahead()  # jobs not yet ended when this one got its end

    before = _both_while_busy(smol, ask)
    assert smol.batches[before:] == [2], smol.batches[before:]
    assert still_running[0] == 1 and still_running[1] == 0, still_running


def test_min_tokens_holds_off_the_end(smol):
    msgs = [{"role": "user", "content": "What is 2 plus 2? Answer with the number only."}]
    natural = complete(smol, msgs, temperature=0, max_tokens=40)
    forced = complete(smol, msgs, temperature=0, max_tokens=40, min_tokens=40)
    assert smol.count_tokens(natural) < 30 <= smol.count_tokens(forced), (natural, forced)


# a long system turn of our own (a schema, as the Text-to-SQL page sends), then different questions
SYSTEM = ("You answer with one SQL query for this SQLite schema and nothing else.\n"
          + "\n".join(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT, score REAL, t{i - 1}_id INTEGER);"
                      for i in range(1, 7)))
ASKS = ["How many rows are in t1?", "List the names in t3 ordered by score."]


def test_the_system_prompt_is_read_once_and_kept_on_its_second_use(smol, monkeypatch):
    msgs = [[{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}] for q in ASKS]
    ids = smol.prompt_ids(msgs[0])
    head, rest = smol.split_system(msgs[0], ids)
    assert len(head) >= 48 and head + rest == ids  # the system turn is the prompt's own prefix
    assert smol.split_system(msgs[0][1:], smol.prompt_ids(msgs[0][1:])) == ([], smol.prompt_ids(msgs[0][1:]))
    static = tuple(smol.tok.convert_ids_to_tokens(head))
    smol._static_kept.clear()
    smol._static_seen.clear()
    with_cache = [complete(smol, m, temperature=0, max_tokens=16) for m in msgs]
    assert static in smol._static_kept  # kept on its second use
    monkeypatch.setattr("core.llm.ct2.STATIC_MIN_TOKENS", 10**6)  # the whole prompt read each time
    assert [complete(smol, m, temperature=0, max_tokens=16) for m in msgs] == with_cache


def test_requests_with_the_same_system_prompt_share_a_batch_and_others_do_not(smol):
    msgs = [[{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}] for q in ASKS]
    answers = {}

    def ask(i):
        answers[i] = complete(smol, msgs[i], temperature=0, max_tokens=8)

    before = _both_while_busy(smol, ask)
    assert smol.batches[before:] == [2]
    other = [{"role": "system", "content": SYSTEM.replace("SQLite", "PostgreSQL")}, msgs[1][1]]

    def ask2(i):
        answers[i] = complete(smol, msgs[0] if i == 0 else other, temperature=0, max_tokens=8)

    before = _both_while_busy(smol, ask2)
    assert smol.batches[before:] == [1, 1]  # a different system prompt is another batch


def test_continuations_is_the_chats_greedy_text_cut_at_stop(smol):
    """The agent's program writer on int8: the greedy continuation of a templated prompt is the chat's greedy
    text; stop cuts it."""
    msgs = [{"role": "user", "content": "Count from one to ten, separated by commas."}]
    text = smol.tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
    greedy = smol.continuations(text, max_tokens=12)
    assert greedy == [complete(smol, msgs, temperature=0, max_tokens=12)]
    word = greedy[0].split()[1]
    assert smol.continuations(text, max_tokens=12, stop=word) == [greedy[0].split(word)[0]]


def test_a_kept_system_prompt_costs_what_kv_bytes_per_token_says():
    """The cap on kept system prompts is in bytes: the estimate must be what CTranslate2 really holds (every
    attention head's keys and values, also where heads share them: SmolLM2 9 heads over 3). Measured as the RSS a
    kept static prompt adds, in a fresh process that hands freed memory back (core.procs.lean_heap)."""
    code = ("import time\nimport psutil\nfrom core.procs import lean_heap\nlean_heap()\n"
            "from core.assets import Registry\nfrom core.config import Settings\n"
            "from core.llm.ct2 import kv_bytes_per_token, load_ct2\n"
            "s = Settings.load()\np = load_ct2('smollm2-135m', Registry(s.cache_dir), s.cache_dir)\n"
            "words = p.tok.convert_ids_to_tokens(p.tok(open('core/llm/ct2.py').read())['input_ids'])\n"
            "p.generator.generate_batch([words[:8]], max_length=2)\n"  # the engine's first-use buffers
            "rss = psutil.Process().memory_info().rss\n"
            "p.generator.generate_batch([words[600:604]], static_prompt=words[:600], cache_static_prompt=True,"
            " max_length=2)\n"
            "time.sleep(0.2)\n"
            "print(psutil.Process().memory_info().rss - rss, 600 * kv_bytes_per_token(p.folder))\np.close()\n")
    held, estimate = map(int, _fresh_process(code).split())
    assert 0.8 * estimate <= held <= 1.25 * estimate, (held, estimate)


def test_an_engine_without_a_static_cache_reads_the_system_prompt_with_the_rest(smol):
    """Light mode's engine (static_cache_bytes=0) keeps no system prompt's state and writes the same answers."""
    lean = load_ct2("smollm2-135m", REG, S.cache_dir, static_cache_bytes=0)
    try:
        msgs = [[{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}] for q in ASKS]
        ids = lean.prompt_ids(msgs[0])
        assert lean.split_system(msgs[0], ids) == ([], ids)
        answers = [complete(lean, m, temperature=0, max_tokens=16) for m in msgs * 2]
        assert not lean._static_kept
        assert answers == [complete(smol, m, temperature=0, max_tokens=16) for m in msgs * 2]
    finally:
        lean.close()
