"""core.text's edges checked against values worked out by hand or by the library underneath (transformers' byte
table, scikit-learn's own prediction, gensim's own neighbours): tokenisers, vocabulary, batching, the model interface
the page uses, and Word2Vec's refusals. Only Qwen's tokenizer is loaded (from the converted cache); everything
trains in well under a second.

Surviving mutants judged equivalent or out of reach (bench/mutation.py text):
- load_qwen_subword's first-call conversion (registry name, the .partial folder, saving the tokenizer and rows):
  it parses the 0.5B GGUF (about a minute), which no fast test can afford; every test reads the converted cache.
- LogisticRegression(max_iter=2001): the fit converges long before 2000 iterations.
- predict_proba's dummy label 0 → 1 in collate: the labels it builds are thrown away.
"""
import numpy as np
import pytest
import torch

from core import text as T
from core.errors import UserError


def test_char_and_word_tokenisers_lowercase_and_drop_spaces():
    assert T.Tokenizer("char")("A b\tC한") == ["a", "b", "c", "한"]
    assert T.Tokenizer("word")("Hello, World!  한글") == ["hello", ",", "world", "!", "한글"]
    assert T.Tokenizer("word").readable(["a", "b"]) == ["a", "b"]
    for kind in ("subword", "qwen"):
        with pytest.raises(UserError) as info:
            T.Tokenizer(kind)
        assert info.value.key == "text.no_subword"


def test_readable_token_decodes_whole_characters_and_shows_stray_bytes():
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    as_token = bytes_to_unicode()  # byte -> the character byte-level BPE writes for it

    def token(raw: bytes) -> str:
        return "".join(as_token[b] for b in raw)

    assert T.readable_token(token("안녕".encode())) == "안녕"
    assert T.readable_token(token("안".encode()[:2])) == "<0xEC><0x95>"
    assert T.readable_token(token("가".encode() + b"\xeb")) == "가<0xEB>"
    assert T.readable_token(token(b"\x80\xff")) == "<0x80><0xFF>"  # both ends of the escaped range
    assert T.readable_token(token(b" ok")) == " ok"
    assert T.readable_token("<|im_end|>") == "<|im_end|>"


def test_vocab_ties_go_alphabetically_and_sizes_clip():
    lists = [["b", "a", "b"], ["c", "a"]]
    assert T.build_vocab(lists).itos == [T.PAD, T.UNK, "a", "b", "c"]
    assert T.build_vocab(lists, min_freq=2).itos == [T.PAD, T.UNK, "a", "b"]
    assert T.build_vocab(lists, max_size=1).itos == [T.PAD, T.UNK]
    v = T.build_vocab(lists, max_size=4)
    assert len(v) == 4 and v.encode(["b", "z"]) == [3, 1] and v.decode([2, 0]) == ["a", T.PAD]


def test_collate_pads_with_zeros_and_keeps_lengths_and_labels():
    x, lengths, y = T.collate([([1, 2, 3], 0), ([4], 1)])
    assert x.tolist() == [[1, 2, 3], [4, 0, 0]] and x.dtype == torch.long
    assert lengths.tolist() == [3, 1] and y.tolist() == [0, 1]


def test_split_indices_is_torchs_seeded_permutation_with_at_least_one_for_validation():
    perm = torch.randperm(10, generator=torch.Generator().manual_seed(4)).tolist()
    assert T.split_indices(10, 4) == (perm[2:], perm[:2])
    assert T.split_indices(10, 4, val_frac=0.5) == (perm[5:], perm[:5])
    train, val = T.split_indices(10, 4, val_frac=0.01)
    assert len(val) == 1 and sorted(train + val) == list(range(10))


def test_text_loaders_follow_the_split_and_the_seed():
    ids = [[i + 1] for i in range(20)]
    labels = [i % 2 for i in range(20)]
    train_dl, val_dl, train, val = T.text_loaders(ids, labels, 3, seed=5, val_frac=0.25)
    assert (train, val) == T.split_indices(20, 5, 0.25)
    batches = list(train_dl)
    assert [len(b[2]) for b in batches] == [3, 3, 3, 3, 3]
    assert sorted(int(x[0]) - 1 for b in batches for x in b[0]) == sorted(train)
    assert all(int(lab) == (int(x[0]) - 1) % 2 for b in batches for x, lab in zip(b[0], b[2]))
    (only,) = list(val_dl)
    assert sorted(int(x[0]) - 1 for x in only[0]) == sorted(val)
    again = list(T.text_loaders(ids, labels, 3, seed=5, val_frac=0.25)[0])
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again))


