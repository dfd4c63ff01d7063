"""Word and character vocabularies: special tokens, truncation and unknown words reported, round trips."""
import numpy as np
import pytest

from visualizer.data.book import book_lines, load_book, split_text
from visualizer.data.tokenize import SPECIAL_TOKENS, CharVocab, WordVocab, word_split


def test_word_split_keeps_special_tokens_and_punctuation():
    assert word_split("Not GOOD, [MASK]! don't") == ["not", "good", ",", "[MASK]", "!", "don't"]


def test_word_vocab_encodes_with_cls_pads_truncates_and_reports_unknown_words():
    vocab = WordVocab.build(["the film was good", "the film was bad bad"])
    assert vocab.itos[:5] == list(SPECIAL_TOKENS) and vocab.itos[5:8] == ["bad", "film", "the"]
    enc = vocab.encode("The film was superb", max_len=8, add_sep=True)
    assert enc.tokens == ["[CLS]", "the", "film", "was", "[UNK]", "[SEP]"]
    assert enc.unknown == ["superb"] and not enc.truncated
    assert enc.ids.dtype == np.int64 and enc.ids.shape == (8,) and list(enc.ids[6:]) == [0, 0]
    short = vocab.encode("the film was good good good", max_len=4)
    assert short.truncated and short.length == 4
    ids, lengths = vocab.encode_batch(["good", "the film"], max_len=5)
    assert ids.shape == (2, 5) and list(lengths) == [2, 3]
    assert vocab.decode(enc.ids) == "the film was"
    with pytest.raises(ValueError, match="no room"):
        vocab.encode("good", max_len=1)
    with pytest.raises(ValueError, match="outside"):
        vocab.decode([999])
    with pytest.raises(ValueError, match="no word"):
        WordVocab.build([""])


def test_word_vocab_size_limit_keeps_the_frequent_words():
    vocab = WordVocab.build(["a a a b b c"], max_size=len(SPECIAL_TOKENS) + 2)
    assert vocab.itos[5:] == ["a", "b"]


def test_char_vocab_round_trip_and_unknown_characters():
    vocab = CharVocab.build("hello world")
    ids, unknown = vocab.encode("hello, wörld")
    assert unknown == [",", "ö"] and vocab.decode(ids) == "hello wrld"
    with pytest.raises(ValueError, match="empty"):
        CharVocab.build("")
    with pytest.raises(ValueError, match="outside"):
        vocab.decode([len(vocab)])


def test_the_shipped_book_loads_splits_and_is_checked(tmp_path):
    text = load_book()
    assert len(text) == 437514 and len(CharVocab.build(text)) == 71
    lines = book_lines(text)
    assert len(lines) > 3000 and not any(ln.startswith("Chapter ") for ln in lines)
    train, val = split_text(text, 0.1)
    assert train + val == text and abs(len(val) - 43751) <= 1
    changed = tmp_path / "book.txt"
    changed.write_text(text[:-10])
    from visualizer.core.lesson import LessonConfigError
    with pytest.raises(LessonConfigError, match="changed or truncated"):
        load_book(changed)
    with pytest.raises(LessonConfigError, match="cannot be read"):
        load_book(tmp_path / "missing.txt")
