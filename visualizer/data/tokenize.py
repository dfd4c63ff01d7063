"""Word- and character-level vocabularies for the Transformer lessons (Qt-free).

A word vocabulary reserves :data:`SPECIAL_TOKENS` at ids 0..4 ([PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4,
the names BERT uses: Devlin et al. 2019); encoding pads to a fixed length and says what it truncated and which
words it did not know, so that a lesson can tell the student instead of silently mapping them.  Subword
(WordPiece) tokenization goes through the ``tokenizers`` library (``visualizer.data.wordpiece``) with the same
:class:`Encoded` contract.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL_TOKENS))

_WORD = re.compile(r"\[(?:PAD|UNK|CLS|SEP|MASK)\]|[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def word_split(text: str) -> list[str]:
    """Lower-case words (with an apostrophe part: "don't") and single punctuation marks; the special tokens
    written in capitals (``[MASK]``) stay one token.  ``"Not GOOD, [MASK]!" -> ["not", "good", ",", "[MASK]",
    "!"]``."""
    out = []
    for m in re.finditer(r"\[(?:PAD|UNK|CLS|SEP|MASK)\]|[^\[]+|\[", text):
        piece = m.group(0)
        out += [piece] if piece in SPECIAL_TOKENS else _WORD.findall(piece.lower())
    return out


@dataclass
class Encoded:
    """One encoded text.  ids: (max_len,) int64 padded with [PAD] = 0; tokens: the real tokens as text
    (unpadded, with [CLS]/[SEP] if added); truncated: True if the text had more tokens than fit; unknown: the
    words mapped to [UNK], in order."""

    ids: np.ndarray
    tokens: list[str]
    truncated: bool = False
    unknown: list[str] = field(default_factory=list)

    @property
    def length(self) -> int:
        """The number of real (unpadded) tokens."""
        return len(self.tokens)


class WordVocab:
    """A word-level vocabulary: :data:`SPECIAL_TOKENS` first, then words by falling count (ties
    alphabetical, so the same texts give the same ids).  ``itos`` list of words, ``stoi`` word -> id."""

    pad_id, unk_id, cls_id, sep_id, mask_id = PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID

    def __init__(self, itos: Sequence[str]) -> None:
        if tuple(itos[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"a word vocabulary starts with {SPECIAL_TOKENS}")
        if len(set(itos)) != len(itos):
            raise ValueError("a word vocabulary lists each word once")
        self.itos = list(itos)
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 1, max_size: int | None = None) -> "WordVocab":
        """The vocabulary of ``texts`` (split by :func:`word_split`): words seen at least ``min_count`` times,
        at most ``max_size`` entries in all (special tokens included).  Raises ValueError if no word is left."""
        counts = Counter(w for t in texts for w in word_split(t) if w not in SPECIAL_TOKENS)
        words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        if max_size is not None:
            words = words[: max(0, max_size - len(SPECIAL_TOKENS))]
        if not words:
            raise ValueError("no word to build a vocabulary from (empty texts, or min_count too high)")
        return cls(list(SPECIAL_TOKENS) + words)

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str, max_len: int, add_cls: bool = True, add_sep: bool = False) -> Encoded:
        """``text`` as (max_len,) int64 ids: optional [CLS] first, the words (unknown ones as [UNK]), optional
        [SEP], truncated to fit, padded with [PAD].  Raises ValueError if max_len leaves no room for a word."""
        room = max_len - int(add_cls) - int(add_sep)
        if room < 1:
            raise ValueError(f"max_len {max_len} leaves no room for a word")
        words = word_split(text)
        unknown = [w for w in words if w not in self.stoi]
        kept = words[:room]
        tokens = (["[CLS]"] if add_cls else []) + [w if w in self.stoi else "[UNK]" for w in kept] \
            + (["[SEP]"] if add_sep else [])
        ids = np.zeros(max_len, dtype=np.int64)
        ids[: len(tokens)] = [self.stoi[t] for t in tokens]
        return Encoded(ids, tokens, truncated=len(words) > room, unknown=unknown)

    def encode_batch(self, texts: Sequence[str], max_len: int, add_cls: bool = True,
                     add_sep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(ids (N, max_len) int64, lengths (N,) int64) of :meth:`encode` for each text."""
        enc = [self.encode(t, max_len, add_cls, add_sep) for t in texts]
        ids = np.stack([e.ids for e in enc]) if enc else np.zeros((0, max_len), np.int64)
        return ids, np.array([e.length for e in enc], dtype=np.int64)

    def decode(self, ids: Iterable[int], skip_special: bool = True) -> str:
        """The words of ``ids`` joined by spaces ([PAD] always dropped; other special tokens unless
        ``skip_special`` is False).  Raises ValueError for an id outside the vocabulary."""
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise ValueError(f"token id {i} is outside the vocabulary of {len(self.itos)}")
            if i == PAD_ID or (skip_special and i < len(SPECIAL_TOKENS)):
                continue
            out.append(self.itos[i])
        return " ".join(out)


class CharVocab:
    """A character-level vocabulary (for a character GPT): the distinct characters of a text, sorted.
    ``itos`` list of characters, ``stoi`` character -> id."""

    def __init__(self, chars: Sequence[str]) -> None:
        if not chars or len(set(chars)) != len(chars) or any(len(c) != 1 for c in chars):
            raise ValueError("a character vocabulary lists distinct single characters")
        self.itos = list(chars)
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    @classmethod
    def build(cls, text: str) -> "CharVocab":
        """The sorted distinct characters of ``text``.  Raises ValueError for an empty text."""
        if not text:
            raise ValueError("no character to build a vocabulary from: the text is empty")
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> tuple[np.ndarray, list[str]]:
        """(ids (T,) int64 of the known characters, the unknown characters in order of first appearance).
        Unknown characters are left out of ``ids``; the caller says so to the student."""
        ids = [self.stoi[c] for c in text if c in self.stoi]
        unknown = list(dict.fromkeys(c for c in text if c not in self.stoi))
        return np.asarray(ids, dtype=np.int64), unknown

    def decode(self, ids: Iterable[int]) -> str:
        """The characters of ``ids``.  Raises ValueError for an id outside the vocabulary."""
        try:
            return "".join(self.itos[int(i)] if int(i) >= 0 else self.itos[len(self.itos)] for i in ids)
        except IndexError:
            raise ValueError(f"a token id is outside the character vocabulary of {len(self.itos)}") from None
