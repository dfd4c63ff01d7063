"""Data of the ``gpt`` lesson (Qt-free, NumPy only): the shipped book as character ids, random training
windows, fixed validation windows, and the student's prompt turned into ids with what had to change.

The text is the book in ``assets/text`` (:func:`visualizer.data.book.load_book`), split with the last 10% held
out (:func:`visualizer.data.book.split_text`), read one character at a time (:class:`CharVocab`, built on the
whole book so the validation text has no unknown character).  A training batch is B windows of block_size + 1
characters at random offsets: x the first block_size, y the same shifted by one (Karpathy's nanoGPT ``get_batch``;
Chollet, *Deep Learning with Python* 2e ch. 12.1 builds its character-level data the same way).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from visualizer.core.errors import LessonConfigError

VAL_WINDOWS = 64            # validation windows (fixed at build): 64 × block_size characters
NEWLINE = "\n"


@dataclass
class CharText:
    """The book as characters: ``train`` / ``val`` (N,) int64 ids, the vocabulary ``vocab`` (a CharVocab), the
    characters ``chars`` (V,) in id order, and the name shown to the user."""

    train: np.ndarray
    val: np.ndarray
    vocab: object
    chars: list[str]
    name: str = "the Gospels (KJV)"

    @property
    def vocab_size(self) -> int:
        return len(self.chars)


def load_text() -> CharText:
    """The shipped book, split 90/10, as character ids.  Raises LessonConfigError (from ``load_book``) if the
    file is missing or changed."""
    from visualizer.data.book import load_book, split_text
    from visualizer.data.tokenize import CharVocab

    text = load_book()
    vocab = CharVocab.build(text)
    train, val = split_text(text)
    train_ids, _ = vocab.encode(train)
    val_ids, _ = vocab.encode(val)
    return CharText(np.asarray(train_ids, np.int64), np.asarray(val_ids, np.int64), vocab, list(vocab.itos))


def windows(ids: np.ndarray, starts: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """x, y (B, block) int64: ``ids[s : s + block]`` and the same shifted by one, for each start s."""
    idx = starts[:, None] + np.arange(block)[None, :]                  # (B, block)
    return ids[idx], ids[idx + 1]


def val_starts(n: int, block: int, count: int = VAL_WINDOWS) -> np.ndarray:
    """``count`` evenly spaced window starts over a text of n characters (the same every evaluation).
    Raises LessonConfigError if the text is shorter than one window."""
    if n < block + 2:
        raise LessonConfigError(f"The validation text ({n:,} characters) is shorter than one block of {block}; "
                                f"lower the block size.")
    return np.linspace(0, n - block - 1, count).astype(np.int64)


def visible(ch: str) -> str:
    """A character as a token label: the line break as ⏎, a space as ␣, others as themselves."""
    return {NEWLINE: "⏎", " ": "␣"}.get(ch, ch)


@dataclass
class Prompt:
    """The student's prompt as the model reads it: ``ids`` (T,) int64, 1 <= T <= block_size; ``text`` those
    characters; ``notes``: what changed and why (unknown characters dropped, the start cut off, an empty prompt
    replaced by a line break), for a notice."""

    ids: np.ndarray
    text: str
    notes: list[str] = field(default_factory=list)


def read_prompt(raw: str, vocab, block: int) -> Prompt:
    """Turn the typed prompt into at most ``block`` known character ids.  Characters the vocabulary lacks are
    dropped (each named once in a note), a prompt longer than ``block`` keeps its last ``block`` characters
    (a note says how many were cut), and an empty prompt starts from a line break.  Never raises for any
    text; the typed prompt itself is left as it is."""
    raw = str(raw)
    ids, unknown = vocab.encode(raw)
    notes = []
    if unknown:
        names = ", ".join(repr(c) for c in unknown)
        notes.append(f"The prompt has characters the book never uses, dropped: {names}.")
    ids = np.asarray(ids, np.int64)
    if ids.size > block:
        notes.append(f"The prompt has {ids.size:,} characters; the model reads only the last {block} (its block "
                     f"size), so those are used.")
        ids = ids[-block:]
    if ids.size == 0:
        if raw.strip():
            notes.append("Nothing of the prompt is left: sampling from a line break.")
        ids, _ = vocab.encode(NEWLINE)
        ids = np.asarray(ids, np.int64)
    return Prompt(ids, vocab.decode(ids.tolist()), notes)
