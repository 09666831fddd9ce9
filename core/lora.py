"""LoRA fine-tuning of a small causal LM with PEFT and the Hugging Face Trainer, on CPU in a classroom minute.

- Base: the shipped SmolLM2-135M (default) or Qwen2.5-0.5B (fp32 copies made by core.llm.local), or any local
  Hugging Face folder holding a causal LM.
- Data: instruction/input/output or messages rows (JSONL or CSV), validated up front with every bad row listed;
  chat-template tokenisation with the prompt masked out of the loss (labels = -100).
- Training: Trainer in a background thread; a TrainerCallback pushes train/eval loss into a queue and stops on a
  threading.Event (LlamaBoard's users asked for exactly these: a loss plot, live eval loss, a Stop).
- After: save / reload the adapter, merge_and_unload and save the merged model, before/after answers.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path

from core.catalog import LORA_BASES
from core.errors import UserError

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "instructions_ko_en.jsonl"
MAX_DATA_BYTES = 10 * 1024 * 1024


# ---- data -------------------------------------------------------------------------------------------------------
@dataclass
class Example:
    messages: list[dict]  # ... user, assistant (the last assistant turn is what we learn)


@dataclass
class DataReport:
    examples: list[Example]
    bad_rows: list[tuple[int, str]]  # (row number from 1, reason)


def examples_jsonl(examples: list[Example]) -> bytes:
    """Parsed examples as the instruction/output JSON lines the exported script reads (and parse_dataset reads
    back)."""
    rows = [{"instruction": ex.messages[-2]["content"], "output": ex.messages[-1]["content"]} for ex in examples]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _row_to_example(row: dict) -> Example:
    if "messages" in row:
        msgs = row["messages"]
        if isinstance(msgs, str):
            msgs = json.loads(msgs)
        if not isinstance(msgs, list) or not msgs:
            raise ValueError("messages must be a non-empty list")
        for m in msgs:
            if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant") or not str(
                    m.get("content", "")).strip():
                raise ValueError("each message needs a role (system/user/assistant) and non-empty content")
        if msgs[-1]["role"] != "assistant":
            raise ValueError("the last message must be the assistant's answer")
        return Example([{"role": m["role"], "content": str(m["content"])} for m in msgs])
    instruction = str(row.get("instruction") or "").strip()
    output = str(row.get("output") or "").strip()
    extra = str(row.get("input") or "").strip()
    if not instruction:
        raise ValueError("missing instruction")
    if not output:
        raise ValueError("empty output")
    user = instruction + (f"\n\n{extra}" if extra else "")
    return Example([{"role": "user", "content": user}, {"role": "assistant", "content": output}])


def parse_dataset(data: bytes, name: str = "data.jsonl") -> DataReport:
    """JSONL (one object per line) or CSV (instruction,input,output or messages columns)."""
    if not data or not data.strip():
        raise UserError("lora.data_empty", "the dataset is empty")
    if len(data) > MAX_DATA_BYTES:
        raise UserError("lora.data_too_big", "dataset too big", limit_mb=MAX_DATA_BYTES // 2**20)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError("text.csv_encoding", "not UTF-8") from exc
    rows: list[tuple[int, object]] = []
    if name.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not ({"instruction", "output"} <= set(reader.fieldnames)
                                         or "messages" in reader.fieldnames):
            raise UserError("lora.csv_columns", "need instruction/output or messages columns",
                            columns=", ".join(reader.fieldnames or []))
        try:
            rows = [(i, r) for i, r in enumerate(reader, 2)]  # row 1 is the header
        except csv.Error as exc:  # e.g. a field over csv.field_size_limit() (131072 chars)
            raise UserError("lora.csv_unreadable", str(exc), reason=str(exc)[:200]) from exc
    else:
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append((i, json.loads(line)))
            except json.JSONDecodeError as exc:
                rows.append((i, ValueError(f"not valid JSON ({exc.msg})")))
            except (ValueError, RecursionError) as exc:  # a 5000-digit int, or objects nested 10^5 deep
                rows.append((i, ValueError(f"not valid JSON ({type(exc).__name__})")))
    examples, bad = [], []
    for i, row in rows:
        try:
            if isinstance(row, Exception):
                raise row
            if not isinstance(row, dict):
                raise ValueError("each line must be a JSON object")
            examples.append(_row_to_example(row))
        except (ValueError, TypeError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            bad.append((i, str(exc)[:200]))
    if not examples:
        raise UserError("lora.no_valid_rows", "no valid rows", bad=len(bad))
    return DataReport(examples, bad)


def shipped_dataset() -> DataReport:
    return parse_dataset(SHIPPED.read_bytes(), SHIPPED.name)


def split(examples: list[Example], eval_frac: float = 0.1, seed: int = 0) -> tuple[list[Example], list[Example]]:
    import random

    idx = list(range(len(examples)))
    random.Random(seed).shuffle(idx)
    n_eval = max(1, int(len(idx) * eval_frac)) if len(idx) > 4 else 0
    return [examples[i] for i in idx[n_eval:]], [examples[i] for i in idx[:n_eval]]


@dataclass
class Tokenised:
    features: list[dict]
    truncated: int


def tokenise(examples: list[Example], tokenizer, max_len: int = 256) -> Tokenised:
    """Chat template; labels = -100 on the prompt so only the answer is learned; long rows are cut and counted."""
    feats, truncated = [], 0
    for ex in examples:
        prompt_ids = tokenizer.apply_chat_template(ex.messages[:-1], add_generation_prompt=True, tokenize=True,
                                                   return_dict=True)["input_ids"]
        full_ids = tokenizer.apply_chat_template(ex.messages, tokenize=True, return_dict=True)["input_ids"]
        if full_ids[: len(prompt_ids)] != prompt_ids:  # template re-tokenised differently: mask by length only
            prompt_ids = full_ids[: len(prompt_ids)]
        labels = [-100] * len(prompt_ids) + full_ids[len(prompt_ids):]
        if len(full_ids) > max_len:
            truncated += 1
            full_ids, labels = full_ids[:max_len], labels[:max_len]
        if all(x == -100 for x in labels):
            continue  # the prompt alone filled max_len: nothing to learn from this row
        feats.append({"input_ids": full_ids, "attention_mask": [1] * len(full_ids), "labels": labels})
    return Tokenised(feats, truncated)


# ---- model ------------------------------------------------------------------------------------------------------
def qlora_available() -> bool:
    """4-bit QLoRA needs bitsandbytes, which needs a CUDA GPU."""
    import importlib.util

    import torch

    return torch.cuda.is_available() and importlib.util.find_spec("bitsandbytes") is not None


def load_base(base: str, registry, cache_dir: Path, four_bit: bool = False):
    """(model, tokenizer) for a shipped base name or a local folder with a causal LM; four_bit loads it in 4-bit
    NF4 for QLoRA (CUDA + bitsandbytes only)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    if base in LORA_BASES:
        from core.llm.local import converted_dir, load_local

        model, tok = load_local(base, registry, cache_dir, dtype="float32")  # training wants fp32 weights
        path = converted_dir(cache_dir, base)
    else:
        path = Path(base).expanduser()
        if not (path / "config.json").exists():
            raise UserError("lora.bad_folder", "no config.json in that folder", path=str(path))
        cfg = AutoConfig.from_pretrained(str(path))
        if not any(a.endswith("ForCausalLM") for a in (cfg.architectures or [])):
            raise UserError("lora.not_causal", "not a causal language model", arch=", ".join(cfg.architectures or []))
        tok = AutoTokenizer.from_pretrained(str(path))
        model = None if four_bit else AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    if four_bit:
        if not qlora_available():
            raise UserError("lora.no_qlora", "QLoRA needs CUDA and bitsandbytes")
        from peft import prepare_model_for_kbit_training
        from transformers import BitsAndBytesConfig

        bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16)
        model = prepare_model_for_kbit_training(
            AutoModelForCausalLM.from_pretrained(str(path), quantization_config=bnb, device_map="auto"))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return model, tok


