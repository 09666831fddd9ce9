"""Local chat models with transformers, from the GGUF files the asset registry ships.

The first load de-quantises the GGUF (SmolLM2 ~15 s, Qwen2.5-0.5B ~40 s on 2 cores) and saves an fp32 copy under
the cache dir; later loads read that copy in about a second. Generation runs in a thread and streams through
TextIteratorStreamer; a threading.Event stops it between tokens."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Iterator

from core.catalog import LOCAL_MODELS, converted_dir
from core.errors import UserError
from core.llm.base import GenParams, Message, check_messages

CONTEXT_TOKENS = 4096  # what we allow a prompt to use; longer prompts keep their end and say so


def load_local(model: str, registry, cache_dir: Path, progress: Callable[[str], None] | None = None):
    """(model, tokenizer), converting the GGUF once and reusing the fp32 copy afterwards."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if model not in LOCAL_MODELS:
        raise UserError("llm.unknown_model", f"unknown local model {model}", model=model)
    target = converted_dir(cache_dir, model)
    if (target / "config.json").exists():
        if progress:
            progress("cached")
        tok = AutoTokenizer.from_pretrained(str(target))
        lm = AutoModelForCausalLM.from_pretrained(str(target), dtype=torch.float32)
        return lm.eval(), tok
    gguf = registry.path(LOCAL_MODELS[model])
    if progress:
        progress("converting")
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    lm = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    lm.hf_quantizer = None  # a GGUF-loaded model refuses save_pretrained otherwise
    if hasattr(lm.config, "quantization_config"):
        del lm.config.quantization_config
    if progress:
        progress("saving")
    tmp = target.with_name(target.name + ".partial")
    lm.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    tmp.rename(target)
    return lm.eval(), tok


class _StopOnEvent:
    def __init__(self, event):
        self.event = event

    def __call__(self, input_ids, scores, **kwargs):
        return self.event is not None and self.event.is_set()


class LocalProvider:
    def __init__(self, model_name: str, lm, tokenizer):
        self.name, self.lm, self.tok = model_name, lm, tokenizer
        self.truncated = False  # set when the last prompt was cut to fit the context

    def models(self) -> list[str]:
        return list(LOCAL_MODELS)

    def prompt_ids(self, messages: list[Message]):
        enc = self.tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)
        ids = enc["input_ids"]
        self.truncated = ids.shape[1] > CONTEXT_TOKENS
        if self.truncated:  # keep the end: the question and the latest turns matter most
            ids = ids[:, -CONTEXT_TOKENS:]
        return ids

    def count_tokens(self, text: str) -> int:
        return len(self.tok(text)["input_ids"])

    def stream(self, messages: list[Message], temperature: float = 0.7, top_p: float = 0.95, max_tokens: int = 256,
               seed: int | None = None, stop_event=None) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        check_messages(messages)
        p = GenParams(temperature, top_p, max_tokens, seed).validate()
        ids = self.prompt_ids(messages)
        streamer = TextIteratorStreamer(self.tok, skip_prompt=True, skip_special_tokens=True)
        kwargs = dict(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=p.max_tokens,
                      streamer=streamer, stopping_criteria=StoppingCriteriaList([_StopOnEvent(stop_event)]),
                      pad_token_id=self.tok.pad_token_id or self.tok.eos_token_id)
        if p.temperature > 0:
            kwargs.update(do_sample=True, temperature=p.temperature, top_p=p.top_p)
        else:
            kwargs.update(do_sample=False)
        errors: list[BaseException] = []

        def run():
            try:
                if p.seed is not None:
                    torch.manual_seed(p.seed)
                with torch.no_grad():
                    self.lm.generate(**kwargs)
            except BaseException as exc:  # surfaced to the caller below
                errors.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        yield from (piece for piece in streamer if piece)
        thread.join()
        if errors:
            raise UserError("llm.failed", str(errors[0]), provider=self.name, reason=str(errors[0])[:300])
