"""Data of the ``gpt`` lesson (Qt-free, NumPy only): the shipped book as character ids, random training
windows, fixed validation windows, and the student's prompt turned into ids with what had to change.

The text is the book in ``assets/text`` (:func:`visualizer.data.book.load_book`), split with the last 10% held
out (:func:`visualizer.data.book.split_text`), read one character at a time (:class:`CharVocab`, built on the
whole book so the validation text has no unknown character).  A training batch is B windows of block_size + 1
characters at random offsets: x the first block_size, y the same shifted by one (Karpathy's nanoGPT ``get_batch``;
Chollet, *Deep Learning with Python* 2e ch. 12.1 builds its character-level data the same way).

With ``text=file`` the student's own text file takes the book's place, read by
:func:`visualizer.data.user_text.read_user_text` (UTF-8, a BOM, UTF-16, else a guessed legacy encoding that a
notice names), at most ``MAX_TEXT_BYTES`` and at least ``MIN_BLOCKS`` block sizes long.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.core.hyperparams import ChoiceParam, PathParam
from visualizer.data.text_file import MB

VAL_WINDOWS = 64            # validation windows (fixed at build): 64 × block_size characters
NEWLINE = "\n"
MAX_TEXT_BYTES = 16 * MB    # the largest text file accepted (the book is about 0.8 MB)
MIN_BLOCKS = 20             # a text file must hold at least this many block sizes (10% of it is held out)

# The text the model learns: the shipped book or the student's file (structural: a new text needs a reset).
TEXT_PARAMS = (
    ChoiceParam("text", "Text", "book", ("book", "file"),
                tooltip="book: the Gospels (King James Version) shipped with the app. file: your own plain-text "
                        "file chosen below; the characters it uses become the vocabulary and its last 10% is "
                        "held out for validation."),
    PathParam("text_path", "Text file", "", "Text files (*.txt);;All files (*)",
              tooltip="Used when Text is file: a plain-text file (UTF-8 best; other encodings are guessed and "
                      "named in a notice), at most 16 MB.", used_when=("text", "file")),
)


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


def load_text(hp=None, context=None) -> CharText:
    """The text ``hp["text"]`` names, split 90/10, as character ids: the shipped book (also for ``hp=None``) or
    the file ``hp["text_path"]`` (announced with ``context.notice``, with the encoding when it is not UTF-8).

    Raises LessonConfigError if the book is missing or changed (``load_book``), or for a file choice without
    a file, a file that is missing, empty, binary, larger than MAX_TEXT_BYTES (``read_user_text``) or shorter
    than MIN_BLOCKS block sizes."""
    from visualizer.data.book import load_book, split_text
    from visualizer.data.tokenize import CharVocab

    if hp is None or hp["text"] == "book":
        text, name = load_book(), "the Gospels (KJV)"
    else:
        text, name = read_text_file(hp["text_path"], int(hp["block_size"]), context)
    vocab = CharVocab.build(text)
    train, val = split_text(text)
    train_ids, _ = vocab.encode(train)
    val_ids, _ = vocab.encode(val)
    return CharText(np.asarray(train_ids, np.int64), np.asarray(val_ids, np.int64), vocab, list(vocab.itos), name)


def read_text_file(path: str, block: int, context=None) -> tuple[str, str]:
    """(text, file name) of the student's text file, at least MIN_BLOCKS × ``block`` characters; a notice
    says what was read, and in which encoding when it was not UTF-8.  Raises LessonConfigError (see
    :func:`load_text`)."""
    from pathlib import Path

    from visualizer.data.user_text import read_user_text

    path = str(path).strip()
    if not path:
        raise LessonConfigError("Text is file but no file is chosen: pick a text file with 'Text file', or "
                                "choose the book.")
    text, _, notice = read_user_text(path, MAX_TEXT_BYTES, "text file")
    name, need = Path(path).name, MIN_BLOCKS * (block + 1)
    if len(text) < need:
        raise LessonConfigError(f"{name} holds only {len(text):,} characters; the model trains on windows of "
                                f"{block} and holds out the last 10% for validation, so it needs at least "
                                f"{need:,} ({MIN_BLOCKS} block sizes). Choose a longer text or a smaller block "
                                "size.")
    if context is not None:
        read = f"Read {len(text):,} characters ({len(set(text))} distinct) from {name}."
        context.notice(f"{notice} {read}" if notice else read)
    return text, name


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
        notes.append(f"The prompt has characters the text never uses, dropped: {names}.")
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
