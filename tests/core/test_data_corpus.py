"""The generated English-like corpus, preprocess and the text-file loader."""
import time

import numpy as np
import pytest

from visualizer.data.corpus import (EOS, generate_corpus, generate_corpus_ids, load_text_corpus, preprocess,
                                         tokenize)


def test_deterministic_from_seed():
    assert generate_corpus(5000, 1000, seed=3) == generate_corpus(5000, 1000, seed=3)
    assert generate_corpus(5000, 1000, seed=3) != generate_corpus(5000, 1000, seed=4)


@pytest.mark.parametrize("n,v", [(1, 150), (1234, 300), (20000, 1000), (50000, 10000)])
def test_size_and_vocabulary_limit(n, v):
    tokens = generate_corpus(n, v, seed=0)
    assert len(tokens) == n
    assert len(set(tokens)) <= v


def test_ptb_sized_corpus_is_fast_and_uses_the_vocabulary():
    generate_corpus_ids(1000, 10000)                  # builds the cached lexicon
    t = time.perf_counter()
    ids, words = generate_corpus_ids(929_589, 10000, seed=0)
    elapsed = time.perf_counter() - t
    assert ids.shape == (929_589,) and ids.dtype == np.int32
    assert len(words) == 10000 and words[0] == EOS
    assert np.unique(ids).size > 9500                  # nearly every word occurs, as in PTB
    assert elapsed < 2.0


def test_zipf_law():
    corpus, w2i, _ = preprocess(generate_corpus(300_000, 5000, seed=1))
    freq = np.sort(np.bincount(corpus))[::-1].astype(float)
    rank = np.arange(1, freq.size + 1)
    sel = (rank >= 10) & (rank <= 2000)
    slope = np.polyfit(np.log(rank[sel]), np.log(freq[sel]), 1)[0]
    assert -1.4 < slope < -0.7


def test_sentences_end_with_eos_and_grammar_agrees():
    tokens = generate_corpus(20000, 1000, seed=0)
    text = " ".join(tokens)
    sentences = [s.split() for s in text.split(EOS) if s.strip()]
    assert tokens.count(EOS) > 1500
    assert 3 <= np.mean([len(s) for s in sentences]) <= 12
    # Agreement: a singular subject "the cat" in the present takes "eats", never "eat"; "a" never precedes a vowel.
    for a, b in zip(tokens, tokens[1:]):
        if a == "a":
            assert b[0] not in "aeiou"
    assert "the cat eat" not in text and "the cats eats" not in text
    assert "his" in tokens and "her" in tokens and "king" in tokens and "queen" in tokens


def test_contexts_predict_words():
    """Verbs select their objects: the noun after "eats the (adjective)" is food, after "drives the" a vehicle."""
    from visualizer.data.corpus import _lexicon
    lex = _lexicon(600)
    category = {lex.words[i]: c for c in lex.noun_sg for table in (lex.noun_sg, lex.noun_pl) for i in table[c]}
    tokens = generate_corpus(100_000, 600, seed=0)
    for verb, cat in (("eats", "food"), ("drives", "vehicle"), ("rules", "area")):
        objects = []
        for i in np.flatnonzero(np.array(tokens) == verb):
            j = i + 1
            while j < len(tokens) and tokens[j] not in category and tokens[j] != EOS:
                j += 1
            objects.append(category.get(tokens[j]))
        assert len(objects) > 20
        assert all(c == cat for c in objects), (verb, objects)


def test_preprocess_matches_the_book():
    corpus, w2i, i2w = preprocess("You say goodbye and I say hello.")
    assert corpus.tolist() == [0, 1, 2, 3, 4, 1, 5, 6] and corpus.dtype == np.int32
    assert w2i == {"you": 0, "say": 1, "goodbye": 2, "and": 3, "i": 4, "hello": 5, ".": 6}
    assert all(w2i[w] == i for i, w in i2w.items())
    tokens = generate_corpus(3000, 1000, seed=2)
    corpus, w2i, i2w = preprocess(tokens)
    assert [i2w[int(i)] for i in corpus] == tokens


def test_preprocess_empty_raises():
    with pytest.raises(ValueError, match="empty"):
        preprocess("")
    with pytest.raises(ValueError, match="empty"):
        preprocess([])


def test_tokenize_splits_punctuation():
    assert tokenize("Hello, World! It's <eos> 2 cats.") == ["hello", ",", "world", "!", "it's", "<eos>", "2",
                                                          "cats", "."]


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="at least one token"):
        generate_corpus(0)
    with pytest.raises(ValueError, match="vocab_size"):
        generate_corpus(100, vocab_size=20)


def test_load_text_corpus(tmp_path):
    good = tmp_path / "a.txt"
    good.write_text("The cat sat on the mat.\nThe dog ate.\n", encoding="utf-8")
    assert load_text_corpus(good) == ["the", "cat", "sat", "on", "the", "mat", ".", "the", "dog", "ate", "."]
    latin = tmp_path / "l.txt"
    latin.write_bytes("café au lait".encode("latin-1"))
    assert load_text_corpus(latin)[0].startswith("caf")
    empty = tmp_path / "e.txt"
    empty.write_text("  \n")
    with pytest.raises(ValueError, match="empty"):
        load_text_corpus(empty)
    binary = tmp_path / "b.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValueError, match="binary"):
        load_text_corpus(binary)
    with pytest.raises(ValueError, match="does not exist"):
        load_text_corpus(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="folder"):
        load_text_corpus(tmp_path)
    punct = tmp_path / "p.txt"
    punct.write_text("... !!! ???")
    with pytest.raises(ValueError, match="no words"):
        load_text_corpus(punct)
