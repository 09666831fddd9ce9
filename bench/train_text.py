"""Sentiment benchmark (prints its figures; not a test). One split of the shipped natural reviews, and in the same
run: validation accuracy (in-distribution) next to accuracy on the separately written out-of-distribution set, the
share of OOD tokens each model has never seen, and training seconds.
Models: the page's DEFAULT (a small neural head trained on pretrained e5 sentence vectors), e5 + logistic
regression, TF-IDF + logistic regression (the plain baseline), and the recurrent models: GRUs on Qwen2.5's
pretrained subword embeddings (bidirectional, frozen / fine-tuned) and from scratch on word / character tokens.
The full mode adds the template-generated set's generalisation gap and Word2Vec neighbours of common words.
Goals: the default reaches >= 0.85 on the OOD set, and its default training run takes <= 60 s on 2 cores.
The default's seconds are its training run with the corpus's e5 vectors already cached on disk (the page's case
from the second run on); the one-time embedding of the corpus is printed beside it (full mode: measured cold, in a
temporary cache).

    python bench/train_text.py            # everything (the cold e5 embedding alone takes minutes on 2 cores)
    python bench/train_text.py --quick    # the default, the baselines and the default RNN; e5 from the cache
"""
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT  # noqa: F401  (puts the repo on sys.path)

from core import text as T
from core import text_data as TD
from core.assets import Registry
from core.config import Settings
from core.documents import korean_law
from core.train import TrainConfig, fit


def report(name: str, model: T.TextModel, val_acc: float, ood: TD.TextData, seconds: float) -> float:
    acc = model.accuracy(ood.texts, ood.labels)
    by_lang = "  ".join(f"{lang} {model.accuracy(*_subset(ood, lang)):.3f}" for lang in ("ko", "en")
                        if lang in ood.langs)
    unk = model.unknown_share(ood.texts)
    print(f"  {name:44} val {val_acc:.3f}   OOD {acc:.3f} ({by_lang})   OOD unknown tokens {unk:4.0%}"
          f"   train {seconds:5.1f} s", flush=True)
    return acc


def _subset(d: TD.TextData, lang: str):
    rows = [i for i, x in enumerate(d.langs) if x == lang]
    return [d.texts[i] for i in rows], [d.labels[i] for i in rows]


def _fit(m, data, train_idx, val_idx, epochs: int, lr: float, clip_grad: float = 0.0):
    """The page's loop on a built model; returns the last epoch's validation accuracy (no peeking at the best)."""
    train_dl, val_dl = m.loaders(data.texts, data.labels, train_idx, val_idx)
    cfg = TrainConfig(epochs=epochs, lr=lr, clip_grad=clip_grad, seed=0)
    return [s for s in fit(m.model, train_dl, val_dl, cfg) if s.kind == "epoch"][-1].val_acc


def train_default(data, train_idx, val_idx, cache_dir):
    """The page's default run: build + fit the e5 head; returns (model, val acc, seconds)."""
    d = T.DEFAULT_E5_HEAD
    start = time.perf_counter()
    m = T.build_e5_head(len(data.classes), d["hidden"], d["dropout"], seed=0, cache_dir=cache_dir)
    val = _fit(m, data, train_idx, val_idx, d["epochs"], d["lr"])
    return m, val, time.perf_counter() - start


def train_rnn(kind: str, data, train_idx, val_idx, qwen=None, **overrides):
    """Build + fit an RNN with the page's RNN defaults (overridable); returns (model, val acc, seconds)."""
    settings = {**T.DEFAULT_RNN, **overrides}
    epochs, lr = settings.pop("epochs"), settings.pop("lr")
    start = time.perf_counter()
    m = T.build_rnn(kind, [data.texts[i] for i in train_idx], qwen=qwen, seed=0, **settings)
    val = _fit(m, data, train_idx, val_idx, epochs, lr, clip_grad=1.0)
    return m, val, time.perf_counter() - start


def embed_corpus(data, ood, cache_dir: Path, where: str) -> None:
    """The e5 vectors of the corpus and the OOD set, timed."""
    start = time.perf_counter()
    T.e5_vectors(data.texts, cache_dir)
    T.e5_vectors(ood.texts, cache_dir)
    print(f"e5 vectors of {len(data.texts) + len(ood.texts)} sentences: {time.perf_counter() - start:.1f} s ({where})",
          flush=True)


