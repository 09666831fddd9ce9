"""A learned answer-unit ranker: which unit of an index answers a question, and whether any does.

Hand-made scores (e5 cosine + a little TF-IDF, then a threshold) rank colloquial questions and keyword queries
poorly and do not say when nothing answers. Here every answer unit (core.answer_units) of the index gets general
features of the (question, unit) pair:

- dense: how far the e5 cosine of the unit, of its chunk and of its neighbour unit is below the best one for this
  question, and the unit's rank by it (relative, not absolute: an English or keyword query on a Korean document has
  lower cosines everywhere, and a threshold on them did not carry from one style of question to another);
- lexical: BM25 (rank_bm25.BM25Okapi) over Korean morphemes and lemmas (kiwipiepy: 만들고 / 만들 → 만들다) and
  English words, for the unit and for its chunk, relative to the best; the share of the question's content
  morphemes found in the unit (and in its chunk); the character n-gram TF-IDF cosine the index already has;
- shape: the unit's kind (sentence, list item, table row, definition, heading, line) and length, and whether a
  "how many" question's counter is in it;

and a logistic regression over them (coefficients in data/rag_ranker.json, fitted by scripts/train_rag_ranker.py
on the dev question sets only, seeded) gives the probability that the unit holds the answer. The best unit is the
answer; its probability is the confidence that the answer rule compares with a threshold frozen on the dev sets.
Pure Python + numpy; kiwipiepy and rank_bm25 are imported lazily.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RANKER = Path(__file__).resolve().parent.parent / "data" / "rag_ranker.json"
KINDS = ("sentence", "item", "row", "definition", "heading", "line")
# Morpheme tags that carry content: nouns, numbers, foreign words, hanja, verb and adjective stems, roots.
_CONTENT = {"NNG", "NNP", "NR", "SN", "SL", "SH", "VV", "VA", "XR", "VV-R", "VA-R", "VV-I", "VA-I", "W_SERIAL"}
_HANGUL = re.compile(r"[가-힣]+")
# A question whose answer is a number, an amount, a time or a date (in Korean or English)
_ASKS_NUMBER = re.compile(r"몇|얼마|며칠|언제|나이|\bhow (?:many|much|long|old|often)\b|\bwhen\b"
                          r"|\bwhat (?:year|time|date)\b", re.IGNORECASE)
FEATURES = ("unit_cos_gap", "chunk_cos_gap", "unit_bm25", "chunk_bm25", "unit_bm25_rel",
            "chunk_bm25_rel", "unit_cover", "chunk_cover", "tfidf", "count_missing", "count_held", "log_len",
            "neighbour_gap", "unit_cos_rank", "unit_bm25_rank", "doc_cover", "sym_cos_gap", "number_held",
            "number_missing", "nouns_missing_doc", "nouns_missing_unit", "nouns_cover_unit",
            *(f"kind_{k}" for k in KINDS))


def _kiwi():
    """The process's one Kiwi (~0.5 GB), shared with core.text (word2vec, the morpheme tokenizer)."""
    from core.text import kiwi

    return kiwi()


@lru_cache(maxsize=50000)
def tokens(text: str) -> tuple[str, ...]:
    """Content morphemes of a text, verbs and adjectives by their lemma (만들고 → 만들다), English lower-cased."""
    out = []
    for tok in _kiwi().tokenize(text):
        if tok.tag in _CONTENT:
            form = tok.lemma if tok.tag.startswith(("VV", "VA")) else tok.form
            out.append(form.lower())
            if tok.tag in ("NNG", "NNP") and len(form) >= 3 and _HANGUL.fullmatch(form):
                # a compound noun is one token in a keyword query (단체행동권) and several in a sentence
                # (단체 + 행동 + 권): its syllable pairs let the two meet
                out.extend(form[i:i + 2] for i in range(len(form) - 1))
    return tuple(out)


@lru_cache(maxsize=5000)
def nouns(text: str) -> tuple[str, ...]:
    """The nouns and foreign words of a text (what a question is about: 장관, 임기, dropout)."""
    return tuple(dict.fromkeys(t.form.lower() for t in _kiwi().tokenize(text) if t.tag in ("NNG", "NNP", "SL")))


