"""What quantization costs and buys for a local LLM, measured on this machine: the same model through torch fp32,
torch dynamic int8 and CTranslate2's compute types, each with its size, load time, decode tokens/s, time to first
token for a ~300-token prompt, and greedy agreement with torch fp32 (the share of fp32's first tokens each engine
repeats before it first differs, averaged over short prompts). Nothing in the table is written by hand: every
figure comes from a run. Used by the Serving page (CH07) and bench/llm.py."""
from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from core.catalog import converted_dir
from core.llm.base import complete
from core.llm.ct2 import prefix_agreement

ENGINES = ("torch-fp32", "torch-dynamic-int8", "ct2-int8", "ct2-int8_float32", "ct2-float32")
# short prompts of our own (not from any bench set), Korean and English, for greedy agreement with fp32
PROMPTS = ("Name three colours.", "What is the capital of France?", "Write one sentence about a cat.",
           "What is 2 plus 2?", "Explain what a tensor is in one sentence.", "서울은 어느 나라의 수도인가요?",
           "파이썬으로 리스트를 정렬하는 방법은?", "Give me a synonym for 'happy'.", "What does a GPU do?",
           "한 문장으로 인공지능을 설명하세요.", "List two uses of a neural network.",
           "What is the boiling point of water?",
           "Translate 'good morning' into Korean.", "What is overfitting?", "딥러닝과 머신러닝의 차이는?",
           "Write a haiku about rain.", "Why is the sky blue?", "What is a learning rate?",
           "데이터를 정규화하는 이유는 무엇인가요?", "Suggest a name for a pet dog.")
DECODE_PROMPT = [{"role": "user", "content": "Explain what a neural network is, in detail."}]


@dataclass
class EngineRow:
    engine: str
    size_mb: float       # the weights on disk (torch dynamic int8: its state dict as saved)
    load_s: float
    decode_tok_s: float
    ttft_s: float        # seconds to the first token of a reply to a ~300-token prompt
    agreement: float     # greedy agreement with torch fp32, 0..1
    sample: str          # the reply to the first prompt

    def as_dict(self) -> dict:
        return asdict(self)


def _mb(path: Path) -> float:
    path = Path(path)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.suffix in (".bin", ".safetensors")]
    return sum(p.stat().st_size for p in files) / 2**20


def open_engine(engine: str, model: str, registry, cache_dir: Path, threads: int | None = None):
    """(provider, size in MB, load seconds) for one engine of ENGINES."""
    if engine.startswith("ct2-"):
        from transformers import PreTrainedTokenizerFast  # noqa: F401  (before the clock: a one-off per process)

        from core.llm.ct2 import load_ct2, prepare

        folder = prepare(model, registry, cache_dir)
        start = time.perf_counter()
        provider = load_ct2(model, registry, cache_dir, compute_type=engine.removeprefix("ct2-"),
                            intra_threads=threads, folder=folder)
        return provider, _mb(folder / "model.bin"), time.perf_counter() - start
    import torch

    from core.llm.local import LocalProvider, load_local

    if threads:
        torch.set_num_threads(threads)
    load_local(model, registry, cache_dir, dtype="float32")  # the fp32 folder exists before the clock starts
    start = time.perf_counter()
    lm, tok = load_local(model, registry, cache_dir, dtype="float32")
    if engine == "torch-fp32":
        return LocalProvider(model, lm, tok), _mb(converted_dir(cache_dir, model)), time.perf_counter() - start
    if engine == "torch-dynamic-int8":
        lm = torch.ao.quantization.quantize_dynamic(lm, {torch.nn.Linear}, dtype=torch.qint8)
        seconds = time.perf_counter() - start
        buf = io.BytesIO()
        torch.save(lm.state_dict(), buf)
        return LocalProvider(model, lm, tok), buf.tell() / 2**20, seconds
    raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")


def greedy_tokens(provider, prompts, new_tokens: int) -> list[list[int]]:
    """Each prompt's greedy reply, as token ids of the model's tokenizer."""
    return [provider.tok(complete(provider, [{"role": "user", "content": p}], temperature=0,
                                  max_tokens=new_tokens))["input_ids"] for p in prompts]


def decode_speed(provider, new_tokens: int) -> float:
    """Tokens/s after the first token, greedy, on a prompt that asks for a long answer."""
    first, pieces = None, []
    for piece in provider.stream(DECODE_PROMPT, temperature=0, max_tokens=new_tokens):
        first = first or time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    n = len(provider.tok("".join(pieces))["input_ids"])
    return (n - 1) / max(end - first, 1e-9)


def long_prompt(tok, tokens: int = 300) -> str:
    """A ~tokens-long prompt from a text of our own, repeated: what a RAG prompt with context looks like."""
    text = ("The course teaches PyTorch from tensors to transformers, then retrieval, agents and serving. "
            "Students train small models on a CPU and measure what each choice costs. ") * 40
    return tok.decode(tok(text)["input_ids"][:tokens]) + "\n\nSummarise the text above in one sentence."


def first_token_s(provider, prompt: str) -> float:
    start = time.perf_counter()
    pieces = iter(provider.stream([{"role": "user", "content": prompt}], temperature=0, max_tokens=1))
    next(pieces)
    seconds = time.perf_counter() - start
    for _ in pieces:  # let the generation end (a torch thread left running aborts the interpreter at exit)
        pass
    return seconds


def measure(engine: str, model: str, registry, cache_dir: Path, prompts=PROMPTS, reference=None,
            new_tokens: int = 16, decode_tokens: int = 64, threads: int | None = None) -> tuple[EngineRow, list]:
    """One engine's row and its greedy tokens (the reference for the others when engine is torch-fp32)."""
    provider, size, load_s = open_engine(engine, model, registry, cache_dir, threads)
    tokens = greedy_tokens(provider, prompts, new_tokens)
    reference = tokens if reference is None else reference
    agreement = sum(prefix_agreement(r, g, new_tokens) for r, g in zip(reference, tokens)) / len(prompts)
    complete(provider, [{"role": "user", "content": "hi"}], temperature=0, max_tokens=2)  # warm-up
    row = EngineRow(engine, round(size, 1), round(load_s, 2), round(decode_speed(provider, decode_tokens), 1),
                    round(first_token_s(provider, long_prompt(provider.tok)), 2), round(agreement, 3),
                    provider.tok.decode(tokens[0], skip_special_tokens=True))
    return row, tokens


def compare(model: str, registry, cache_dir: Path, engines=ENGINES, prompts=PROMPTS, new_tokens: int = 16,
            decode_tokens: int = 64, progress: Callable[[str], None] | None = None) -> list[EngineRow]:
    """Every engine's row, torch fp32 first (its greedy tokens are the reference), in this process."""
    engines = ["torch-fp32", *[e for e in engines if e != "torch-fp32"]]
    rows, reference = [], None
    for engine in engines:
        if progress:
            progress(engine)
        row, tokens = measure(engine, model, registry, cache_dir, prompts, reference, new_tokens, decode_tokens)
        reference = reference or tokens
        rows.append(row)
    return rows