def test_make_rnn_refuses_unknown_cells_and_seeds_its_weights():
    with pytest.raises(UserError) as info:
        T.make_rnn("transformer", 10, 2)
    assert (info.value.key, str(info.value)) == ("text.bad_cell", "unknown cell transformer")
    a, b = T.make_rnn("gru", 10, 2, 4, 4, seed=3), T.make_rnn("gru", 10, 2, 4, 4, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    m = T.make_rnn("lstm", 10, 3, embed_dim=5, hidden=6, layers=2, bidirectional=True, dropout=0.1)
    assert m.embed.num_embeddings == 10 and m.embed.embedding_dim == 5


def test_predictions_are_probabilities_in_eval_mode_and_every_prefix_is_a_prefix():
    m = T.make_rnn("gru", 10, 3, 4, 4, dropout=0.5, layers=2, seed=0)
    p = T.predict_proba(m, [[1, 2], [3]])
    assert not m.training and p.shape == (2, 3) and torch.allclose(p.sum(1), torch.ones(2))
    prefix = T.prefix_predictions(m, [4, 5, 6])
    assert len(prefix) == 3 and T.prefix_predictions(m, []) == []
    assert np.allclose(prefix[1], T.predict_proba(m, [[4, 5]])[0].tolist(), atol=1e-6)


class Fixed(T.TextModel):
    """Fixed probabilities, to check the shared accuracy and unknown-share arithmetic."""

    def proba(self, texts):
        return [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]][: len(texts)]

    def token_views(self, text):
        return [T.TokenView(w, w.startswith("?")) for w in text.split()]


def test_accuracy_is_the_share_of_argmax_hits_and_unknown_share_pools_all_tokens():
    assert Fixed().accuracy(["a", "b", "c"], [0, 1, 1]) == pytest.approx(2 / 3)
    assert Fixed().accuracy([], []) == 0.0
    assert Fixed().unknown_share(["?a b", "?c"]) == pytest.approx(2 / 3) and Fixed().unknown_share([]) == 0.0
    assert T.Explanation([1.0], [], []).unknown_share == 0.0


def test_rnn_text_truncates_maps_unknowns_and_explains_every_prefix():
    texts = ["good food", "bad food", "good service"]
    m = T.build_rnn("word", texts, embed_dim=4, hidden=4, max_len=2, seed=0)
    assert m.vocab.itos == [T.PAD, T.UNK, "food", "good", "bad", "service"]
    assert m.tokens("good bad food") == ["good", "bad"] and m.ids("") == [1] and m.ids("zzz") == [1]
    assert [(v.text, v.unknown) for v in m.token_views("good zzz")] == [("good", False), ("zzz", True)]
    assert [(v.text, v.unknown) for v in m.token_views("")] == [(T.UNK, True)]
    ex = m.explain("bad food")
    assert len(ex.prefix) == 2 and ex.probs == ex.prefix[-1]
    assert np.allclose(m.proba(["bad food"])[0], ex.probs, atol=1e-6) and m.proba([]) == []
    with pytest.raises(UserError) as info:
        m.explain(" \n")
    assert (info.value.key, str(info.value)) == ("text.empty", "type a sentence")
    train_dl, val_dl = m.loaders(texts, [1, 0, 1], [0, 1], [2], batch_size=2)
    assert [b[2].tolist() for b in train_dl] in ([[1, 0]], [[0, 1]]) and [b[0].tolist() for b in val_dl] == [[[3, 5]]]
    # shuffled, the same way for the same seed

    def order(seed):
        (batch,) = list(m.loaders(["good"] * 10, list(range(10)), list(range(10)), [0], 10, seed)[0])
        return batch[2].tolist()

    assert order(7) == order(7) != list(range(10)) and order(7) != order(8)


def test_build_rnn_refuses_unknown_kinds_and_qwen_without_its_tokenizer():
    for kind, qwen, key in (("bert", None, "text.bad_kind"), ("qwen", None, "text.no_subword")):
        with pytest.raises(UserError) as info:
            T.build_rnn(kind, ["a b"], qwen=qwen)
        assert info.value.key == key
    m = T.build_rnn("char", ["aab", "b"], min_freq=2, max_size=3)
    assert m.vocab.itos == [T.PAD, T.UNK, "a"] and isinstance(m, T.RNNText)


