"""The one reader of a user's corpus file, shared by the language lessons (word_vectors, word2vec, rnn_lm through
``visualizer.data.ptb``) and the word2vec benchmark (Qt-free).

Two ways of cutting a file into tokens:

* ``"ptb"``, the Penn Treebank's (Mikolov's ``simple-examples/data`` files, read as the book does: Saitoh,
  *Deep Learning from Scratch 2*, ``dataset/ptb.py``): the words of each line split at white space, as they
  are (``<unk>``, ``N``, ``'s`` kept), and ``<eos>`` for every line break;
* ``"text"``, any other text: lower-cased words with punctuation split off (``visualizer.data.corpus.tokenize``),
  line breaks ignored.

``"auto"`` takes ``"ptb"`` for a file named ``ptb.train.txt``, ``ptb.valid.txt`` or ``ptb.test.txt`` and
``"text"`` otherwise.  The file is read one line at a time (``visualizer.data.text_file.text_lines``) and refused
as soon as it passes ``max_bytes`` bytes or ``max_tokens`` tokens, so a huge file costs neither minutes nor
gigabytes.  Repeated words share one string object (a corpus of a million tokens holds a few thousand words).
"""
from __future__ import annotations

from pathlib import Path

from visualizer.core.errors import LessonConfigError
from visualizer.data.corpus import EOS, tokenize
from visualizer.data.text_file import text_lines

MB = 2**20
MAX_CORPUS_BYTES = 64 * MB              # Penn Treebank's training split is 5 MB
MAX_CORPUS_TOKENS = 2_000_000           # ... and 929,589 tokens
PTB_FILE_NAMES = ("ptb.train.txt", "ptb.valid.txt", "ptb.test.txt")
STYLES = ("auto", "ptb", "text")
_SNIFF_CHARS = 65536                    # the start of the file checked for control characters


def corpus_style(path: Path | str, style: str = "auto") -> str:
    """"ptb" or "text": ``style`` itself, or for "auto" "ptb" if the file is one of Penn Treebank's three.

    Raises ValueError for a style outside ``STYLES``."""
    if style not in STYLES:
        raise ValueError(f"unknown corpus style {style!r}; use one of {', '.join(STYLES)}")
    if style != "auto":
        return style
    return "ptb" if Path(path).name in PTB_FILE_NAMES else "text"


def read_corpus_tokens(path: Path | str, style: str = "auto", max_bytes: int = MAX_CORPUS_BYTES,
                       max_tokens: int = MAX_CORPUS_TOKENS) -> list[str]:
    """The tokens of the corpus file ``path``, cut as ``style`` says (see the module docstring).

    "ptb" files must be UTF-8; "text" files may be UTF-8 or Latin-1 (line by line).  Returns a list of str.

    Raises LessonConfigError (a ValueError) naming the file for a missing, unreadable or binary file (a NUL
    byte, or more than 5 % control characters in its first 64 KB), a "ptb" line that is not UTF-8, more than
    ``max_bytes`` bytes (checked from the size on disk and again while reading) or more than ``max_tokens``
    tokens (checked while reading), a file without words, and a "ptb" file without line breaks."""
    path = Path(path).expanduser()
    kind = corpus_style(path, style)
    encodings = ("utf-8",) if kind == "ptb" else ("utf-8", "latin-1")
    lines = text_lines(path, max_bytes, "file", encodings)
    tokens: list[str] = []
    shared: dict[str, str] = {}
    head = controls = breaks = 0

    def sniff() -> None:
        if controls > 0.05 * max(head, 1):
            raise LessonConfigError(f"{path.name} looks like a binary file, not text: choose a plain-text (.txt) "
                                    "file.")

    try:
        for line in lines:
            if head < _SNIFF_CHARS:
                part = line[:_SNIFF_CHARS - head]
                head += len(part)
                controls += sum(1 for c in part if ord(c) < 32 and c not in "\t\n\f\r")
                if head >= _SNIFF_CHARS:
                    sniff()
            if kind == "ptb":
                words = line.split()
                if line.endswith(("\n", "\r")):
                    words.append(EOS)
                    breaks += 1
            else:
                words = tokenize(line)
            tokens.extend(shared.setdefault(w, w) for w in words)
            if len(tokens) > max_tokens:
                raise LessonConfigError(f"{path.name} holds more than {max_tokens:,} words; a corpus here may hold "
                                        f"at most {max_tokens:,} (the Penn Treebank's training split has 929,589). "
                                        "Use a part of the file.")
    finally:
        lines.close()
    sniff()
    if all(t == EOS for t in tokens):
        raise LessonConfigError(f"{path.name} is empty: it holds no words. Choose a text file with some sentences "
                                "in it.")
    if kind == "text" and not any(t[0].isalnum() for t in tokens):
        raise LessonConfigError(f"{path.name} holds no words: choose a text file with some sentences in it.")
    if kind == "ptb" and not breaks:
        raise LessonConfigError(f"{path.name} has no line breaks: the Penn Treebank layout is one sentence per "
                                "line, words separated by spaces.")
    return tokens
