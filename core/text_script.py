"""The exact, runnable plain-PyTorch script for the sentiment page's settings (the page's data, same tokeniser,
vocabulary, split, model and loop as core.text + core.train)."""
from __future__ import annotations

import csv
import functools
import inspect
import io
import threading

from core.text_data import REVIEWS
from core.train import plan_precision

DATA_FILE = "sentiment_data.csv"  # the page's data, written next to the script when it is not the shipped CSV
_SOURCES_LOCK = threading.Lock()


def data_csv(texts: list[str], labels: list[int]) -> bytes:
    """The page's texts and integer labels as the text,label CSV the script reads."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label"])
    writer.writerows(zip(texts, labels))
    return out.getvalue().encode("utf-8")


def _pasted_sources() -> dict[str, str]:
    """Model and collate source, read once per process under a lock (inspect on every rerun is unsafe under
    concurrent sessions in CPython 3.11)."""
    with _SOURCES_LOCK:
        return _read_sources()


@functools.cache
def _read_sources() -> dict[str, str]:
    from core import text
    from core.models import text as text_models

    imports = "import torch\nfrom torch import nn\nfrom torch.nn.utils.rnn import pack_padded_sequence\n"
    return {"model": inspect.getsource(text_models).split('"""', 2)[2].replace(imports, "").strip(),
            "collate": inspect.getsource(text.collate).replace("    import torch\n\n", "")}


def sentiment_script(tok_kind: str, min_freq: int, max_size: int, max_len: int, cell: str, embed: int, hidden: int,
                     layers: int, bidir: bool, dropout: float, epochs: int, lr: float, seed: int,
                     csv_paths: tuple[str, ...] | str = tuple(str(REVIEWS[k]) for k in ("ko", "en")),
                     subword_path: str = "", precision: str = "fp32") -> str:
    tok_src = {
        "char": "def tokenize(text):\n    return [c for c in text.lower() if not c.isspace()]",
        "word": "def tokenize(text):\n    return re.findall(r\"\\w+|[^\\w\\s]\", text.lower())",
        "subword": ("from transformers import AutoTokenizer\n"
                    f"hf = AutoTokenizer.from_pretrained({subword_path!r})\n\n\n"
                    "def tokenize(text):\n    return hf.tokenize(text)"),
    }[tok_kind]
    sources = _pasted_sources()
    model_src, collate_src = sources["model"], sources["collate"]
    csv_paths = (csv_paths,) if isinstance(csv_paths, str) else csv_paths  # one uploaded file, or the shipped ones
    # an RNN has no convolutions, so only the autocast part of the app's plan applies (on the CPU)
    bf16 = plan_precision(precision, "cpu").dtype is not None
    amp = 'torch.autocast("cpu", dtype=torch.bfloat16)'
    train_fwd = (f"with {amp}:  # bf16 mixed precision, as in the app\n            logits = model(x, lengths)\n"
                 "        loss = F.cross_entropy(logits.float(), y)" if bf16 else
                 "loss = F.cross_entropy(model(x, lengths), y)")
    no_grad = f"torch.no_grad(), {amp}" if bf16 else "torch.no_grad()"
    return f'''"""{cell.upper()} sentiment classifier — exported from the course app (seed {seed}). Plain PyTorch."""
import re
from collections import Counter

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils.data import DataLoader

SEED = {seed}
df = pd.concat([pd.read_csv(p) for p in {list(csv_paths)!r}], ignore_index=True)  # columns: text, label
texts, labels = df.text.tolist(), df.label.astype(int).tolist()

{tok_src}


# vocabulary: most frequent first, <pad>=0, <unk>=1
tokens = [tokenize(t) for t in texts]
counts = Counter(tok for toks in tokens for tok in toks)
kept = sorted((tok for tok, c in counts.items() if c >= {min_freq}), key=lambda tok: (-counts[tok], tok))
itos = ["<pad>", "<unk>"] + kept[: {max_size} - 2]
stoi = {{tok: i for i, tok in enumerate(itos)}}
ids = [[stoi.get(tok, 1) for tok in toks[:{max_len}]] or [1] for toks in tokens]


{collate_src}

perm = torch.randperm(len(ids), generator=torch.Generator().manual_seed(SEED)).tolist()
n_val = max(1, int(len(ids) * 0.2))
pairs = list(zip(ids, labels))
train_dl = DataLoader([pairs[i] for i in perm[n_val:]], batch_size=32, shuffle=True, collate_fn=collate,
                      generator=torch.Generator().manual_seed(SEED))
val_dl = DataLoader([pairs[i] for i in perm[:n_val]], batch_size=256, collate_fn=collate)

{model_src}


torch.manual_seed(SEED)
model = RNNClassifier({cell!r}, len(itos), len(set(labels)), {embed}, {hidden}, {layers}, {bidir}, {dropout})
torch.manual_seed(SEED)
opt = torch.optim.Adam(model.parameters(), lr={lr})
for epoch in range(1, {epochs} + 1):
    model.train()
    total, loss_sum = 0, 0.0
    for x, lengths, y in train_dl:
        {train_fwd}
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_sum += loss.item() * len(y)
        total += len(y)
    model.eval()
    with {no_grad}:
        correct = sum((model(x, lengths).argmax(1) == y).sum().item() for x, lengths, y in val_dl)
    print(f"epoch {{epoch}} train_loss {{loss_sum / total:.6f}} val_acc {{correct / n_val:.4f}}")
'''
