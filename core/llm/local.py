"""Local chat models with transformers, from the GGUF files the asset registry ships.

The first load de-quantises the GGUF (SmolLM2 ~15 s, Qwen2.5-0.5B ~40 s on 2 cores) and saves an fp32 copy under
the cache dir; later loads read that copy in about a second. The weights are then cast to the fastest dtype that
gives the same greedy output on this machine (bf16 where the CPU computes it natively, else fp32), decided once by
a short check and remembered on disk. Generation runs in a thread and streams through TextIteratorStreamer; a
threading.Event stops it between tokens."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

from core.catalog import LOCAL_MODELS, converted_dir
from core.errors import UserError
from core.llm.base import GenParams, Message, check_messages, provider_id

CONTEXT_TOKENS = 4096  # what we allow a prompt to use; longer prompts keep their end and say so


DTYPE_PROBE = [{"role": "user", "content": "대한민국의 수도와 헌법의 역할을 한 문장씩 설명하세요. Then say hello."}]
PROBE_TOKENS = 24


def machine_key() -> str:
    """What decides bf16 speed: the CPU model, its vector capability and the torch build."""
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}|{torch.backends.cpu.get_cpu_capability()}|{torch.__version__}|{torch.get_num_threads()}"


def _greedy(lm, tok, max_new_tokens: int = PROBE_TOKENS) -> tuple[list[int], float]:
    """Greedy token ids for the probe prompt and the seconds per generated token."""
    import torch

    ids = tok.apply_chat_template(DTYPE_PROBE, add_generation_prompt=True, return_tensors="pt",
                                  return_dict=True)["input_ids"]
    with torch.no_grad():
        lm.generate(ids, max_new_tokens=2, do_sample=False)  # first call pays one-off kernel setup
        start = time.perf_counter()
        out = lm.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens, do_sample=False,
                          pad_token_id=tok.pad_token_id or tok.eos_token_id)
    new = out[0, ids.shape[1]:].tolist()
    return new, (time.perf_counter() - start) / max(len(new), 1)


def choose_dtype(lm, tok, probe: Callable = _greedy) -> tuple[str, dict]:
    """'bfloat16' when the bf16 copy greedily produces the same tokens as fp32 and is faster, else 'float32'.

    lm must be the fp32 model; it is cast back to fp32 before returning, whichever wins."""
    import torch

    ref, fp32_s = probe(lm, tok)
    try:
        same_bf16, bf16_s = probe(lm.to(torch.bfloat16), tok)
    except (RuntimeError, TypeError) as exc:  # a CPU/torch build without bf16 kernels
        lm.to(torch.float32)
        return "float32", {"reason": f"bf16 failed: {exc}"[:200]}
    lm.to(torch.float32)
    info = {"fp32_tok_s": round(1 / fp32_s, 2), "bf16_tok_s": round(1 / bf16_s, 2), "same_output": same_bf16 == ref}
    return ("bfloat16" if same_bf16 == ref and bf16_s < fp32_s else "float32"), info


def dtype_for(model: str, lm, tok, cache_dir: Path, probe: Callable = _greedy) -> str:
    """The remembered choice for this model on this machine, running the check the first time."""
    path = Path(cache_dir) / "models" / "dtype_choice.json"
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    key = f"{model}|{machine_key()}"
    if key not in known:
        dtype, info = choose_dtype(lm, tok, probe)
        known[key] = {"dtype": dtype, **info}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(known, indent=1))
        tmp.replace(path)
    return known[key]["dtype"]


def load_local(model: str, registry, cache_dir: Path, progress: Callable[[str], None] | None = None,
               dtype: str | None = None):
    """(model, tokenizer) in the fastest safe dtype (or the one asked: 'float32' / 'bfloat16'), converting the GGUF
    once and reusing the fp32 copy afterwards."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if model not in LOCAL_MODELS:
        raise UserError("llm.unknown_model", f"unknown local model {model}", model=model)
    target = converted_dir(cache_dir, model)
    if (target / "config.json").exists():
        if progress:
            progress("cached")
        tok = AutoTokenizer.from_pretrained(str(target))
        lm = AutoModelForCausalLM.from_pretrained(str(target), dtype=torch.float32).eval()
        chosen = dtype or dtype_for(model, lm, tok, cache_dir)
        return lm.to(getattr(torch, chosen)), tok
    gguf = registry.path(LOCAL_MODELS[model])
    if progress:
        progress("converting")
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    lm = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tie_twin_embeddings(lm, gguf)
    lm.hf_quantizer = None  # a GGUF-loaded model refuses save_pretrained otherwise
    if hasattr(lm.config, "quantization_config"):
        del lm.config.quantization_config
    if progress:
        progress("saving")
    tmp = target.with_name(target.name + ".partial")
    lm.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    tmp.rename(target)
    return load_local(model, registry, cache_dir, progress, dtype)


TWIN_TOLERANCE = 0.1  # relative difference of two copies of one matrix quantised apart (Qwen's: 0.044)


