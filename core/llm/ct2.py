"""Local generation with CTranslate2 int8: about twice torch fp32's tokens/s in a quarter of its memory on a CPU
without native bf16 (bench/llm.py measures both in one run).

The model is converted once, from the same fp32 folder core.llm.local saves, with CTranslate2's own
TransformersConverter (weights stored as int8), checked with a short greedy run, and kept in the cache
(`python -m core.assets prepare` lists and builds it). The prompt is still the tokenizer's own chat template.

Generation: every stream() call becomes a job; one worker thread per model takes the jobs waiting and generates
them together with Generator.generate_batch (static batching): one job alone is plain streaming, eight concurrent
server requests are one batch (the worker gathers while they keep arriving). Tokens come back through
generate_batch's per-token callback, which also stops a job (its end token, its own max_tokens, its stop event, or
its reader gone) without stopping the others, and hands that job its end at once: a short answer does not wait for
the longest in its batch. A batch still lasts as long as its longest answer, so with answers of very different
lengths 8 clients gain less than with equal ones (bench/serve.py measures both). Its prompts cost more than their
tokens, too: CTranslate2 reads a batch's prompts in one pass only up to the shortest one, and each longer prompt's
other tokens one per generation step of the whole batch (measured, Text-to-SQL question tails after the kept
schema, loaded 2-core box: one tail 0.2 s, two equal tails 0.5 s, tails of 16 and 38 tokens 3.5 s), so a batch of
questions of different lengths lasts up to its longest tail minus its shortest more steps.

Tried for issue 30 and dropped (bench/llm_eval.py, 24 requests, shared 2-core box): two engine replicas taking
jobs from one queue, so a request arriving during a batch starts on the other (2 replicas x 2 threads: 1.56-1.70x
at concurrency 8 against 1.84-1.90x for one engine in alternating rounds; 2 x 1 thread: 1.01-1.45x; peak RSS +150
to +210 MiB; commit 7e5162f on branch r30f), and stopping a batch whose rows are half done to restart its
unfinished rows with the newcomers (its rows' prompts and tokens so far are read again one per step, as above:
-10 % to +8 % time over 8 + 4 requests, within the noise).

The system prompt is read once (prefix caching, as vLLM's automatic prefix caching or CTranslate2's "static
prompt"): the tokens of a conversation's leading system turn(s) are handed to generate_batch as its static_prompt,
whose model state CTranslate2 keeps and copies into every later batch that starts the same way. A long shared
instruction (a Text-to-SQL schema, a RAG or agent instruction) is then not read again for every request, and jobs
with the same system prompt share one batch. A system prompt is kept the second time it is seen, while the kept
states fit in the engine's static_cache_bytes (STATIC_CACHE_BYTES; CTranslate2's cache has no eviction: a fresh
engine starts it empty). An engine with none (0: light mode on a small box) reads the system prompt with the rest:
no state kept, none copied into each batch.

Torch stays for what needs the model's insides (logits and attention on the transformer page, LoRA training, the
agent's constrained decoding): `provider.lm` loads the torch fp32 model the first time it is asked for."""
from __future__ import annotations

import atexit
import json
import os
import queue
import shutil
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from core.catalog import CT2_QUANTIZATION, LOCAL_MODELS, converted_dir, ct2_dir
from core.errors import UserError
from core.llm.base import GenParams, Message, check_messages, provider_id

CONTEXT_TOKENS = 4096
MAX_BATCH = 8          # jobs generated together at most (the server's concurrency goal)
GATHER_S = 0.02        # the worker waits this long after a job arrives for others to join its batch ...
GATHER_MAX_S = 0.2     # ... while they keep arriving (HTTP requests come in over tens of ms), at most this long
IDLE_S = 60            # a worker with nothing to do this long ends (and no longer keeps its provider alive)
STATIC_MIN_TOKENS = 48          # a shorter system prompt is read with the rest (no gain in keeping it)
STATIC_CACHE_BYTES = 128 << 20  # model states of system prompts kept per engine, at most
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json",
                   "special_tokens_map.json", "vocab.json", "merges.txt")