class Lexical:
    """BM25 over the units and over the chunks of one index (morpheme tokens)."""

    def __init__(self, unit_texts: list[str], chunk_texts: list[str]):
        from rank_bm25 import BM25Okapi

        self.unit_tokens = [tokens(t) for t in unit_texts]
        self.chunk_tokens = [tokens(t) for t in chunk_texts]
        self.unit_sets = [set(t) for t in self.unit_tokens]
        self.chunk_sets = [set(t) for t in self.chunk_tokens]
        self.vocabulary = set().union(*self.chunk_sets) if self.chunk_sets else set()
        # BM25Okapi divides by the average length: an index of empty token lists gets one dummy token
        self.units = BM25Okapi([list(t) or ["\0"] for t in self.unit_tokens]) if unit_texts else None
        self.chunks = BM25Okapi([list(t) or ["\0"] for t in self.chunk_tokens]) if chunk_texts else None

    def scores(self, question: str):
        """(BM25 of each unit, BM25 of each chunk, the question's content tokens)."""
        import numpy as np

        q = list(dict.fromkeys(tokens(question)))
        u = self.units.get_scores(q) if self.units is not None and q else np.zeros(len(self.unit_tokens))
        c = self.chunks.get_scores(q) if self.chunks is not None and q else np.zeros(len(self.chunk_tokens))
        return np.asarray(u, dtype=np.float32), np.asarray(c, dtype=np.float32), q


def features(question: str, unit_cos, chunk_cos_all, owner, lexical: Lexical, tfidf, kinds: list[str],
             lengths, count_pattern, unit_texts: list[str], unit_cos_sym=None):
    """The feature matrix (units × FEATURES) for one question. unit_cos: e5 cosine of each unit (the question
    embedded as a query); unit_cos_sym: the same with the question embedded as a passage (None: unit_cos);
    chunk_cos_all: of each chunk; owner: each unit's chunk; tfidf: each unit's TF-IDF cosine; count_pattern:
    asked_count(question)."""
    import numpy as np

    n = len(unit_cos)
    bm_u, bm_c, q = lexical.scores(question)
    chunk_cos = chunk_cos_all[owner] if n else np.zeros(0, np.float32)
    qs = set(q)
    unit_cover = np.array([len(qs & s) / len(qs) if qs else 0.0 for s in lexical.unit_sets], np.float32)
    chunk_cover_all = np.array([len(qs & s) / len(qs) if qs else 0.0 for s in lexical.chunk_sets], np.float32)
    x = np.zeros((n, len(FEATURES)), np.float32)
    if n == 0:
        return x
    col = {f: i for i, f in enumerate(FEATURES)}
    x[:, col["unit_cos_gap"]] = unit_cos - unit_cos.max()
    x[:, col["chunk_cos_gap"]] = chunk_cos - chunk_cos_all.max()
    # BM25 grows with the question's length: divided by the number of query tokens it compares across questions
    x[:, col["unit_bm25"]] = bm_u / max(len(q), 1)
    x[:, col["chunk_bm25"]] = bm_c[owner] / max(len(q), 1)
    x[:, col["unit_bm25_rel"]] = bm_u / bm_u.max() if bm_u.max() > 0 else 0.0
    x[:, col["chunk_bm25_rel"]] = bm_c[owner] / bm_c.max() if bm_c.max() > 0 else 0.0
    x[:, col["unit_cover"]] = unit_cover
    x[:, col["chunk_cover"]] = chunk_cover_all[owner]
    x[:, col["tfidf"]] = tfidf
    if count_pattern is not None:
        held = np.array([bool(count_pattern.search(t)) for t in unit_texts], np.float32)
        x[:, col["count_held"]] = held
        x[:, col["count_missing"]] = 1.0 - held
    x[:, col["log_len"]] = np.log1p(lengths)
    # the unit before or after it in the same chunk ("다만, …" continues the sentence before it)
    same = owner[1:] == owner[:-1]
    prev = np.where(np.r_[False, same], np.r_[-1.0, unit_cos[:-1]], -1.0)
    nxt = np.where(np.r_[same, False], np.r_[unit_cos[1:], -1.0], -1.0)
    x[:, col["neighbour_gap"]] = np.maximum(prev, nxt) - unit_cos.max()
    x[:, col["unit_cos_rank"]] = 1.0 / (1.0 + np.argsort(np.argsort(-unit_cos)))
    x[:, col["unit_bm25_rank"]] = 1.0 / (1.0 + np.argsort(np.argsort(-bm_u)))
    # the share of the question's content words found anywhere in the document: words it has never seen hint that
    # the question is about something else (or asked in other words)
    x[:, col["doc_cover"]] = len(qs & lexical.vocabulary) / len(qs) if qs else 0.0
    # a noun of the question that the document never uses (연봉, 도지사) or that the unit lacks while the document
    # has it (장관 asked, 국회의원 answered): the question is about something else
    qn = nouns(question)
    in_doc = [w for w in qn if w in lexical.vocabulary]
    x[:, col["nouns_missing_doc"]] = len(qn) - len(in_doc)
    x[:, col["nouns_missing_unit"]] = [sum(w not in s for w in in_doc) for s in lexical.unit_sets]
    x[:, col["nouns_cover_unit"]] = [sum(w in s for w in qn) / len(qn) if qn else 0.0 for s in lexical.unit_sets]
    sym = unit_cos if unit_cos_sym is None else unit_cos_sym
    x[:, col["sym_cos_gap"]] = sym - sym.max()
    if _ASKS_NUMBER.search(question):
        digit = np.array([bool(re.search(r"\d", t)) for t in unit_texts], np.float32)
        x[:, col["number_held"]] = digit
        x[:, col["number_missing"]] = 1.0 - digit
    for i, k in enumerate(kinds):
        x[i, col[f"kind_{k}"]] = 1.0
    return x


