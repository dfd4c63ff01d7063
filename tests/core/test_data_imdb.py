"""IMDb: the reader on a tiny folder in the real aclImdb layout (written here, with a file that is not UTF-8,
an empty one and HTML line breaks), and the download end to end: pooch fetches a tiny aclImdb_v1.tar.gz from a
loopback server, checks its md5, the labelled reviews are unpacked (not unsup/), later calls use the cache."""
import hashlib
import tarfile

import numpy as np
import pytest

from tests.core.test_data_download import serve_folder, unreachable_url
from visualizer.core.errors import LessonConfigError
from visualizer.data import imdb
from visualizer.data.download import DownloadError
from visualizer.data.imdb import clean_review, load_imdb


def imdb_folder(root, n=4):
    """aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt with n reviews each, plus unsup/ and extra files."""
    for split in ("train", "test"):
        for name, ratings in (("pos", (7, 8, 9, 10)), ("neg", (1, 2, 3, 4))):
            sub = root / "aclImdb" / split / name
            sub.mkdir(parents=True)
            for i in range(n):
                word = "great" if name == "pos" else "dull"
                (sub / f"{i}_{ratings[i % 4]}.txt").write_text(
                    f"A {word} {split} film number {i}.<br /><br />Really {word}!", encoding="utf-8")
    (root / "aclImdb/train/unsup").mkdir()
    (root / "aclImdb/train/unsup/0_0.txt").write_text("unlabelled")
    (root / "aclImdb/train/labeledBow.feat").write_text("0 0:1\n")
    (root / "aclImdb/README").write_text("Large Movie Review Dataset v1.0\n")
    return root / "aclImdb"


def test_clean_review():
    assert clean_review("Good.<br /><br />Very<br>good <BR/> indeed\n") == "Good. Very good indeed"


def test_reads_a_split_and_names_every_bad_file(tmp_path):
    root = imdb_folder(tmp_path)
    (root / "train/pos/90_10.txt").write_bytes("Tr\xe8s bon film".encode("latin-1"))     # not UTF-8
    (root / "train/neg/91_1.txt").write_bytes(b"  <br />  ")                             # empty once cleaned
    (root / "train/neg/92_1.txt").write_bytes(b"\x00\x01binary")
    texts, labels, skipped = load_imdb(tmp_path, "train")                  # the folder that holds aclImdb
    assert len(texts) == 8 and labels.dtype == np.int64 and labels.shape == (8,)
    assert sorted(labels.tolist()) == [0] * 4 + [1] * 4
    for text, label in zip(texts, labels):
        assert ("great" in text) == (label == 1) and "<br" not in text and "train" in text
    assert "A great train film number 0. Really great!" in texts
    assert sorted(skipped) == ["train/neg/91_1.txt (empty)", "train/neg/92_1.txt (binary data, not text)",
                               "train/pos/90_10.txt (not UTF-8 text at byte 2)"]
    again = load_imdb(root, "train")                                       # the aclImdb folder itself
    assert again[0] == texts and again[1].tolist() == labels.tolist()      # the same seed, the same order
    test_texts, test_labels, test_skipped = load_imdb(root, "test", seed=1)
    assert len(test_texts) == 8 and all("test" in t for t in test_texts) and test_skipped == []


def test_max_per_class_samples_and_replaces_skipped_files(tmp_path):
    root = imdb_folder(tmp_path, n=10)
    (root / "train/pos/0_7.txt").write_bytes(b"")
    texts, labels, skipped = load_imdb(root, "train", max_per_class=9, seed=3)
    assert np.bincount(labels).tolist() == [9, 9] and len(set(texts)) == 18
    assert skipped in ([], ["train/pos/0_7.txt (empty)"])
    full_pos = load_imdb(root, "train", max_per_class=10, seed=3)
    assert np.bincount(full_pos[1]).tolist() == [10, 9] and full_pos[2] == ["train/pos/0_7.txt (empty)"]
    a = load_imdb(root, "train", max_per_class=3, seed=0)[0]
    b = load_imdb(root, "train", max_per_class=3, seed=1)[0]
    assert len(a) == len(b) == 6 and a != b
    assert a == load_imdb(root, "train", max_per_class=3, seed=0)[0]


