"""The CLIP idea, trained in the app: a small dual encoder for Fashion-MNIST.

No CLIP-family model with its weights ships in a pip or Debian package we can use offline (the package index has
none), so the image tower is a small CNN trained here and the text tower is the shipped multilingual-e5 (frozen)
with a trainable linear projection. Captions come from the class names in Korean and English with a few
templates; some templates are held out to measure zero-shot accuracy on captions the model never saw.
Loss: InfoNCE (image → caption cross-entropy over the temperature-scaled cosine similarities), as in CLIP.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator

from core.errors import UserError

CLASSES_EN = ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
CLASSES_KO = ["티셔츠", "바지", "풀오버 스웨터", "원피스", "코트", "샌들", "셔츠", "운동화", "가방", "앵클부츠"]
TRAIN_TEMPLATES = {"en": ["a photo of a {}", "a picture of a {}", "a {} on a plain background"],
                   "ko": ["{} 사진", "{} 이미지", "단색 배경 위의 {}"]}
HELDOUT_TEMPLATES = {"en": ["a small grayscale image of a {}", "this is a {}"],
                     "ko": ["작은 흑백 {} 그림", "이것은 {}입니다"]}


def captions(templates: dict[str, list[str]]) -> tuple[list[str], list[int]]:
    """Every (template, class) caption in both languages, with its class index."""
    texts, labels = [], []
    for lang, names in (("en", CLASSES_EN), ("ko", CLASSES_KO)):
        for tpl in templates[lang]:
            for c, name in enumerate(names):
                texts.append(tpl.format(name))
                labels.append(c)
    return texts, labels


@dataclass
class ClipConfig:
    dim: int = 64          # the shared embedding space
    steps: int = 200
    batch_size: int = 64
    lr: float = 3e-3
    seed: int = 0
    n_train: int = 6000    # images used for training (a subset keeps it CPU-fast)


@dataclass
class ClipStep:
    step: int
    loss: float
    zero_shot: float | None = None  # accuracy on held-out captions, measured every eval_every steps


def build(text_dim: int, dim: int = 64):
    """(image tower, text projection, log temperature): the three trainable parts."""
    import math

    import torch
    from torch import nn

    image = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, dim))
    text = nn.Linear(text_dim, dim)
    log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))  # CLIP's initial temperature
    return image, text, log_scale


class DualEncoder:
    """The trained model: images and (e5-embedded) texts in one space."""

    def __init__(self, embedder, dim: int = 64):
        import torch

        self.embedder = embedder
        self.image, self.text, self.log_scale = build(embedder.dim, dim)
        self._cache: dict[str, torch.Tensor] = {}

    def parameters(self):
        return [*self.image.parameters(), *self.text.parameters(), self.log_scale]

    def e5(self, texts: list[str]):
        """Frozen e5 vectors, cached per text (the text tower's expensive, untrained part)."""
        import numpy as np
        import torch

        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vecs = np.asarray(self.embedder.embed_documents(missing), dtype=np.float32)
            self._cache.update(zip(missing, torch.from_numpy(vecs)))
        return torch.stack([self._cache[t] for t in texts])

    def encode_images(self, x):
        import torch.nn.functional as F

        return F.normalize(self.image(x), dim=-1)

    def encode_texts(self, texts: list[str]):
        import torch.nn.functional as F

        return F.normalize(self.text(self.e5(texts)), dim=-1)

    def class_embeddings(self, templates: dict[str, list[str]], lang: str | None = None):
        """One vector per class: the mean of its captions (in one language, or both)."""
        import torch.nn.functional as F

        texts, labels = captions(templates)
        keep = [i for i in range(len(texts)) if lang is None or (i < len(texts) // 2) == (lang == "en")]
        emb = self.encode_texts([texts[i] for i in keep])
        out = emb.new_zeros(len(CLASSES_EN), emb.shape[1])
        for row, i in enumerate(keep):
            out[labels[i]] += emb[row]
        return F.normalize(out, dim=-1)

    def zero_shot(self, x, y, templates=HELDOUT_TEMPLATES, lang: str | None = None) -> float:
        import torch

        with torch.no_grad():
            pred = (self.encode_images(x) @ self.class_embeddings(templates, lang).T).argmax(1)
        return float((pred == y).float().mean())

    def similarity(self, x, texts: list[str]):
        import torch

        with torch.no_grad():
            return (self.encode_images(x) @ self.encode_texts(texts).T).numpy()

    def search(self, query: str, x, k: int = 8) -> list[tuple[int, float]]:
        """Text → image: the indices of the k images closest to the query, with their cosine."""
        import torch

        if not query.strip():
            raise UserError("clip.empty_query", "empty query")
        with torch.no_grad():
            sims = (self.encode_images(x) @ self.encode_texts([query]).T).squeeze(1)
        top = sims.topk(min(k, len(sims)))
        return [(int(i), float(s)) for s, i in zip(top.values, top.indices)]


def info_nce(img, txt, log_scale, labels):
    """Image → caption InfoNCE: each image must pick its class's caption among the batch's class captions."""
    import torch.nn.functional as F

    logits = log_scale.exp().clamp(max=100) * img @ txt.T
    return F.cross_entropy(logits, labels)


def train(model: DualEncoder, x, y, cfg: ClipConfig, x_eval=None, y_eval=None, eval_every: int = 50,
          stop_event=None) -> Iterator[ClipStep]:
    """Contrastive training; every step samples one training caption (random template and language) per class."""
    import torch

    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    texts, labels = captions(TRAIN_TEMPLATES)
    by_class = {c: [t for t, lab in zip(texts, labels) if lab == c] for c in range(len(CLASSES_EN))}
    model.e5(texts)  # embed every training caption once
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    n = min(cfg.n_train, len(x))
    for step in range(1, cfg.steps + 1):
        if stop_event is not None and stop_event.is_set():
            return
        idx = torch.randint(0, n, (cfg.batch_size,))
        batch_caps = [rng.choice(by_class[c]) for c in range(len(CLASSES_EN))]
        loss = info_nce(model.encode_images(x[idx]), model.encode_texts(batch_caps), model.log_scale, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        acc = None
        if x_eval is not None and (step % eval_every == 0 or step == cfg.steps):
            acc = model.zero_shot(x_eval, y_eval)
        yield ClipStep(step, loss.item(), acc)


def classify(model: DualEncoder, img, lang: str, k: int = 3) -> list[tuple[int, float]]:
    """Zero-shot: the image against every class's held-out captions in one language → top-k (class, probability)."""
    import torch

    with torch.no_grad():
        logits = model.log_scale.exp() * model.encode_images(img[None]) @ model.class_embeddings(HELDOUT_TEMPLATES,
                                                                                                  lang).T
        top = logits.softmax(-1)[0].topk(k)
    return [(int(i), float(p)) for i, p in zip(top.indices, top.values)]