CHECK_FILE = "check.json"
HF = "hf"  # the sub-folder holding the tokenizer, chat template and the transformers config
PROBE = [{"role": "user", "content": "대한민국의 수도와 헌법의 역할을 한 문장씩 설명하세요. Then say hello."}]
_END = object()
_LIVE: weakref.WeakSet = weakref.WeakSet()  # providers to close before the interpreter exits


@atexit.register
def _close_all() -> None:
    """Stop every worker and free its engine while Python still runs: an engine left to interpreter teardown
    aborts the process ('terminate called without an active exception')."""
    for provider in list(_LIVE):
        provider.close()


def threads() -> int:
    """The cores this process may use: CTranslate2's intra-op threads."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def convert(source: Path, target: Path, quantization: str = CT2_QUANTIZATION,
            progress: Callable[[str], None] | None = None) -> dict:
    """Convert a transformers folder (fp32 safetensors + tokenizer) into a CTranslate2 folder, atomically, and check
    it: it loads and greedily writes the probe. Returns the check's record (also saved as check.json)."""
    import ctranslate2
    from ctranslate2.converters import TransformersConverter

    source, target = Path(source), Path(target)
    if not (source / "config.json").exists():
        raise UserError("asset.unavailable", f"{source} holds no model to convert", reason=f"{source}: no config.json")
    if progress:
        progress(f"converting {source.name} to CTranslate2 {quantization} (once, ~30–60 s)")
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    start = time.perf_counter()
    TransformersConverter(str(source), low_cpu_mem_usage=True).convert(str(tmp), quantization=quantization,
                                                                       force=True)
    # the folder stands alone: template, tokenizer and end tokens travel with it, in hf/ with the model's own
    # config.json (CTranslate2's config.json, beside model.bin, has no model_type for transformers to read)
    (tmp / HF).mkdir()
    for name in (*TOKENIZER_FILES, "config.json"):
        if (source / name).exists():
            shutil.copyfile(source / name, tmp / HF / name)
    seconds = time.perf_counter() - start
    if progress:
        progress("checking the converted model")
    tok = load_tokenizer(tmp)
    gen = ctranslate2.Generator(str(tmp), device="cpu", compute_type="int8" if "int8" in quantization else "default",
                                intra_threads=threads())
    ids = tok.apply_chat_template(PROBE, add_generation_prompt=True, return_dict=True)["input_ids"]
    out = gen.generate_batch([tok.convert_ids_to_tokens(ids)], max_length=16, include_prompt_in_result=False,
                             end_token=end_ids(tmp, tok))[0].sequences_ids[0]
    text = tok.decode(out, skip_special_tokens=True)
    del gen
    if not text.strip():
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError("asset.unavailable", f"{target.name}: the converted model wrote nothing",
                        reason=f"{target.name}: the converted model wrote nothing for the probe")
    record = {"source": str(source), "quantization": quantization, "convert_s": round(seconds, 1),
              "probe_tokens": out, "probe_text": text}
    (tmp / CHECK_FILE).write_text(json.dumps(record, ensure_ascii=False, indent=1))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return record


def is_ready(folder: Path) -> bool:
    """Converted and checked (check.json is written last, inside the partial folder before its rename)."""
    folder = Path(folder)
    return all((folder / name).exists() for name in ("model.bin", CHECK_FILE, f"{HF}/tokenizer_config.json"))


def prepare(model: str, registry, cache_dir: Path, progress: Callable[[str], None] | None = None,
            quantization: str = CT2_QUANTIZATION) -> Path:
    """The CTranslate2 folder of a local model, converting it the first time (and the GGUF to fp32 before that)."""
    if model not in LOCAL_MODELS:
        raise UserError("llm.unknown_model", f"unknown local model {model}", model=model)
    target = ct2_dir(cache_dir, model, quantization)
    if is_ready(target):
        return target
    source = converted_dir(cache_dir, model)
    if not (source / "config.json").exists():
        from core.llm.local import load_local

        load_local(model, registry, cache_dir, progress, dtype="float32")  # writes the fp32 folder
    convert(source, target, quantization, progress)
    return target


def _hf(folder: Path) -> Path:
    """Where a converted folder keeps its tokenizer."""
    return Path(folder) / HF