TEXTS = ["good food", "great service", "bad food", "awful service"] * 3
LABELS = [1, 1, 0, 0] * 3


def test_tfidf_model_marks_unseen_words_and_explains_by_word_prefixes():
    m = T.fit_sklearn("tfidf", TEXTS, LABELS)
    assert m.known == frozenset({"good", "food", "great", "service", "bad", "awful"})
    assert [(v.text, v.unknown) for v in m.token_views("Good pizza!")] == [
        ("Good", False), ("pizza", True), ("!", True)]
    ex = m.explain("awful pizza")
    assert np.allclose(ex.prefix, m.proba(["awful", "awful pizza"])) and ex.probs == ex.prefix[-1]
    assert np.allclose(m.proba(["good food"]), m.clf.predict_proba(m.vectorizer.transform(["good food"])))
    assert m.proba([]) == [] and m.accuracy(TEXTS, LABELS) == 1.0
    settings = m.vectorizer.get_params()
    assert (settings["analyzer"], settings["ngram_range"], settings["sublinear_tf"], m.clf.C) == (
        "char_wb", (1, 3), True, 4.0)
    with pytest.raises(UserError) as info:
        m.explain("  ")
    assert (info.value.key, str(info.value)) == ("text.empty", "type a sentence")
    with pytest.raises(UserError) as info:
        T.fit_sklearn("bow", TEXTS, LABELS)
    assert (info.value.key, info.value.params, str(info.value)) == ("text.bad_kind", {"kind": "bow"},
                                                                    "unknown model kind bow")


def test_tfidf_baseline_scores_the_validation_split_only():
    texts = TEXTS + ["good food", "awful service"]
    labels = LABELS + [0, 1]  # the last two are labelled against their training copies: held out, they score 0
    out = T.tfidf_baseline(texts, labels, list(range(12)), [12, 13])
    assert out["val_acc"] == 0.0 and out["seconds"] > 0 and out["model"].accuracy(TEXTS, LABELS) == 1.0
    assert T.tfidf_baseline(texts, labels, list(range(12)), list(range(4)))["val_acc"] == 1.0


def test_e5_head_shapes_and_the_last_single_sentence_batch_dropped(monkeypatch):
    linear = T.build_e5_head(n_classes=3, hidden=0, seed=0)
    assert [type(x).__name__ for x in linear.model] == ["BatchNorm1d", "Dropout", "Linear"]
    assert linear.model[-1].in_features == T.E5_DIM and linear.model[-1].out_features == 3
    deep = T.build_e5_head(hidden=7, dropout=0.3)
    assert deep.model[2].out_features == 7 and deep.model[1].p == 0.3 and deep.model[0].momentum is None
    assert not list(deep.model[0].parameters())  # standardises only: no learned scale or shift
    vectors = np.random.default_rng(0).normal(size=(9, T.E5_DIM)).astype(np.float32)
    monkeypatch.setattr(T, "e5_vectors", lambda texts, cache_dir=None: vectors[: len(texts)])
    train_dl, val_dl = deep.loaders(["x"] * 9, [0, 1] * 4 + [0], list(range(5)), [5, 6, 7, 8], batch_size=4)
    assert [len(b[1]) for b in train_dl] == [4] and [len(b[1]) for b in val_dl] == [4]
    train_dl, _ = deep.loaders(["x"] * 9, [0, 1] * 4 + [0], list(range(6)), [6], batch_size=4)
    assert sorted(len(b[1]) for b in train_dl) == [2, 4]
    probs = deep.proba(["a", "b"])
    assert np.allclose(np.sum(probs, 1), 1) and not deep.model.training and deep.proba([]) == []


def test_e5_memory_forgets_everything_when_full(monkeypatch):
    monkeypatch.setattr(T, "_E5_SEEN", {"old": 1})
    monkeypatch.setattr(T, "E5_SEEN_MAX", 3)
    T._remember({"a": 1, "b": 2})
    assert T._E5_SEEN == {"old": 1, "a": 1, "b": 2}
    T._remember({"c": 3})
    assert T._E5_SEEN == {"c": 3}
    empty = T.e5_vectors([])
    assert empty.shape == (0, T.E5_DIM) and empty.dtype == np.float32
    assert T.e5_digest(["a", "b"]) != T.e5_digest(["b", "a"]) and len(T.e5_digest([])) == 20


