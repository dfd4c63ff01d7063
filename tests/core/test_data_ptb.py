"""The Penn Treebank loader on small local files in the standard layout, its errors, and the download path
(pooch over HTTP) against a loopback server: checksum, token-count check, cache hit, offline."""
import hashlib

import numpy as np
import pytest

from tests.core.test_data_download import serve_folder, unreachable_url
from visualizer.data import ptb
from visualizer.data.download import DownloadError

TRAIN = " the cat sat on the mat \n a dog ran <unk> \n the dog sat \n"
VALID = " the cat ran \n a zebra sat \n"                  # "zebra" is not in the training file
TEST = " a cat sat on the dog \n"


def write_ptb(folder, train=TRAIN, valid=VALID, test=TEST):
    """The three split files in ``folder``; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, text in (("train", train), ("valid", valid), ("test", test)):
        (folder / f"ptb.{split}.txt").write_text(text)
    return folder


def test_lines_become_words_then_eos(tmp_path):
    tokens = ptb.load_ptb_folder(write_ptb(tmp_path / "ptb"))
    assert tokens["train"] == ["the", "cat", "sat", "on", "the", "mat", "<eos>", "a", "dog", "ran", "<unk>", "<eos>",
                               "the", "dog", "sat", "<eos>"]
    assert tokens["test"] == ["a", "cat", "sat", "on", "the", "dog", "<eos>"]


def test_windows_line_ends_and_a_missing_final_newline(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b" a b \r\n c d")
    assert ptb.read_ptb_file(path) == ["a", "b", "<eos>", "c", "d"]       # as the book's replace('\n', '<eos>')


def test_ids_follow_the_training_vocabulary_and_unknown_words_become_unk(tmp_path):
    corpus = ptb.to_ids(ptb.load_ptb_folder(write_ptb(tmp_path / "ptb")))
    w2i = corpus.word_to_id
    assert list(w2i)[:4] == ["the", "cat", "sat", "on"]                   # order of first appearance
    assert corpus.train.dtype == np.int32 and corpus.train.shape == (16,)
    assert [corpus.id_to_word[i] for i in corpus.valid] == ["the", "cat", "ran", "<eos>", "a", "<unk>", "sat",
                                                             "<eos>"]
    assert corpus.vocab_size == len(set(TRAIN.split())) + 1               # + <eos>


def test_unknown_words_without_unk_token_are_refused(tmp_path):
    folder = write_ptb(tmp_path / "ptb", train=" the cat \n", valid=" the dog \n", test=" the cat \n")
    with pytest.raises(ptb.PtbFormatError, match=r"ptb\.valid\.txt uses 1 words .*dog"):
        ptb.to_ids(ptb.load_ptb_folder(folder))


def test_a_split_file_stands_for_its_folder(tmp_path):
    folder = write_ptb(tmp_path / "ptb")
    assert ptb.ptb_folder_of(folder / "ptb.valid.txt") == folder
    assert ptb.load_ptb_folder(folder / "ptb.test.txt")["test"][-1] == "<eos>"


def test_missing_file_is_named(tmp_path):
    folder = write_ptb(tmp_path / "ptb")
    (folder / "ptb.valid.txt").unlink()
    with pytest.raises(ptb.PtbFormatError, match=r"lacks ptb\.valid\.txt.*ptb\.train\.txt, ptb\.valid\.txt and"):
        ptb.load_ptb_folder(folder)


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "does not exist"),
    (lambda p: p.write_text("x"), "not a Penn Treebank file"),
])
def test_wrong_paths(tmp_path, setup, message):
    path = tmp_path / "notes.txt"
    setup(path)
    with pytest.raises(ptb.PtbFormatError, match=message):
        ptb.load_ptb_folder(path)


def test_empty_path_asks_for_a_folder():
    with pytest.raises(ptb.PtbFormatError, match="No Penn Treebank folder chosen"):
        ptb.load_ptb_folder("  ")


@pytest.mark.parametrize("content, message", [
    (b"", "holds no words"),
    (b"\n\n", "holds no words"),
    (b"\x00\x01binary\x00", "not a text file"),
    (b"caf\xe9 au lait\n", "not UTF-8"),
    (b"one long line without any line break", "no line breaks"),
])
def test_bad_files(tmp_path, content, message):
    folder = write_ptb(tmp_path / "ptb")
    (folder / "ptb.train.txt").write_bytes(content)
    with pytest.raises(ptb.PtbFormatError, match=message):
        ptb.load_ptb_folder(folder)


def test_published_sizes_and_checksums_are_declared():
    assert {s: ptb.PTB.files[s][2] for s in ptb.SPLITS} == {"train": 929_589, "valid": 73_760, "test": 82_430}
    assert all(h.startswith("md5:") and len(h) == 36 for _, h, _ in ptb.PTB.files.values())
    assert ptb.PTB.mirrors[0] == "https://raw.githubusercontent.com/tomsercu/lstm/master/data/"


def _source(site, url, counts=None):
    files = {}
    for split in ptb.SPLITS:
        name = f"ptb.{split}.txt"
        data = (site / name).read_bytes()
        n = len(ptb.read_ptb_file(site / name)) if counts is None else counts[split]
        files[split] = (name, "md5:" + hashlib.md5(data).hexdigest(), n)
    return ptb.PtbSource((url,), files, "ptb-test")


def test_download_checks_and_caches(tmp_path):
    site = write_ptb(tmp_path / "site")
    cache = tmp_path / "cache"
    with serve_folder(site) as (url, requested):
        calls = []
        folder = ptb.fetch_ptb(lambda m, f: calls.append(m), folder=cache, source=_source(site, url))
        assert sorted(requested) == ["/ptb.test.txt", "/ptb.train.txt", "/ptb.valid.txt"]
        assert any("(3/3)" in m for m in calls)
        assert ptb.load_ptb_folder(folder)["valid"] == ptb.load_ptb_folder(site)["valid"]
        ptb.fetch_ptb(folder=cache, source=_source(site, url))
        assert len(requested) == 3                                       # the second time from the cache


def test_download_with_a_wrong_token_count_is_refused(tmp_path):
    site = write_ptb(tmp_path / "site")
    with serve_folder(site) as (url, _requested):
        source = _source(site, url, counts={"train": 929_589, "valid": 8, "test": 7})
        with pytest.raises(DownloadError, match=r"ptb\.train\.txt has 16 tokens instead of 929,589"):
            ptb.fetch_ptb(folder=tmp_path / "cache", source=source)


def test_download_offline_raises_download_error(tmp_path):
    source = ptb.PtbSource((unreachable_url(),), dict(ptb.PTB.files), "ptb-offline")
    with pytest.raises(DownloadError, match="could not connect"):
        ptb.fetch_ptb(folder=tmp_path / "cache", source=source, timeout=5)