def linear_layer_names(model) -> list[str]:
    """The distinct names of the model's Linear layers (e.g. q_proj, v_proj), excluding the output head."""
    from torch import nn

    names = {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, nn.Linear)}
    names.discard("lm_head")
    return sorted(names)


@dataclass
class LoraSettings:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    targets: tuple[str, ...] = ("q_proj", "v_proj")

    def validate(self, available: list[str]) -> "LoraSettings":
        if not 1 <= self.r <= 256:
            raise UserError("lora.bad_r", "r must be 1–256")
        if not 1 <= self.alpha <= 1024 or not 0 <= self.dropout < 1:
            raise UserError("lora.bad_alpha", "alpha 1–1024, dropout 0–0.99")
        missing = [t for t in self.targets if t not in available]
        if not self.targets or missing:
            raise UserError("lora.bad_targets", "choose target modules from the model's linear layers",
                            missing=", ".join(missing) or "-")
        return self


def attach_lora(model, settings: LoraSettings):
    from peft import LoraConfig, get_peft_model

    settings.validate(linear_layer_names(model))
    config = LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                        target_modules=list(settings.targets), task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def method_comparison(model, settings: LoraSettings, virtual_tokens: int = 20, bottleneck: int = 64) -> list[dict]:
    """Trainable parameters of full fine-tuning, adapters, prompt tuning and LoRA, computed on this model."""
    from torch import nn

    cfg = model.config
    hidden, layers = cfg.hidden_size, cfg.num_hidden_layers
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    full = sum(p.numel() for n, p in base.named_parameters() if "lora_" not in n)
    lora = 0
    for name, mod in base.named_modules():
        layer = getattr(mod, "base_layer", mod)  # PEFT wraps a targeted nn.Linear; the original sits inside
        if isinstance(layer, nn.Linear) and name.rsplit(".", 1)[-1] in settings.targets:
            lora += settings.r * (layer.in_features + layer.out_features)
    rows = [("full", full), ("adapters", layers * 2 * (2 * hidden * bottleneck + bottleneck + hidden)),
            ("prompt", virtual_tokens * hidden), ("lora", lora)]
    return [{"method": m, "trainable": n, "percent": 100 * n / full} for m, n in rows]