def question_features(logits, x):
    """What the answerability model sees of one question: the best unit's logit, its margin over the second, its
    log-softmax share among all units, and the best unit's own features."""
    import numpy as np

    if len(logits) == 0:
        return np.zeros(3 + len(FEATURES), np.float32)
    top, margin = _top(logits)
    share = logits[top] - (np.log(np.exp(logits - logits.max()).sum()) + logits.max())
    return np.r_[logits[top], margin, share, x[top]].astype(np.float32)


def _top(logits) -> tuple[int, float]:
    """The best unit and its logit's margin over the second (10 with a single unit)."""
    import numpy as np

    top = int(np.argmax(logits))
    second = np.partition(logits, -2)[-2] if len(logits) > 1 else logits[top] - 10.0
    return top, float(logits[top] - second)


# The refusal model's features: what is known of the question's best unit under the ranker. Round 2 shipped a
# small model over two of them (top_logit, hand); round 3, trained on 11 sets and chosen leave-one-set-out, uses
# them all, including the best unit's own ranker features (x_…: whether the question's nouns occur in the document
# at all, coverage, BM25…).
# Round 4 adds how far the best unit stands out from the document's other units for this question (z-scores of its
# ranker logit, e5 cosine and BM25 among all units): relative to the document itself, so a value can mean the same
# on a 20-unit upload and on the 362-unit constitution.
STANDOUT = ("logit_z", "cos_z", "bm25_z")
# novel_sim: of the question's nouns that the document never uses, the lowest best e5 cosine of the noun alone to any
# unit (1 when there is none): a paraphrase (노조 for 단결권) finds a close unit, another subject (연봉) does not
# lang_gap (round 8): how far the question's script is from the document's (language_gap): an English question on a
# Korean document (or the reverse) scores lower everywhere, so without it one threshold serves both badly
REFUSAL_FEATURES = ("top_logit", "margin", "hand", "cover", "hand_best", *(f"x_{f}" for f in FEATURES), *STANDOUT,
                    "novel_sim", "lang_gap")
_HANGUL_CHAR = re.compile(r"[가-힣]")
_LATIN_CHAR = re.compile(r"[A-Za-z]")


def hangul_share(text: str) -> float:
    """The share of Hangul syllables among the Hangul and Latin letters of a text (0.5 when it has neither)."""
    h, latin = len(_HANGUL_CHAR.findall(text)), len(_LATIN_CHAR.findall(text))
    return h / (h + latin) if h + latin else 0.5


