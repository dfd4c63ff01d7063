"""The IMDb movie-review sentiment set (Maas et al., "Learning Word Vectors for Sentiment Analysis", ACL 2011):
the checksummed download and a reader for folders in its layout.

Ogawa, *PyTorch advanced deep learning* ch. 7–8, and Chollet, *Deep Learning with Python* (ch. 11), train their
Transformer and BERT classifiers on it.  The release ``aclImdb_v1.tar.gz`` (about 84 MB packed) unpacks to::

    aclImdb/train/pos/<id>_<rating>.txt    12,500 positive reviews (rating 7..10), one review per file, UTF-8
    aclImdb/train/neg/<id>_<rating>.txt    12,500 negative reviews (rating 1..4)
    aclImdb/test/pos, aclImdb/test/neg     the same for the test split
    aclImdb/train/unsup/                   50,000 unlabelled reviews (not unpacked here)

The reviews carry HTML line breaks ``<br />``, which :func:`load_imdb` turns into spaces (as the book's
preprocessing does).  :func:`fetch_imdb` downloads the tar once (md5 as published with torchtext's IMDB data set,
checked by pooch; progress to ``callback(message, fraction)``), unpacks the labelled reviews through a temporary
folder renamed at the end, and finds them again later without any network access.  Qt-free and torch-free.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.archives import extract_archive
from visualizer.data.download import DownloadError, ProgressCallback, cache_dir, fetch

IMDB_FILENAME = "aclImdb_v1.tar.gz"
# The md5 that torchtext's IMDB data set (torchtext.datasets.IMDB) and PaddlePaddle's check for this file.
IMDB_HASH = "md5:7c2ac02c03563afcf9b574c7e56c153a"
IMDB_MIRRORS = ("https://ai.stanford.edu/~amaas/data/sentiment/",)
IMDB_MEGABYTES = 84
SPLITS = ("train", "test")
LABELS = {"neg": 0, "pos": 1}
MAX_REVIEW_BYTES = 1 << 20                   # a review file larger than 1 MB is not a review: skipped
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _wanted(name: str) -> bool:
    """Members of the tar that are unpacked: the labelled reviews and the top-level notes, not ``unsup``."""
    parts = name.split("/")
    if not parts or parts[0] != "aclImdb":
        return False
    if len(parts) >= 3 and parts[1] in SPLITS and parts[2] not in LABELS:
        return False                          # train/unsup, and the bag-of-words feature files
    return True


def fetch_imdb(progress: ProgressCallback | None = None) -> Path:
    """The ``aclImdb`` folder of the official release, ready for :func:`load_imdb`.

    The tar is fetched once into ``<cache>/imdb`` with :func:`visualizer.data.download.fetch` (pooch; md5
    checked; progress to ``callback(message, fraction)``), its labelled reviews (train and test, 50,000 files;
    about 20 s for a tar of that shape on the shared 2-core CPU) unpacked through a temporary folder that is
    renamed at the end, and found again by later calls without any network access.  Reading a split back with
    :func:`load_imdb` takes about 3 s for all 25,000 reviews, 1 s for 1,000 of each class.

    Raises DownloadError with a sentence for the user when offline, on an HTTP error, a checksum mismatch, a
    damaged tar or an unwritable cache; a failed call leaves no half-unpacked folder."""
    folder = cache_dir() / "imdb"
    unpacked = folder / "aclImdb_v1"
    data = unpacked / "aclImdb"
    marker = folder / "aclImdb_v1.ok"
    if marker.is_file() and marker.read_text().strip() == IMDB_HASH and _looks_like_imdb(data):
        return data
    archive = fetch(IMDB_FILENAME, IMDB_HASH, IMDB_MIRRORS, folder, progress=progress,
                    label=f"IMDb reviews (about {IMDB_MEGABYTES} MB)")
    if progress:
        progress("Unpacking the IMDb reviews", None)
    marker.unlink(missing_ok=True)
    extract_archive(archive, unpacked, keep=_wanted)
    if not _looks_like_imdb(data):
        raise DownloadError(f"The archive {archive} holds no aclImdb/train/pos and aclImdb/test/neg folders.",
                            "unexpected archive")
    marker.write_text(IMDB_HASH + "\n")
    return data


def _looks_like_imdb(folder: Path) -> bool:
    return any((folder / split / "pos").is_dir() and (folder / split / "neg").is_dir() for split in SPLITS)


def imdb_root(path: Path | str) -> Path:
    """The ``aclImdb`` folder for ``path``: the folder itself, or the ``aclImdb`` folder inside it.  Raises
    LessonConfigError naming the path when it is missing, not a folder, or not in the aclImdb layout."""
    path = Path(path).expanduser()
    if not path.exists():
        raise LessonConfigError(f"The folder {path} does not exist. Choose the IMDb folder again.")
    if not path.is_dir():
        raise LessonConfigError(f"{path} is a file; choose the aclImdb folder (it holds train/ and test/).")
    for candidate in (path, path / "aclImdb"):
        if _looks_like_imdb(candidate):
            return candidate
    raise LessonConfigError(f"{path} is not an IMDb folder: expected aclImdb/train/pos, aclImdb/train/neg, "
                            "aclImdb/test/pos and aclImdb/test/neg holding one review per .txt file (the layout "
                            "of aclImdb_v1.tar.gz).")


def clean_review(text: str) -> str:
    """A review with its HTML line breaks (``<br />``, ``<br>``) replaced by spaces, runs of white space made one
    space, and the ends stripped."""
    return " ".join(_BREAK.sub(" ", text).split())


def _review_order(path: Path) -> tuple[int, str]:
    stem = path.stem.split("_")[0]
    return (int(stem), path.name) if stem.isdigit() else (1 << 62, path.name)


def _read_review(path: Path, shown: str) -> tuple[str | None, str]:
    """(clean text, "") or (None, why it was skipped)."""
    try:
        size = path.stat().st_size
        if size > MAX_REVIEW_BYTES:
            return None, f"{shown} (larger than {MAX_REVIEW_BYTES >> 20} MB, not a review)"
        raw = path.read_bytes()
    except OSError as e:
        return None, f"{shown} (unreadable: {e.strerror or e})"
    if b"\x00" in raw:
        return None, f"{shown} (binary data, not text)"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return None, f"{shown} (not UTF-8 text at byte {e.start})"
    text = clean_review(text)
    if not text:
        return None, f"{shown} (empty)"
    return text, ""


def load_imdb(root: Path | str, split: str = "train", max_per_class: int | None = None,
              seed: int = 0) -> tuple[list[str], np.ndarray, list[str]]:
    """The labelled reviews of one split of an aclImdb folder: (texts, labels, skipped).

    root: the ``aclImdb`` folder or the folder that holds it (see :func:`imdb_root`); split: "train" or "test";
    max_per_class: read at most this many reviews of each class, drawn at random with ``seed`` (None: all, 12,500
    each in the official release); seed: also fixes the order of the result.

    texts: list[str], each review cleaned by :func:`clean_review`; labels: (N,) int64, 1 positive, 0 negative;
    the order is shuffled (with ``seed``) so that any prefix mixes both classes.  skipped: one entry per file
    that was not used, "train/pos/12_9.txt (not UTF-8 text at byte 40)": undecodable, binary, empty, unreadable
    or larger than 1 MB; the other files are used (with ``max_per_class``, the next files in the random order
    take the place of skipped ones).

    Raises ValueError for another split or max_per_class < 1, and LessonConfigError when ``root`` is not an
    aclImdb folder, the split's pos/ or neg/ folder is missing, or no review of the split could be read."""
    if split not in SPLITS:
        raise ValueError(f"IMDb split must be one of {', '.join(SPLITS)}, got {split!r}")
    if max_per_class is not None and max_per_class < 1:
        raise ValueError(f"max_per_class must be at least 1, got {max_per_class}")
    folder = imdb_root(root)
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    labels: list[int] = []
    skipped: list[str] = []
    missing = [f"{split}/{name}" for name in LABELS if not (folder / split / name).is_dir()]
    if missing:
        raise LessonConfigError(f"{folder} has no {' or '.join(missing)} folder; the IMDb layout needs "
                                f"{split}/pos and {split}/neg.")
    for name, label in LABELS.items():
        sub = folder / split / name
        files = sorted((p for p in sub.iterdir() if p.suffix == ".txt" and p.is_file()), key=_review_order)
        if max_per_class is not None:
            files = [files[i] for i in rng.permutation(len(files))]
        taken = 0
        for path in files:
            if max_per_class is not None and taken >= max_per_class:
                break
            text, why = _read_review(path, f"{split}/{name}/{path.name}")
            if text is None:
                skipped.append(why)
                continue
            texts.append(text)
            labels.append(label)
            taken += 1
    if not texts:
        raise LessonConfigError(f"No review in {folder / split} could be read"
                                + (f" ({len(skipped)} files skipped, e.g. {skipped[0]})." if skipped else
                                   " (the pos/ and neg/ folders hold no .txt files)."))
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.asarray(labels, dtype=np.int64)[order], skipped