# ---- training ---------------------------------------------------------------------------------------------------
@dataclass
class TrainSettings:
    epochs: float = 1.0
    max_steps: int = 30       # wins over epochs when > 0
    lr: float = 2e-4
    batch_size: int = 4
    max_len: int = 192
    eval_every: int = 5
    seed: int = 0
    precision: str = "fp32"   # fp32 | bf16 | auto, resolved like core.train.fit (core.train.plan_precision)
    micro_batch: int = 0      # > 0: each batch runs as micro-batches of this size with gradient accumulation, the
    # same update in less memory (the vocabulary-wide logits and their gradients scale with the rows at once)
    checkpointing: bool = False  # keep only each layer's input and recompute the rest in the backward pass: the
    # same gradients with a fraction of the activations' memory, for a slower step

    def per_step(self) -> tuple[int, int]:
        """(rows per forward pass, forward passes per update)."""
        micro = min(self.micro_batch, self.batch_size) if self.micro_batch > 0 else self.batch_size
        return micro, -(-self.batch_size // micro)


@dataclass
class LoraMetric:
    step: int
    total: int
    loss: float | None = None
    eval_loss: float | None = None
    elapsed: float = 0.0
    done: bool = False
    stopped: bool = False


def history_row(m: LoraMetric) -> dict | None:
    """A metric's row in the saved run (core.runs.Recorder); the closing one (done) repeats the last step."""
    return None if m.done else {"step": m.step, "loss": m.loss, "eval_loss": m.eval_loss}


@dataclass
class LoraRun:
    model: object            # the PeftModel (trained in place)
    tokenizer: object
    settings: LoraSettings
    train: TrainSettings
    truncated: int = 0
    metrics: list[LoraMetric] = field(default_factory=list)
    adapter_dir: Path | None = None  # where `release` saved the adapter while the model is out of memory


def _callback(q: "queue.Queue[LoraMetric]", stop_event):
    import time

    from transformers import TrainerCallback

    start = time.perf_counter()

    class QueueCallback(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if stop_event is not None and stop_event.is_set():
                control.should_training_stop = True  # ends after this step; the adapter keeps what it learned
            return control

        def on_log(self, args, state, control, logs=None, **kw):
            logs = logs or {}
            if "loss" in logs or "eval_loss" in logs:
                q.put(LoraMetric(state.global_step, state.max_steps, logs.get("loss"), logs.get("eval_loss"),
                                 time.perf_counter() - start))

    return QueueCallback()


def train(run: LoraRun, train_examples: list[Example], eval_examples: list[Example], out_dir: Path,
          stop_event=None):
    """Generator of LoraMetric while the Trainer runs in a thread; the last one has done=True."""
    import torch
    from transformers import DataCollatorForSeq2Seq, PrinterCallback, Trainer, TrainingArguments

    from core.train import plan_precision

    t = run.train
    plan = plan_precision(t.precision, "cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(t.seed)
    tok_train = tokenise(train_examples, run.tokenizer, t.max_len)
    tok_eval = tokenise(eval_examples, run.tokenizer, t.max_len) if eval_examples else Tokenised([], 0)
    run.truncated = tok_train.truncated + tok_eval.truncated
    micro, accumulate = t.per_step()
    if not tok_train.features:
        raise UserError("lora.no_valid_rows", "no trainable rows", bad=len(train_examples))
    args = TrainingArguments(
        output_dir=str(out_dir), per_device_train_batch_size=micro, per_device_eval_batch_size=micro,
        gradient_accumulation_steps=accumulate, gradient_checkpointing=t.checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False} if t.checkpointing else None,  # a frozen input
        learning_rate=t.lr, num_train_epochs=t.epochs, max_steps=t.max_steps if t.max_steps > 0 else -1,
        logging_steps=1, eval_strategy="steps" if tok_eval.features else "no", eval_steps=max(1, t.eval_every),
        save_strategy="no", report_to=[], seed=t.seed, use_cpu=not torch.cuda.is_available(),
        dataloader_num_workers=0, disable_tqdm=True, remove_unused_columns=False, warmup_steps=0,
        bf16=plan.dtype == "bfloat16", fp16=plan.dtype == "float16")  # fp16: the Trainer adds its GradScaler
    q: queue.Queue = queue.Queue()
    collator = DataCollatorForSeq2Seq(run.tokenizer, padding=True, label_pad_token_id=-100)
    trainer = Trainer(model=run.model, args=args, train_dataset=tok_train.features,
                      eval_dataset=tok_eval.features or None, data_collator=collator,
                      callbacks=[_callback(q, stop_event)])
    trainer.remove_callback(PrinterCallback)  # metrics go to the page, not to the server's stdout
    errors: list[BaseException] = []

    def work():
        try:
            trainer.train()
        except BaseException as exc:  # shown by the caller
            errors.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    last = LoraMetric(0, 0)
    while thread.is_alive() or not q.empty():
        try:
            last = q.get(timeout=0.2)
        except queue.Empty:
            continue
        run.metrics.append(last)
        yield last
    if errors:
        raise UserError("lora.train_failed", str(errors[0]), reason=str(errors[0])[:300])
    run.model.eval()
    final = LoraMetric(last.step, last.total, last.loss, last.eval_loss, last.elapsed, done=True,
                       stopped=stop_event is not None and stop_event.is_set())
    run.metrics.append(final)
    yield final


# ---- after training ---------------------------------------------------------------------------------------------
def generate(model, tokenizer, question: str, max_new_tokens: int = 64, adapter: bool = True) -> str:
    """Greedy answer with or without the adapter (same weights object, adapter switched off for 'before')."""
    import torch

    ids = tokenizer.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True,
                                        return_tensors="pt", return_dict=True)
    ctx = contextlib.nullcontext() if adapter or not hasattr(model, "disable_adapter") else model.disable_adapter()
    model.eval()
    with ctx, torch.no_grad():
        out = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id)
    text = tokenizer.decode(out[0][ids["input_ids"].shape[1]:], skip_special_tokens=True)
    return text.replace("\ufffd", "").strip()  # a byte-level token cut mid-character at max_new_tokens


