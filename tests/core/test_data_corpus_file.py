"""The shared corpus reader (visualizer.data.corpus_file): Penn Treebank and plain-text cutting, limits checked
while reading, and that every language lesson's loader goes through it."""
import pytest

from visualizer.core.errors import LessonConfigError
from visualizer.data import corpus_file, ptb
from visualizer.data.corpus import load_text_corpus

PTB_TEXT = " the cat 's <unk> sat on N mats \n a dog ran \n"


def test_a_ptb_file_is_cut_as_the_book_does_and_other_text_is_tokenized(tmp_path):
    (tmp_path / "ptb.train.txt").write_text(PTB_TEXT)
    (tmp_path / "notes.txt").write_text(PTB_TEXT)
    book = PTB_TEXT.replace("\n", "<eos>").split()                     # dataset/ptb.py's load_vocab
    assert corpus_file.read_corpus_tokens(tmp_path / "ptb.train.txt") == book
    assert ptb.read_ptb_file(tmp_path / "ptb.train.txt") == book
    assert load_text_corpus(tmp_path / "ptb.train.txt") == book            # word_vectors' file corpus
    assert corpus_file.read_corpus_tokens(tmp_path / "notes.txt", "ptb") == book
    assert corpus_file.read_corpus_tokens(tmp_path / "notes.txt") == [
        "the", "cat", "'", "s", "<unk>", "sat", "on", "n", "mats", "a", "dog", "ran"]


def test_token_and_byte_limits_are_checked_while_reading(tmp_path):
    path = tmp_path / "ptb.train.txt"
    path.write_text(" a b c \n" * 100 + "\x00 binary after the limit\n")
    with pytest.raises(LessonConfigError, match=r"more than 50 words; a corpus here may hold at most 50"):
        corpus_file.read_corpus_tokens(path, max_tokens=50)
    with pytest.raises(LessonConfigError, match=r"ptb.train.txt is 825 bytes; a file here may hold at most 500"):
        corpus_file.read_corpus_tokens(path, max_bytes=500)
    with pytest.raises(ptb.PtbFormatError, match=r"more than 50 words"):
        ptb.read_ptb_file(path, max_tokens=50)
    with pytest.raises(ValueError, match=r"more than 50 words"):
        load_text_corpus(path, max_tokens=50)
    with pytest.raises(LessonConfigError, match=r"binary data, line 101"):
        corpus_file.read_corpus_tokens(path)


def test_repeated_words_share_one_string(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("hello world\n" * 20)
    tokens = corpus_file.read_corpus_tokens(path)
    assert len({id(t) for t in tokens}) == 2


def test_control_characters_mark_a_binary_file(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(bytes(range(1, 32)) * 50)
    with pytest.raises(LessonConfigError, match="binary"):
        corpus_file.read_corpus_tokens(path)