def test_bad_folders_and_arguments(tmp_path):
    with pytest.raises(LessonConfigError, match="does not exist"):
        load_imdb(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(LessonConfigError, match="is a file"):
        load_imdb(tmp_path / "file.txt")
    (tmp_path / "photos" / "cats").mkdir(parents=True)
    with pytest.raises(LessonConfigError, match="not an IMDb folder: expected aclImdb/train/pos"):
        load_imdb(tmp_path / "photos")
    only_train = tmp_path / "only"
    for name in ("pos", "neg"):
        (only_train / "aclImdb/train" / name).mkdir(parents=True)
    with pytest.raises(LessonConfigError, match="no test/neg or test/pos folder"):
        load_imdb(only_train, "test")
    with pytest.raises(LessonConfigError, match="No review .* could be read .*hold no .txt"):
        load_imdb(only_train, "train")
    (only_train / "aclImdb/train/pos/1_8.txt").write_bytes(b"")
    with pytest.raises(LessonConfigError, match="1 files skipped, e.g. train/pos/1_8.txt \\(empty\\)"):
        load_imdb(only_train, "train")
    with pytest.raises(ValueError, match="train, test"):
        load_imdb(only_train, "unsup")
    with pytest.raises(ValueError, match="max_per_class"):
        load_imdb(only_train, "train", max_per_class=0)


def imdb_tar_gz(tmp_path):
    src = imdb_folder(tmp_path / "src")
    (src / "train/neg/93_2.txt").write_bytes(b"\xff\xfe broken")
    served = tmp_path / "served"
    served.mkdir()
    archive = served / "aclImdb_v1.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src, arcname="aclImdb")
    return served, "md5:" + hashlib.md5(archive.read_bytes()).hexdigest()


def test_fetch_imdb_through_pooch_from_a_loopback_server(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    served, md5 = imdb_tar_gz(tmp_path)
    assert imdb.IMDB_HASH == "md5:7c2ac02c03563afcf9b574c7e56c153a"             # as torchtext publishes it
    monkeypatch.setattr(imdb, "IMDB_HASH", md5)
    monkeypatch.setattr(imdb, "IMDB_MIRRORS", (unreachable_url(),))
    with pytest.raises(DownloadError, match=r"Could not download IMDb reviews .*could not connect"):
        imdb.fetch_imdb()
    with serve_folder(served) as (url, requested):
        monkeypatch.setattr(imdb, "IMDB_MIRRORS", (url,))
        messages, fractions = [], []
        root = imdb.fetch_imdb(progress=lambda m, f: (messages.append(m), fractions.append(f)))
        assert requested == ["/aclImdb_v1.tar.gz"] and 1.0 in fractions
        assert any("Unpacking" in m for m in messages)
    assert root.name == "aclImdb" and (root / "README").is_file()
    assert not (root / "train/unsup").exists() and not (root / "train/labeledBow.feat").exists()
    texts, labels, skipped = load_imdb(root, "train")
    assert len(texts) == 8 and skipped == ["train/neg/93_2.txt (not UTF-8 text at byte 0)"]
    assert imdb.fetch_imdb() == root                                       # the server is gone: cached

    (tmp_path / "cache/imdb/aclImdb_v1.ok").unlink()
    monkeypatch.setattr(imdb, "IMDB_HASH", "md5:" + "0" * 32)
    with serve_folder(served) as (url, _):
        monkeypatch.setattr(imdb, "IMDB_MIRRORS", (url,))
        with pytest.raises(DownloadError, match="does not match its published checksum"):
            imdb.fetch_imdb()


def test_a_damaged_archive_leaves_nothing_half_unpacked(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))

    def damaged(filename, known_hash, mirrors, folder, **kwargs):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_bytes(b"\x1f\x8b not really gzip" * 50)
        return folder / filename

    monkeypatch.setattr(imdb, "fetch", damaged)
    with pytest.raises(DownloadError, match="is damaged"):
        imdb.fetch_imdb()
    assert sorted(p.name for p in (tmp_path / "cache/imdb").iterdir()) == ["aclImdb_v1.tar.gz"]