def load_tokenizer(folder: Path):
    """The converted folder's tokenizer and chat template, without importing torch: AutoTokenizer reads the model's
    config through transformers' modelling code, which imports torch (~650 MiB of a chat's peak RSS), while
    PreTrainedTokenizerFast reads tokenizer.json and tokenizer_config.json (chat template included) alone and gives
    the same ids (tests/core/test_llm_ct2.py compares them). A folder without tokenizer.json falls back to
    AutoTokenizer."""
    hf = _hf(folder)
    if (hf / "tokenizer.json").exists():
        from transformers import PreTrainedTokenizerFast

        return PreTrainedTokenizerFast.from_pretrained(str(hf))
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(hf))


def end_ids(folder: Path, tok) -> list[int]:
    """The ids that end a reply: generation_config's eos (Qwen's <|im_end|>) and the tokenizer's eos."""
    ids = set()
    try:
        eos = json.loads((_hf(folder) / "generation_config.json").read_text()).get("eos_token_id")
        ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    except (OSError, ValueError):
        pass
    if tok.eos_token_id is not None:
        ids.add(tok.eos_token_id)
    return sorted(ids)


def load_ct2(model: str, registry, cache_dir: Path, compute_type: str = "int8", intra_threads: int | None = None,
             progress: Callable[[str], None] | None = None, folder: Path | None = None,
             torch_loader: Callable | None = None, max_batch: int = MAX_BATCH,
             static_cache_bytes: int = STATIC_CACHE_BYTES) -> "CT2Provider":
    """A ready CT2Provider for a local model (converted on first use), or for a converted folder (a LoRA merge)."""
    folder = Path(folder) if folder else prepare(model, registry, cache_dir, progress)
    if progress:
        progress("loading")
    tok = load_tokenizer(folder)
    if torch_loader is None and folder == ct2_dir(cache_dir, model):
        def torch_loader():
            from core.llm.local import load_local

            return load_local(model, registry, cache_dir)
    return CT2Provider(model, folder, tok, compute_type, intra_threads, torch_loader=torch_loader,
                       max_batch=max_batch, static_cache_bytes=static_cache_bytes)


def prefix_agreement(reference: list[int], tokens: list[int], n: int) -> float:
    """The share of the reference's first n tokens that `tokens` repeats before it first differs (1.0: the same
    greedy text; how close a quantised model stays to fp32)."""
    ref = list(reference)[:n]
    if not ref:
        return 1.0
    same = 0
    for a, b in zip(ref, tokens):
        if a != b:
            break
        same += 1
    return same / len(ref)


def load_provider(model: str, registry, cache_dir: Path, engine: str = "ctranslate2",
                  progress: Callable[[str], None] | None = None):
    """The local model's provider on the engine asked for: 'ctranslate2' (int8, the default) or 'torch'."""
    if engine == "torch":
        from core.llm.local import LocalProvider, load_local

        return LocalProvider(model, *load_local(model, registry, cache_dir, progress))
    return load_ct2(model, registry, cache_dir, progress=progress)


def kv_bytes_per_token(folder: Path) -> int:
    """Bytes of keys and values one prompt token keeps (float32, every layer), from the transformers config. Every
    attention head's: CTranslate2's decoder state holds them all, also for a model whose heads share keys and
    values (grouped-query attention: Qwen2.5-0.5B 14 heads over 2, 168 KiB a token, not 24; measured from the RSS
    a kept system prompt adds, tests/core/test_llm_ct2.py)."""
    try:
        c = json.loads((_hf(folder) / "config.json").read_text())
        heads = c["num_attention_heads"]
        head_dim = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
        return int(c["num_hidden_layers"]) * 2 * int(heads) * int(head_dim) * 4
    except (OSError, ValueError, KeyError, TypeError):
        return 64 << 10  # unknown: assume a large one