# ---- Word2Vec ---------------------------------------------------------------------------------------------
CORPUS = [["coffee", "cake", "sweet"], ["bus", "train", "fast"]] * 30 + [["rare"]]


def test_word2vec_refuses_empty_or_tiny_corpora():
    with pytest.raises(UserError) as info:
        T.train_word2vec([[], []])
    assert (info.value.key, str(info.value)) == ("w2v.empty", "the corpus is empty")
    with pytest.raises(UserError) as info:
        T.train_word2vec([["one", "two"], ["one"]], min_count=2)
    assert (info.value.key, info.value.params) == ("w2v.too_small", {"min_count": 2})
    assert str(info.value) == "fewer than two words passed min_count"


def test_word2vec_settings_reach_gensim_and_counts_are_exact():
    m = T.train_word2vec(CORPUS, sg=False, dim=6, window=2, min_count=1, epochs=3, seed=1)
    assert (m.sg, m.vector_size, m.window, m.epochs, m.wv.vector_size) == (0, 6, 2, 3, 6)
    assert T.word_count(m, "coffee") == 30 and T.word_count(m, "rare") == 1 and T.word_count(m, "tea") == 0
    assert T.is_rare(m, "rare") and not T.is_rare(m, "coffee") and T.is_rare(m, "tea")
    assert [x for x, _ in T.neighbours(m, "coffee", 2)] == [x for x, _ in m.wv.most_similar("coffee", topn=2)]
    assert len(T.neighbours(m, "coffee")) == 6
    default = T.train_word2vec(CORPUS)
    assert (default.sg, default.vector_size, default.window, default.epochs) == (1, 50, 4, 30)
    assert "rare" not in default.wv  # min_count 2 by default


def test_analogy_names_every_missing_word_and_is_a_minus_b_plus_c():
    m = T.train_word2vec(CORPUS, min_count=1, epochs=2)
    with pytest.raises(UserError) as info:
        T.analogy(m, "coffee", "tea", "milk")
    assert (info.value.key, info.value.params) == ("w2v.unknown_word", {"word": "tea, milk"})
    got = T.analogy(m, "coffee", "bus", "train", k=3)
    assert got == [(w, pytest.approx(s)) for w, s in m.wv.most_similar(positive=["coffee", "train"],
                                                                        negative=["bus"], topn=3)]


def test_pca_2d_takes_the_most_frequent_words():
    m = T.train_word2vec(CORPUS, min_count=1, epochs=2)
    words, xy = T.pca_2d(m, max_words=4)
    assert words == m.wv.index_to_key[:4] and xy.shape == (4, 2) and "rare" not in words
    from sklearn.decomposition import PCA

    assert np.allclose(xy, PCA(n_components=2, random_state=0).fit_transform(m.wv[words]), atol=1e-5)
    assert len(T.pca_2d(m)[0]) == len(m.wv)


def test_qwen_subword_rows_stay_memory_mapped_and_dequantise_to_its_width():
    from core.assets import Registry
    from core.config import Settings

    settings = Settings.load()  # the converted cache is there after setup: this is the ~2 s path
    qwen = T.load_qwen_subword(Registry(settings.cache_dir), settings.cache_dir)
    assert isinstance(qwen.raw, np.memmap) and qwen.raw.shape[0] >= len(qwen.hf)
    ids = qwen.hf.convert_tokens_to_ids(qwen.hf.tokenize("good 좋아"))
    rows = qwen.vectors(ids)
    assert rows.shape == (len(ids), T.QWEN_DIM) and np.isfinite(rows).all() and 0.005 < rows.std() < 0.1
    assert not np.allclose(rows[0], rows[1])


def test_e5_logistic_regression_reads_the_shipped_sentence_vectors():
    from core import text_data as TD

    d = TD.shipped()
    texts, labels = d.texts[::60], d.labels[::60]  # built-in sentences: their vectors ship, nothing is embedded
    m = T.fit_sklearn("e5", texts, labels)
    assert m.kind == "e5" and m.known is None and m.vectorizer is None
    assert np.allclose(m.proba(texts[:3]), m.clf.predict_proba(T.e5_vectors(texts[:3])))
    assert m.accuracy(texts, labels) > 0.8 and not any(v.unknown for v in m.token_views("처음 보는 단어"))