def language_gap(question: str, document_share: float) -> float:
    """lang_gap: |hangul_share(question) − the document's hangul_share| (0: the same script, 1: Korean vs English)."""
    return abs(hangul_share(question) - document_share)


def refusal_features(logits, x, hand: float, hand_best: float, novel: float = 1.0, lang_gap: float = 0.0):
    """REFUSAL_FEATURES of one question: the best unit's ranker logit, its margin over the second, the hand-made
    score of that unit (e5 cosine + coverage, core.rag.confidence), the share of the question's content morphemes
    found in it (BM25 coverage), the hand-made score of the unit the hand-made rule would choose, the best
    unit's FEATURES, how far it stands out among all units (STANDOUT), novel_sim (novel) and lang_gap."""
    import numpy as np

    if len(logits) == 0:
        return np.zeros(len(REFUSAL_FEATURES), np.float32)
    top, margin = _top(logits)
    head = [logits[top], margin, hand, x[top, FEATURES.index("unit_cover")], hand_best]

    def standout(v):
        return float((v[top] - v.mean()) / v.std()) if len(v) > 1 and v.std() > 0 else 0.0

    tail = [standout(logits), standout(x[:, FEATURES.index("unit_cos_gap")]),
            standout(x[:, FEATURES.index("unit_bm25")])]
    return np.r_[np.array(head, np.float32), x[top], np.array(tail + [novel, lang_gap], np.float32)].astype(np.float32)


def _linear(x, coef, intercept, mean, scale):
    import numpy as np

    z = (x - np.asarray(mean, np.float32)) / np.asarray(scale, np.float32)
    return z @ np.asarray(coef, np.float32) + intercept


@dataclass
class Ranker:
    """Two logistic regressions: one over FEATURES ranks the units (the probability that a unit holds the answer),
    one over question_features says whether the best unit answers at all (standardised with stored mean, scale)."""
    coef: list[float]
    intercept: float
    mean: list[float]
    scale: list[float]
    answer: dict  # the answerability model: coef, intercept, mean, scale
    threshold: float  # answer when the answerability probability reaches this (frozen on the dev sets)
    floor: float  # below threshold but at least this: the closest passage, marked as not certain
    # when set, the answerability comes from this small model instead: {"features": a subset of REFUSAL_FEATURES,
    # "coef", "intercept", "mean", "scale", "count_gate": a "how many" question's best unit must hold the count}
    refusal: dict | None = None
    # an answer that is one item of a list or one row of a table takes the adjacent items/rows of the same block
    # whose probability is at least this share of the best one's (core.rag.widen); None: the unit alone
    widen: float | None = None
    # an answer of no list or table takes the unit next to it in its chunk (its next clause or sentence) whose
    # probability is at least this share of the best one's (core.rag.grow_block); None: the unit alone
    adjacent: float | None = None

    def logits(self, x):
        return _linear(x, self.coef, self.intercept, self.mean, self.scale)

    def proba(self, x):
        import numpy as np

        return 1.0 / (1.0 + np.exp(-self.logits(x)))

    def answerable(self, x, hand: float = 0.0, count_ok: bool = True, hand_best: float = 0.0,
                   novel: float = 1.0, lang_gap: float = 0.0) -> float:
        """The probability that the question is answered by its best unit: from all units' features, or with a
        refusal model from REFUSAL_FEATURES (hand: the hand-made score of the best unit; count_ok: it holds the
        count a "how many" question asks for; hand_best: the hand-made rule's own best score; novel: novel_sim;
        lang_gap: language_gap of the question on this document)."""
        import numpy as np

        logits = self.logits(x)
        if self.refusal is not None:
            r = self.refusal
            if r.get("count_gate") and not count_ok:
                return 0.0
            idx = [REFUSAL_FEATURES.index(f) for f in r["features"]]
            f = refusal_features(logits, x, hand, hand_best, novel, lang_gap)[idx]
            z = _linear(f, r["coef"], r["intercept"], r["mean"], r["scale"])
        else:
            a = self.answer
            z = _linear(question_features(logits, x), a["coef"], a["intercept"], a["mean"], a["scale"])
        return float(1.0 / (1.0 + np.exp(-z)))

    @classmethod
    def load(cls, path: Path = RANKER) -> Ranker:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path} was fitted on other features: rerun scripts/train_rag_ranker.py")
        if data.get("refusal") and not set(data["refusal"]["features"]) <= set(REFUSAL_FEATURES):
            raise ValueError(f"{path} has an unknown refusal feature: rerun scripts/train_rag_ranker.py")
        return cls(data["coef"], data["intercept"], data["mean"], data["scale"], data["answer"], data["threshold"],
                   data["floor"], data.get("refusal"), data.get("widen"),
                   data.get("adjacent"))