def word2vec_report(registry) -> None:
    """Neighbours of common words on the page's default Word2Vec corpus (Kiwi dictionary forms)."""
    start = time.perf_counter()
    tokens = T.morphemes(TD.word2vec_corpus(korean_law(registry)))
    model = T.train_word2vec(tokens, sg=True, dim=50, window=4, min_count=2, epochs=30)
    print(f"\nWord2Vec (skip-gram) on {sum(map(len, tokens))} words, vocabulary {len(model.wv)},"
          f" {time.perf_counter() - start:.0f} s:")
    for word in ("좋다", "맛있다", "배송", "good", "bad"):
        near = ", ".join(w for w, _ in T.neighbours(model, word, 8)) if word in model.wv else "-"
        rare = "  RARE" if T.is_rare(model, word) else ""
        print(f"  {word:6} x{T.word_count(model, word):<4}{rare} {near}")
    print()


def main(quick: bool) -> None:
    import torch  # after core, which makes idle OpenMP workers sleep (spinning ones starve each other under load)

    torch.set_num_threads(2)
    settings = Settings.load()
    data, ood = TD.shipped(), TD.ood()
    train_idx, val_idx = T.split_indices(len(data.texts), 0)
    print(f"shipped natural reviews: {len(data.texts)} ({data.langs.count('ko')} ko, {data.langs.count('en')} en), "
          f"train {len(train_idx)}, val {len(val_idx)}; OOD set: {len(ood.texts)} "
          f"({ood.langs.count('ko')} ko, {ood.langs.count('en')} en)")
    if not quick:
        with tempfile.TemporaryDirectory(prefix="e5-cold-") as tmp:
            T._E5_SEEN.clear()  # nothing in memory either
            shipped, T.shipped_e5 = T.shipped_e5, dict  # as for a student's own corpus of this size: nothing ships
            try:
                embed_corpus(data, ood, Path(tmp), "cold: a corpus whose vectors did not ship")
            finally:
                T.shipped_e5 = shipped
    with tempfile.TemporaryDirectory(prefix="e5-first-") as tmp:
        T._E5_SEEN.clear()
        embed_corpus(data, ood, Path(tmp), "a student's first visit: the built-in vectors ship in assets/")

    m, val, secs = train_default(data, train_idx, val_idx, settings.cache_dir)
    d = T.DEFAULT_E5_HEAD
    default_ood = report(f"DEFAULT e5 + MLP head ({d['hidden']} hidden, {d['epochs']} epochs)", m, val, ood, secs)
    default_secs = secs
    for kind, name in (("tfidf", "TF-IDF char n-grams + LR (plain baseline)"), ("e5", "e5 sentence vectors + LR")):
        start = time.perf_counter()
        m = T.fit_sklearn(kind, [data.texts[i] for i in train_idx], [data.labels[i] for i in train_idx])
        secs = time.perf_counter() - start
        val = m.accuracy([data.texts[i] for i in val_idx], [data.labels[i] for i in val_idx])
        report(name, m, val, ood, secs)

    start = time.perf_counter()
    qwen = T.load_qwen_subword(Registry(settings.cache_dir), settings.cache_dir)
    print(f"Qwen2.5 tokenizer + embedding rows loaded in {time.perf_counter() - start:.1f} s (cached after the first)")
    r = T.DEFAULT_RNN
    rnn_name = (f"{'Bi' if r['bidirectional'] else ''}{r['cell'].upper()} on Qwen2.5 subwords "
                f"({'frozen' if r['freeze'] else 'fine-tuned'}, {r['epochs']} ep)")
    m, val, secs = train_rnn("qwen", data, train_idx, val_idx, qwen)
    report(f"RNN default: {rnn_name}", m, val, ood, secs)
    if not quick:
        m, val, secs = train_rnn("qwen", data, train_idx, val_idx, qwen, freeze=not r["freeze"])
        report(f"same, {'fine-tuned' if r['freeze'] else 'frozen'} embeddings", m, val, ood, secs)
        m, val, secs = train_rnn("qwen", data, train_idx, val_idx, qwen, bidirectional=False, dropout=0.0)
        report("same, one direction, no dropout", m, val, ood, secs)
        for kind in ("word", "char"):
            m, val, secs = train_rnn(kind, data, train_idx, val_idx, embed_dim=64)
            report(f"{r['cell'].upper()} from scratch, {kind} tokens", m, val, ood, secs)
        word2vec_report(Registry(settings.cache_dir))
        tpl = TD.templates()
        t_train, t_val = T.split_indices(len(tpl.texts), 0)
        m, val, secs = train_rnn("word", tpl, t_train, t_val, embed_dim=64)
        report("template set: GRU, word tokens", m, val, ood, secs)
    print(f"\nGOAL default OOD >= 0.85: {default_ood:.3f} {'MET' if default_ood >= 0.85 else 'NOT MET'};"
          f" default training <= 60 s: {default_secs:.1f} s {'MET' if default_secs <= 60 else 'NOT MET'}"
          " (e5 vectors cached; measured on this machine; timings under load are inflated)")


if __name__ == "__main__":
    main("--quick" in sys.argv)