def save_adapter(model, path: Path) -> Path:
    model.save_pretrained(str(path))
    return path


def load_adapter(base_model, path: Path):
    from peft import PeftModel

    if not (Path(path) / "adapter_config.json").exists():
        raise UserError("lora.no_adapter", "no adapter in that folder", path=str(path))
    return PeftModel.from_pretrained(base_model, str(path))


def release(run: LoraRun, path: Path) -> Path:
    """Save the run's adapter (a few MB) and let its model go, so its memory returns to the OS (light mode: a small
    box does not keep a trained model between a page's actions); `loaded` brings it back."""
    if run.model is not None:
        save_adapter(run.model, path)
        run.adapter_dir = Path(path)
        _forget(run)
    return run.adapter_dir


def _forget(run: LoraRun) -> None:
    import gc

    from core.procs import trim_heap

    run.model = None
    gc.collect()
    trim_heap()


@contextlib.contextmanager
def loaded(run: LoraRun, base: str, registry, cache_dir: Path):
    """The run's model for a `with` block: a released run loads its base and saved adapter again (a second or two
    for SmolLM2) and lets them go afterwards; a run that kept its model simply yields it."""
    if run.model is not None:
        yield run.model
        return
    base_model, _ = load_base(base, registry, cache_dir)
    run.model = load_adapter(base_model, run.adapter_dir).eval()
    try:
        yield run.model
    finally:  # the adapter on disk is unchanged (a merge with keep=False leaves no adapter to save)
        _forget(run)