def tie_twin_embeddings(lm, gguf: Path | None = None) -> bool:
    """Tie the input and output embeddings into one matrix when the GGUF stored one matrix twice. A model trained
    with tied embeddings (Qwen2.5-0.5B: 151,936 x 896, a quarter of its weights) can come as a GGUF holding both
    `token_embd` and `output`, quantised apart (Q5_0 and Q8_0 here); transformers then loads two untied copies,
    and the fp32 copy (+545 MB) and the int8 engine (+136 MB) carry the matrix twice. Copies whose relative
    difference is quantisation noise (≤ TWIN_TOLERANCE) are one matrix: the more precise copy (more bits per weight
    in the GGUF; `output` when unknown) becomes both. True when it tied them."""
    import torch

    inp, out = lm.get_input_embeddings(), lm.get_output_embeddings()
    if lm.config.tie_word_embeddings or out is None or inp.weight.shape != out.weight.shape:
        return False
    with torch.no_grad():
        if (inp.weight - out.weight).norm() > TWIN_TOLERANCE * out.weight.norm():
            return False
        bits = _gguf_bits(gguf) if gguf else {}
        if bits.get("token_embd.weight", 0) <= bits.get("output.weight", 0):
            inp.weight.copy_(out.weight)
    lm.config.tie_word_embeddings = True
    lm.tie_weights()  # the output layer now shares the input matrix: saved once, loaded once
    return True


def _gguf_bits(gguf: Path) -> dict[str, float]:
    """Bits per weight of each tensor of a GGUF file, from its quantisation type (the gguf package's reader)."""
    from gguf import GGML_QUANT_SIZES, GGUFReader

    sizes = {t.name: GGML_QUANT_SIZES[t.tensor_type] for t in GGUFReader(str(gguf)).tensors}
    return {name: 8 * size / block for name, (block, size) in sizes.items()}


# Sessions share one cached model (st.cache_resource): one generation at a time per process, since two at once
# on 2 cores only make both slower and one module is not promised safe under concurrent generate() calls.
_TURN = threading.Lock()
_COUNT_LOCK = threading.Lock()
_in_line = 0  # generations running or waiting for their turn


def _join_line(step: int) -> None:
    global _in_line
    with _COUNT_LOCK:
        _in_line += step


class _StopOnEvent:
    def __init__(self, event):
        self.event = event

    def __call__(self, input_ids, scores, **kwargs):
        return self.event is not None and self.event.is_set()


class LocalProvider:
    def __init__(self, model_name: str, lm, tokenizer):
        self.name, self.lm, self.tok = model_name, lm, tokenizer
        self.id = provider_id("local", f"{model_name}/{str(lm.dtype).removeprefix('torch.')}")
        self.truncated = False  # set when the last prompt was cut to fit the context

    def models(self) -> list[str]:
        return list(LOCAL_MODELS)

    def prompt_ids(self, messages: list[Message], tools: list[dict] | None = None):
        """The prompt as the model's own chat template writes it (with its tools block when tools are given)."""
        enc = self.tok.apply_chat_template(messages, tools=tools or None, add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
        ids = enc["input_ids"]
        self.truncated = ids.shape[1] > CONTEXT_TOKENS
        if self.truncated:  # keep the end: the question and the latest turns matter most
            ids = ids[:, -CONTEXT_TOKENS:]
        return ids

    def ahead(self) -> int:
        """Generations of this process running or waiting now: what a new question waits behind."""
        return _in_line

    def exclusive(self):
        """The one-generation-at-a-time lock, for callers that drive self.lm step by step (core.agent)."""
        return _TURN

    def count_tokens(self, text: str) -> int:
        return len(self.tok(text)["input_ids"])

    def stream(self, messages: list[Message], temperature: float = 0.7, top_p: float = 0.95, max_tokens: int = 256,
               seed: int | None = None, stop_event=None, tools: list[dict] | None = None,
               min_tokens: int = 0) -> Iterator[str]:
        """Generated text piece by piece. tools: OpenAI-style function schemas for the template's tools block (the
        server's function calling); the model then may write <tool_call> blocks, returned as text. min_tokens: no
        end before this many tokens (vLLM's min_tokens: a fixed-length load test)."""
        import torch
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        check_messages(messages)
        p = GenParams(temperature, top_p, max_tokens, seed).validate()
        ids = self.prompt_ids(messages, tools)
        streamer = TextIteratorStreamer(self.tok, skip_prompt=True, skip_special_tokens=True)
        kwargs = dict(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=p.max_tokens,
                      streamer=streamer, stopping_criteria=StoppingCriteriaList([_StopOnEvent(stop_event)]),
                      pad_token_id=self.tok.pad_token_id or self.tok.eos_token_id)
        if min_tokens > 0:
            kwargs["min_new_tokens"] = min(int(min_tokens), p.max_tokens)
        if p.temperature > 0:
            kwargs.update(do_sample=True, temperature=p.temperature, top_p=p.top_p)
        else:
            kwargs.update(do_sample=False)
        errors: list[BaseException] = []

        def run():
            _join_line(1)
            try:
                while not _TURN.acquire(timeout=0.2):
                    if stop_event is not None and stop_event.is_set():  # gave up while waiting in line
                        streamer.end()
                        return
                try:
                    if p.seed is not None:
                        torch.manual_seed(p.seed)
                    with torch.no_grad():
                        self.lm.generate(**kwargs)
                finally:
                    _TURN.release()
            except BaseException as exc:  # surfaced to the caller below
                errors.append(exc)
                streamer.end()
            finally:
                _join_line(-1)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        yield from (piece for piece in streamer if piece)
        thread.join()
        if errors:
            raise UserError("llm.failed", str(errors[0]), provider=self.name, reason=str(errors[0])[:300])