@dataclass
class _Job:
    tokens: list[str]
    params: GenParams
    stop_event: object
    min_tokens: int = 0  # no end token before this many (vLLM's min_tokens; CTranslate2's min_length)
    static: tuple[str, ...] = ()  # the system prompt's tokens (tokens holds the rest); read once, see the docstring
    out: queue.Queue = field(default_factory=queue.Queue)
    ids: list[int] = field(default_factory=list)
    start: int = 0       # ids before this were already sent as text
    sent: str = ""       # the text of ids[start:] already sent
    closed: threading.Event = field(default_factory=threading.Event)  # the reader went away
    done: bool = False   # its reader has its end (sent as soon as its own row ends, not when the batch does)

    def stopped(self) -> bool:
        return self.closed.is_set() or (self.stop_event is not None and self.stop_event.is_set())

    def key(self):
        """Jobs generate together only with the same sampling settings; a seeded sample runs alone, so its seed
        repeats its text whoever else is asking."""
        p = self.params
        if p.temperature == 0:
            return ("greedy", self.min_tokens, self.static)
        if p.seed is None:
            return ("sample", p.temperature, p.top_p, self.min_tokens, self.static)
        return ("seeded", id(self))


class CT2Provider:
    """The Provider interface (core.llm.base) over a ctranslate2.Generator, batching concurrent calls."""

    engine = "ctranslate2"

    def __init__(self, model_name: str, folder: Path, tokenizer, compute_type: str = "int8",
                 intra_threads: int | None = None, torch_loader: Callable | None = None, max_batch: int = MAX_BATCH,
                 static_cache_bytes: int = STATIC_CACHE_BYTES):
        self.name, self.folder, self.tok, self.compute_type = model_name, Path(folder), tokenizer, compute_type
        self.intra_threads = intra_threads or threads()
        self.generator = self._load()
        self.id = provider_id("local", f"{model_name}/ct2-{compute_type}")
        self.end_ids = end_ids(self.folder, tokenizer)
        self.max_batch = max_batch
        self.static_cache_bytes = static_cache_bytes  # 0: no system prompt's state is kept (see the docstring)
        self.truncated = False
        self.batches: list[int] = []  # the size of every batch generated, in order (the server's figures)
        self._torch_loader, self._torch = torch_loader, None
        self._torch_lock = threading.Lock()
        self._jobs: queue.Queue = queue.Queue()
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self._waiting = 0
        self._static_seen: dict[tuple[str, ...], int] = {}   # system prompts seen (the latest 64)
        self._static_kept: set[tuple[str, ...]] = set()      # those whose state the engine keeps
        self._kv_bytes = kv_bytes_per_token(self.folder)
        _LIVE.add(self)

    def close(self) -> None:
        """Stop the worker (after the batch it is generating) and free the engine, and the torch model if one was
        loaded (`lm` loads it again when asked)."""
        with self._worker_lock:
            worker, self._worker = self._worker, None
        if worker is not None and worker.is_alive():
            self._jobs.put(None)
            worker.join(30)
        self.generator = None
        self._torch = None  # no lock: light mode may drop this engine while `lm` is loading, in the same thread

    def _load(self):
        import ctranslate2

        return ctranslate2.Generator(str(self.folder), device="cpu", compute_type=self.compute_type,
                                     intra_threads=self.intra_threads)

    # ---- what the pages and core.agent read ------------------------------------------------------------------
    def models(self) -> list[str]:
        return list(LOCAL_MODELS)

    @property
    def lm(self):
        """The torch fp32 model of the same weights, loaded on first use: for logits, attention and the agent's
        constrained decoding, which read the model's insides."""
        with self._torch_lock:
            if self._torch is None:
                if self._torch_loader is None:
                    raise UserError("llm.failed", "no torch model for this engine", provider=self.name,
                                    reason="no torch model for this CTranslate2 folder")
                self._torch = self._torch_loader()
            return self._torch[0]

    def prompt_ids(self, messages: list[Message], tools: list[dict] | None = None) -> list[int]:
        """The prompt as the model's own chat template writes it, its end kept when it is too long."""
        ids = self.tok.apply_chat_template(messages, tools=tools or None, add_generation_prompt=True,
                                           return_dict=True)["input_ids"]
        self.truncated = len(ids) > CONTEXT_TOKENS
        return ids[-CONTEXT_TOKENS:] if self.truncated else ids

    def split_system(self, messages: list[Message], ids: list[int], tools: list[dict] | None = None
                     ) -> tuple[list[int], list[int]]:
        """(the leading system turns' tokens, the rest) when they are a long enough prefix of the prompt's ids
        (checked, not assumed: a chat template may write the system turn differently once more turns follow);
        else ([], ids). Always ([], ids) for an engine that keeps no system prompt (static_cache_bytes 0): a static
        prompt not kept is read apart and its state copied into the batch, a peak with no gain."""
        if self.static_cache_bytes <= 0:
            return [], ids
        n = 0
        while n < len(messages) - 1 and messages[n].get("role") == "system":
            n += 1
        if n == 0:
            return [], ids
        head = self.tok.apply_chat_template(messages[:n], tools=tools or None, add_generation_prompt=False,
                                            return_dict=True)["input_ids"]
        if len(head) < STATIC_MIN_TOKENS or len(head) >= len(ids) or ids[:len(head)] != head:
            return [], ids
        return head, ids[len(head):]

    def ahead(self) -> int:
        """Jobs of this model queued or generating now."""
        return self._waiting

    def exclusive(self):
        """The process-wide one-heavy-job lock (shared with the torch provider): core.agent holds it while it
        drives self.lm step by step; the worker holds it while a batch generates."""
        from core.llm.local import _TURN

        return _TURN

    def count_tokens(self, text: str) -> int:
        return len(self.tok(text)["input_ids"])

    # ---- generation ------------------------------------------------------------------------------------------
    def stream(self, messages: list[Message], temperature: float = 0.7, top_p: float = 0.95, max_tokens: int = 256,
               seed: int | None = None, stop_event=None, tools: list[dict] | None = None,
               min_tokens: int = 0) -> Iterator[str]:
        """Generated text piece by piece; stop_event stops it between tokens (others in its batch go on).
        min_tokens: no end before this many tokens (a fixed-length load test, as vLLM's min_tokens)."""
        check_messages(messages)
        p = GenParams(temperature, top_p, max_tokens, seed).validate()
        head, rest = self.split_system(messages, self.prompt_ids(messages, tools), tools)
        job = _Job(self.tok.convert_ids_to_tokens(rest), p, stop_event, min(max(0, int(min_tokens)), p.max_tokens),
                   static=tuple(self.tok.convert_ids_to_tokens(head)))
        self._submit(job)
        try:
            while True:
                piece = job.out.get()
                if piece is _END:
                    return
                if isinstance(piece, BaseException):
                    raise UserError("llm.failed", str(piece), provider=self.name, reason=str(piece)[:300])
                yield piece
                if job.stopped():
                    return
        finally:
            job.closed.set()  # a reader that stops early (Stop, a closed connection) ends its job

    def _submit(self, job: _Job) -> None:
        with self._worker_lock:
            self._waiting += 1
            self._jobs.put(job)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, daemon=True, name=f"ct2-{self.name}")
                self._worker.start()

    def _take(self, first: _Job) -> list[_Job]:
        """The next batch: the oldest job and those waiting with the same sampling settings, gathered until none
        has arrived for GATHER_S (at most GATHER_MAX_S). Jobs whose reader already left end without generating."""
        deadline, seen = time.monotonic() + GATHER_MAX_S, -1
        while self._jobs.qsize() != seen and self._jobs.qsize() + 1 < self.max_batch and time.monotonic() < deadline:
            seen = self._jobs.qsize()
            time.sleep(GATHER_S)
        batch, rest = [first], []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            joins = job is not None and job.key() == first.key() and len(batch) < self.max_batch
            (batch if joins else rest).append(job)
        for job in rest:  # back in line, in their order, for the next batch (a close() sentinel too)
            self._jobs.put(job)
        live = []
        for job in batch:
            if job.stopped():
                self._finish(job)
            else:
                live.append(job)
        return live

    def _finish(self, job: _Job, error: BaseException | None = None) -> None:
        if job.done:
            return
        job.done = True
        if error is not None:
            job.out.put(error)
        job.out.put(_END)
        with self._worker_lock:
            self._waiting -= 1

    def _work(self) -> None:
        while True:
            try:
                first = self._jobs.get(timeout=IDLE_S)
            except queue.Empty:
                with self._worker_lock:  # _submit starts a new worker under this lock if this one has gone
                    if self._jobs.empty():
                        self._worker = None
                        return
                continue
            if first is None:  # close()
                return
            # the jobs that arrive while the engine is busy (a batch, or core.agent holding the lock) join this one
            with self.exclusive():
                batch = self._take(first)
                if batch:
                    self._generate(batch)

    def _generate(self, batch: list[_Job]) -> None:
        import ctranslate2

        p = batch[0].params
        kwargs = dict(max_length=max(j.params.max_tokens for j in batch), min_length=batch[0].min_tokens,
                      include_prompt_in_result=False,
                      end_token=self.end_ids, callback=lambda step: self._on_token(batch[step.batch_id], step))
        if p.temperature > 0:
            kwargs.update(sampling_temperature=p.temperature, sampling_topp=p.top_p, sampling_topk=0)
        error = None
        try:
            if p.temperature > 0 and p.seed is not None:
                # the sampler's random generator is made once per engine thread from the global seed
                # (CTranslate2 issue #1757): a seeded sample gets a freshly loaded engine (~0.2–1 s)
                ctranslate2.set_random_seed(p.seed)
                self.generator = None
            if self.generator is None:  # that, or closed (a dropped cache entry) while a session still held it
                self.generator = self._load()
                self._static_kept.clear()  # a fresh engine keeps no system prompt
            static = batch[0].static
            if static:
                kwargs.update(static_prompt=list(static), cache_static_prompt=self._keep(static))
            self.batches.append(len(batch))
            self.generator.generate_batch([j.tokens for j in batch], **kwargs)
        except BaseException as exc:  # surfaced to every reader of the batch
            error = exc
        for job in batch:
            if error is None and not job.done:
                self._flush(job, final=True)
            self._finish(job, error)

    def _keep(self, static: tuple[str, ...]) -> bool:
        """Whether the engine keeps this system prompt's state: the second time it is seen (one seen once is
        likely never seen again), while the kept states fit in static_cache_bytes."""
        if static in self._static_kept:
            return True
        seen = self._static_seen.pop(static, 0) + 1
        self._static_seen[static] = seen
        while len(self._static_seen) > 64:
            self._static_seen.pop(next(iter(self._static_seen)))
        used = sum(len(k) for k in self._static_kept) * self._kv_bytes
        if seen >= 2 and used + len(static) * self._kv_bytes <= self.static_cache_bytes:
            self._static_kept.add(static)
            return True
        return False

    def _on_token(self, job: _Job, step) -> bool:
        """One generated token of one job; True stops that job only, and its reader gets its end at once (a short
        answer does not wait for the longest one in its batch)."""
        if job.done:
            return True
        if job.stopped() or step.token_id in self.end_ids:
            self._end_early(job)
            return True
        job.ids.append(step.token_id)
        self._flush(job)
        if len(job.ids) >= job.params.max_tokens:
            self._end_early(job)
            return True
        return False

    def _end_early(self, job: _Job) -> None:
        self._flush(job, final=True)
        self._finish(job)

    def _flush(self, job: _Job, final: bool = False) -> None:
        """Send the text the new tokens complete: a character split over tokens (Korean) waits for its end; the
        decoded window restarts after each line so decoding stays short."""
        text = self.tok.decode(job.ids[job.start:], skip_special_tokens=True)
        if text.endswith("\ufffd") and not final:
            return
        if len(text) > len(job.sent):
            job.out.put(text[len(job.sent):])
        job.sent = text
        if text.endswith("\n"):
            job.start, job.sent = len(job.ids), ""

    def continuations(self, text: str, max_tokens: int = 160, stop: str | None = None) -> list[str]:
        """The greedy continuation of a prompt already written as text (a chat template plus a prefill), cut at stop
        (a single token, so it also ends the generation). For core.agent's programs; the caller holds exclusive()
        (core.agent does, for its whole turn), so the worker's batches wait for it."""
        if self.generator is None:
            self.generator = self._load()
            self._static_kept.clear()
        ids = self.tok(text, add_special_tokens=False)["input_ids"]
        ends = list(self.end_ids) + ([self.tok.convert_tokens_to_ids(stop)] if stop in self.tok.get_vocab() else [])
        result = self.generator.generate_batch([self.tok.convert_ids_to_tokens(ids)], max_length=max_tokens,
                                               include_prompt_in_result=False, end_token=ends)[0]
        texts = [self.tok.decode(seq, skip_special_tokens=True) for seq in result.sequences_ids]
        return [t.split(stop)[0] if stop else t for t in texts]