_LOADED: dict[str, Ranker] = {}


def default_ranker(path: Path | None = None) -> Ranker | None:
    """The shipped ranker (data/rag_ranker.json, or another fitted file), or None when it has not been fitted."""
    path = Path(path or RANKER)
    key = str(path)
    if key not in _LOADED:
        if not path.exists():
            return None
        _LOADED[key] = Ranker.load(path)
    return _LOADED[key]


def novel_similarity(question: str, vocabulary, embed, unit_vectors) -> float:
    """novel_sim: the lowest, over the question's nouns missing from the vocabulary, of the best cosine between the
    noun embedded alone (embed(noun) -> vector) and the units' vectors; 1 when every noun occurs."""
    missing = [w for w in nouns(question) if w not in vocabulary]
    if not missing or len(unit_vectors) == 0:
        return 1.0
    return float(min((unit_vectors @ embed(w)).max() for w in missing))


def near_topic(ix, question: str, q, drop: set[int]):
    """The same question asked on the document without the units `drop` (and without their text in the chunks):
    (features of the remaining units, their hand-made scores, the hand-made rule's own best score, whether each
    holds the asked-for count, novel_sim). Every answerable training question becomes a near-topic unanswerable
    this way when `drop` is the units that hold its answer and their list or table: the rest of the topic stays.
    ix: a core.rag index (_Index); q: the question's e5 query vector. The changed chunks are embedded again; BM25,
    the document's vocabulary and every relative feature are computed over what remains."""
    import numpy as np

    from core import rag

    keep = np.array([i for i in range(len(ix.sentences)) if i not in drop], dtype=int)
    docs = list(ix.docs)
    for i in sorted(drop):
        for span in ix.spans[i]:
            docs[ix.owner[i]] = docs[ix.owner[i]].replace(span, " ")
    chunk_cos = ix.vectors @ q
    changed = sorted({int(ix.owner[i]) for i in drop})
    if changed:
        texts = [docs[c].strip() for c in changed]
        vecs = ix.embedder.embed_documents([t or " " for t in texts])
        for c, t, v in zip(changed, texts, vecs):
            chunk_cos[c] = float(np.asarray(v, np.float32) @ q) if t else -1.0
    plain = [ix.plain[i] for i in keep]
    sentences = [ix.sentences[i] for i in keep]
    unit_cos = ix.sentence_vectors[keep] @ q
    sym = ix.sentence_vectors[keep] @ rag._sentence_vectors(ix.embedder, [question])[0]
    lexical = Lexical(plain, docs)
    x = features(question, unit_cos, chunk_cos, ix.owner[keep], lexical, ix._tfidf(question)[keep],
                 [ix.kinds[i] for i in keep], np.array([len(s) for s in plain], np.float32),
                 rag.asked_count(question), plain, sym)
    hand = unit_cos + rag.COVERAGE_WEIGHT * np.array([rag.coverage(question, s) for s in sentences], np.float32)
    hand_best = float(hand[int(np.argmax(ix.sentence_scores(question, q)[keep]))]) if len(keep) else 0.0
    count = rag.asked_count(question)
    count_ok = np.array([count is None or bool(count.search(s)) for s in sentences])
    novel = novel_similarity(question, lexical.vocabulary, lambda w: rag._query_vector(ix.embedder, w),
                             ix.sentence_vectors[keep])
    return x, hand.astype(np.float32), hand_best, count_ok, novel
