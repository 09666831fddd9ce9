"""LoRA benchmark (prints its figures; not a test): SmolLM2-135M and Qwen2.5-0.5B in one run, LoRA r=8 on q/v,
the page's default settings, on this CPU, in the chosen precision (fp32/bf16/auto, as core.train resolves it).
Per model: steps/s, held-out loss before vs after, the answers before and after (is the content right, not
only the TA format '📌'?) within a 2-minute training budget, time to merge and save; peak RSS at the end."""
import argparse
import resource
import tempfile
import threading
import time
from pathlib import Path

import torch
from _common import ROOT  # noqa: F401

from core import lora as L
from core.assets import Registry
from core.config import Settings
from core.llm.base import complete
from core.llm.ct2 import load_ct2
from core.train import PRECISIONS, plan_precision

BUDGET_S = 120


def held_out_loss(model, tok, examples, max_len):
    feats = L.tokenise(examples, tok, max_len).features
    model.eval()
    with torch.no_grad():
        return sum(model(input_ids=torch.tensor([f["input_ids"]]), labels=torch.tensor([f["labels"]])).loss.item()
                   for f in feats) / len(feats)


def bench(base, precision, s, reg):
    model, tok = L.load_base(base, reg, s.cache_dir)
    model = L.attach_lora(model, L.LoraSettings(r=8, alpha=16, targets=("q_proj", "v_proj")))
    t = L.TrainSettings(precision=precision)  # the page's defaults
    t.max_steps, t.batch_size, t.lr, t.max_len = 40, 2, 2e-3, 256
    train_ex, eval_ex = L.split(L.shipped_dataset().examples, 0.1)
    questions = [e.messages[-2]["content"] for e in eval_ex[:4]]
    before_answers = [L.generate(model, tok, q, 40, adapter=False) for q in questions]
    before = held_out_loss(model, tok, eval_ex, t.max_len)
    stop = threading.Event()
    timer = threading.Timer(BUDGET_S, stop.set)
    timer.start()
    start = time.perf_counter()
    run = L.LoraRun(model, tok, L.LoraSettings(), t)
    last = list(L.train(run, train_ex, eval_ex, Path(tempfile.mkdtemp()), stop_event=stop))[-1]
    secs = time.perf_counter() - start
    timer.cancel()
    after = held_out_loss(model, tok, eval_ex, t.max_len)
    print(f"{base} LoRA r=8 q/v, batch {t.batch_size}, max_len {t.max_len}, lr {t.lr}, "
          f"{plan_precision(precision).label}:")
    print(f"  {last.step} steps in {secs:.1f} s = {last.step / secs:.2f} steps/s"
          f"{' (stopped by the 2-minute budget)' if last.stopped else ''}")
    print(f"  held-out loss: before {before:.3f} -> after {after:.3f}")
    changed, after_answers = 0, []
    for q, b in zip(questions, before_answers):
        a = L.generate(model, tok, q, 40)
        after_answers.append(a)
        changed += "📌" in a and "📌" not in b
        print(f"  Q: {q}\n    before: {b[:120]!r}\n    after : {a[:120]!r}")
    print(f"  answers in the trained TA format after <= {BUDGET_S} s of training: {changed}/{len(questions)}")
    t0 = time.perf_counter()
    merged = Path(tempfile.mkdtemp()) / "merged"
    L.merge_and_save(model, tok, merged, int8=True)
    print(f"  merge_and_unload + save + CTranslate2 int8 copy: {time.perf_counter() - t0:.1f} s")
    # the int8 copy the chat page serves (merge → convert → serve): the same answers as the torch fp32 adapter?
    int8 = load_ct2(base, reg, s.cache_dir, folder=L.int8_dir(merged))
    same = fmt = 0
    for q, a in zip(questions, after_answers):
        b = complete(int8, [{"role": "user", "content": q}], temperature=0, max_tokens=40).strip()
        same += b == a
        fmt += "📌" in b
        print(f"    int8  : {b[:120]!r}")
    int8.close()
    print(f"  merged int8 copy: TA format {fmt}/{len(questions)} (fp32 adapter {sum('📌' in a for a in after_answers)}"
          f"/{len(questions)}), the same greedy answer as fp32 {same}/{len(questions)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bases", default=",".join(L.LORA_BASES))
    ap.add_argument("--precision", default="auto", choices=PRECISIONS)
    args = ap.parse_args()
    s = Settings.load()
    reg = Registry(s.cache_dir)
    for base in args.bases.split(","):
        bench(base, args.precision, s, reg)
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