def merge_and_save(model, tokenizer, path: Path, int8: bool = False, keep: bool = True):
    """merge_and_unload on a copy (the live adapter stays usable), then save a plain transformers model; with int8,
    also convert it to CTranslate2 int8 beside it (merge → convert → serve), which the chat page lists. keep=False
    merges the model itself (no second copy in memory; its adapter is gone afterwards)."""
    import copy

    merged = (copy.deepcopy(model) if keep else model).merge_and_unload()
    merged.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    if int8:
        from core.llm.ct2 import convert

        convert(Path(path), int8_dir(Path(path)))
    return merged


def int8_dir(merged: Path) -> Path:
    """Where the CTranslate2 int8 copy of a merged model goes: beside it."""
    return Path(merged).with_name(Path(merged).name + "-ct2-int8")


def merged_int8_models(cache_dir: Path) -> list[Path]:
    """The int8 copies of the merged LoRA models the LoRA page saved (cache/lora/<run>/merged-ct2-int8), newest
    first."""
    from core.llm.ct2 import is_ready

    return sorted((p for p in (Path(cache_dir) / "lora").glob("*/merged-ct2-int8") if is_ready(p)), reverse=True)


def zip_folder(path: Path) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in Path(path).rglob("*"):
            if f.is_file():
                z.write(f, f.relative_to(path))
    return buf.getvalue()


def script(base_path: str, settings: LoraSettings, t: TrainSettings, data_path: str = str(SHIPPED)) -> str:
    """The exact PEFT + Trainer script for these settings."""
    ckpt = ('\n                         gradient_checkpointing=True, '
            'gradient_checkpointing_kwargs={"use_reentrant": False},') if t.checkpointing else ""
    return f'''"""LoRA fine-tuning with PEFT — exported from the course app (seed {t.seed})."""
import json

import torch
from peft import LoraConfig, get_peft_model
from transformers import (AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq, Trainer,
                          TrainingArguments)

BASE = {base_path!r}
tok = AutoTokenizer.from_pretrained(BASE)
tok.pad_token = tok.pad_token or tok.eos_token
model = AutoModelForCausalLM.from_pretrained(BASE, dtype=torch.float32)
model = get_peft_model(model, LoraConfig(r={settings.r}, lora_alpha={settings.alpha}, lora_dropout={settings.dropout},
                                         target_modules={list(settings.targets)!r}, task_type="CAUSAL_LM"))
model.print_trainable_parameters()


def encode(row):
    user = row["instruction"] + (("\\n\\n" + row["input"]) if row.get("input") else "")
    msgs = [{{"role": "user", "content": user}}, {{"role": "assistant", "content": row["output"]}}]
    prompt = tok.apply_chat_template(msgs[:1], add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
    full = tok.apply_chat_template(msgs, tokenize=True, return_dict=True)["input_ids"][:{t.max_len}]
    labels = ([-100] * len(prompt) + full[len(prompt):])[:{t.max_len}]  # learn only the answer
    return {{"input_ids": full, "attention_mask": [1] * len(full), "labels": labels}}


rows = [json.loads(line) for line in open({data_path!r}, encoding="utf-8") if line.strip()]
data = [encode(r) for r in rows]
args = TrainingArguments(output_dir="lora-out", per_device_train_batch_size={t.per_step()[0]},
                         gradient_accumulation_steps={t.per_step()[1]}, learning_rate={t.lr},{ckpt}
                         max_steps={t.max_steps}, num_train_epochs={t.epochs}, logging_steps=1, save_strategy="no",
                         report_to=[], seed={t.seed})
Trainer(model=model, args=args, train_dataset=data,
        data_collator=DataCollatorForSeq2Seq(tok, padding=True, label_pad_token_id=-100)).train()
model.save_pretrained("lora-adapter")
model.merge_and_unload().save_pretrained("merged-model")
'''
