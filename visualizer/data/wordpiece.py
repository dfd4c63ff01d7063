"""WordPiece subword tokenization (Schuster & Nakajima 2012; Wu et al. 2016; the tokenizer of BERT, Devlin et al.
2019) through the ``tokenizers`` library, with the :class:`~visualizer.data.tokenize.Encoded` contract of the word
vocabulary (Qt-free).

BERT's text pipeline, as Google's ``tokenization.py`` and the book ch. 8 build it: clean the text (drop control
characters, turn every white space into a space), put spaces around CJK characters, lower-case and strip accents
("Café" -> "cafe") when uncased, split at white space and punctuation, then cut each word greedily into the
longest pieces of the vocabulary from the left, later pieces written with the prefix ``##``
("playing" -> "play", "##ing").  A word that cannot be cut (a character the vocabulary lacks, or more than 100
characters) becomes one ``[UNK]``.  The special tokens ``[PAD] [UNK] [CLS] [SEP] [MASK]`` typed in a text stay
one token each (so a student can place a ``[MASK]``).

:meth:`WordPieceTokenizer.from_vocab` reads a BERT ``vocab.txt`` (one token per line, the id is the line number:
BERT-base-uncased has [PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103); :meth:`WordPieceTokenizer.train`
learns a small vocabulary from our own texts with the library's WordPiece trainer (special tokens at ids 0..4,
as in :mod:`visualizer.data.tokenize`).  The cutting runs in the library's Rust code, so a batch of thousands
of reviews takes well under a second.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.text_file import read_bytes
from visualizer.data.tokenize import SPECIAL_TOKENS, Encoded

MAX_VOCAB_BYTES = 64 << 20              # BERT-base's vocab.txt is 231 KB; multilingual ones a few MB
MAX_WORD_CHARS = 100                     # BERT's max_input_chars_per_word: a longer word becomes [UNK]


@dataclass
class EncodedPair(Encoded):
    """A sentence pair as BERT's next-sentence prediction reads it: ``[CLS] a [SEP] b [SEP]``.

    ids: (max_len,) int64 padded with [PAD]; token_type_ids: (max_len,) int64, 0 for ``[CLS] a [SEP]`` (and the
    padding), 1 for ``b [SEP]``; tokens: the real tokens (unpadded); truncated: True if pieces of a or b were cut
    to fit; unknown: the words mapped to [UNK], a's then b's."""

    token_type_ids: np.ndarray | None = None


def _read_vocab_lines(path: Path) -> list[str]:
    raw = read_bytes(path, MAX_VOCAB_BYTES, "vocabulary")
    if b"\x00" in raw:
        raise LessonConfigError(f"{path.name} is not a vocabulary (it holds binary data).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise LessonConfigError(f"{path.name} is not a UTF-8 vocabulary (line {line}).") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()                                       # the final line break
    return [ln.rstrip("\r") for ln in lines]


class WordPieceTokenizer:
    """A WordPiece tokenizer with the encode contract of :class:`visualizer.data.tokenize.WordVocab`.

    ``itos``: the tokens by id; ``stoi``: token -> id; ``pad_id``, ``unk_id``, ``cls_id``, ``sep_id``,
    ``mask_id``: the special tokens' ids in this vocabulary; ``lowercase``: whether texts are lower-cased and
    stripped of accents (BERT "uncased").  Build one with :meth:`from_vocab`, :meth:`from_tokens` or
    :meth:`train`."""

    def __init__(self, itos: Sequence[str], lowercase: bool = True) -> None:
        """itos: the tokens, id = position; every one of :data:`SPECIAL_TOKENS` must be among them, each token
        once, none empty.  Raises ValueError naming the problem."""
        from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

        itos = list(itos)
        if not itos:
            raise ValueError("a WordPiece vocabulary needs at least the special tokens; this one is empty")
        stoi: dict[str, int] = {}
        for i, tok in enumerate(itos):
            if not tok:
                raise ValueError(f"vocabulary entry {i} is empty")
            if tok in stoi:
                raise ValueError(f"the vocabulary lists {tok!r} twice (ids {stoi[tok]} and {i})")
            stoi[tok] = i
        missing = [t for t in SPECIAL_TOKENS if t not in stoi]
        if missing:
            raise ValueError(f"the vocabulary lacks the special tokens {', '.join(missing)}")
        self.itos, self.stoi, self.lowercase = itos, stoi, bool(lowercase)
        self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id = (stoi[t] for t in SPECIAL_TOKENS)
        tok = Tokenizer(models.WordPiece(vocab=dict(stoi), unk_token="[UNK]", continuing_subword_prefix="##",
                                         max_input_chars_per_word=MAX_WORD_CHARS))
        tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                    lowercase=self.lowercase)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece(prefix="##")
        tok.add_special_tokens(list(SPECIAL_TOKENS))       # typed "[MASK]" stays one token, never lower-cased
        self._tok = tok

    # ------------------------------------------------------------------------------------------------ #
    # Building
    # ------------------------------------------------------------------------------------------------ #
    @classmethod
    def from_tokens(cls, itos: Sequence[str], lowercase: bool = True) -> "WordPieceTokenizer":
        """The tokenizer of the vocabulary ``itos`` (id = position), e.g. one kept in a checkpoint.  Raises
        ValueError (see the constructor)."""
        return cls(itos, lowercase)

    @classmethod
    def from_vocab(cls, path: Path | str, lowercase: bool = True) -> "WordPieceTokenizer":
        """The tokenizer of a BERT ``vocab.txt``: one token per line in UTF-8, the id is the line number (from 0).
        lowercase: True for an uncased vocabulary (bert-base-uncased), False for a cased one.

        Raises LessonConfigError (a ValueError) naming the file when it is missing, unreadable, larger than
        64 MB, binary, not UTF-8, or not a vocabulary (an empty or duplicate line, a special token missing)."""
        path = Path(path).expanduser()
        lines = _read_vocab_lines(path)
        try:
            return cls(lines, lowercase)
        except ValueError as e:
            raise LessonConfigError(f"{path.name} is not a WordPiece vocabulary: {e}.") from None

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int = 2000, min_frequency: int = 2, lowercase: bool = True,
              limit_alphabet: int = 1000) -> "WordPieceTokenizer":
        """A WordPiece vocabulary of at most ``vocab_size`` tokens learnt from ``texts`` by the ``tokenizers``
        library's WordPiece trainer (merges of frequent adjacent pieces, as in BPE, after BERT's normalization
        and splitting).  The special tokens take ids 0..4 in the order of :data:`SPECIAL_TOKENS` (as in a
        :class:`~visualizer.data.tokenize.WordVocab`), then the single characters (at most ``limit_alphabet``
        of them, the most frequent), then ``##`` pieces and merged words.  min_frequency: the fewest times a
        merge must occur.  Takes 0.1–0.7 s for the shipped book (2,000 tokens, busy 2-core CPU).

        Not bit-reproducible: the library breaks ties between equally frequent merges in hash-map order
        (huggingface/tokenizers issue 1794, open), so two trainings on the same texts can differ in a few rare
        pieces.  Keep :attr:`itos` (in a checkpoint) and rebuild with :meth:`from_tokens` to reproduce a run.

        Raises ValueError for vocab_size < 6, min_frequency < 1, or texts with no word."""
        from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

        if vocab_size < len(SPECIAL_TOKENS) + 1:
            raise ValueError(f"vocab_size must leave room beyond the {len(SPECIAL_TOKENS)} special tokens")
        if min_frequency < 1:
            raise ValueError("min_frequency must be at least 1")
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=MAX_WORD_CHARS))
        tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                    lowercase=lowercase)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                            special_tokens=list(SPECIAL_TOKENS), limit_alphabet=limit_alphabet,
                                            continuing_subword_prefix="##", show_progress=False)
        tok.train_from_iterator(texts, trainer)
        vocab = tok.get_vocab(with_added_tokens=True)
        if len(vocab) <= len(SPECIAL_TOKENS):
            raise ValueError("no word to learn a WordPiece vocabulary from (the texts are empty)")
        itos = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
        return cls(itos, lowercase)

    def save_vocab(self, path: Path | str) -> Path:
        """Write the vocabulary as a BERT ``vocab.txt`` (one token per line, UTF-8), which :meth:`from_vocab`
        reads back to the same ids.  Returns the path; raises OSError if it cannot be written."""
        path = Path(path)
        path.write_text("".join(t + "\n" for t in self.itos), encoding="utf-8")
        return path

    def __len__(self) -> int:
        return len(self.itos)

    # ------------------------------------------------------------------------------------------------ #
    # Encoding
    # ------------------------------------------------------------------------------------------------ #
    def tokenize(self, text: str) -> tuple[list[int], list[str], list[str]]:
        """``text`` cut into pieces, without special tokens added or any truncation: (ids, pieces, the words
        that became [UNK] as they are written in ``text``)."""
        return self._split(self._tok.encode(text, add_special_tokens=False), text)

    @staticmethod
    def _split(enc, text: str) -> tuple[list[int], list[str], list[str]]:
        unknown = [text[s:e] for tok, (s, e) in zip(enc.tokens, enc.offsets)
                   if tok == "[UNK]" and text[s:e] != "[UNK]"]
        return list(enc.ids), list(enc.tokens), unknown

    def _assemble(self, ids: list[int], pieces: list[str], unknown: list[str], max_len: int, add_cls: bool,
                  add_sep: bool) -> Encoded:
        room = max_len - int(add_cls) - int(add_sep)
        if room < 1:
            raise ValueError(f"max_len {max_len} leaves no room for a token")
        tokens = (["[CLS]"] if add_cls else []) + pieces[:room] + (["[SEP]"] if add_sep else [])
        kept = ([self.cls_id] if add_cls else []) + ids[:room] + ([self.sep_id] if add_sep else [])
        out = np.full(max_len, self.pad_id, dtype=np.int64)
        out[: len(kept)] = kept
        return Encoded(out, tokens, truncated=len(pieces) > room, unknown=unknown)

    def encode(self, text: str, max_len: int, add_cls: bool = True, add_sep: bool = False) -> Encoded:
        """``text`` as (max_len,) int64 ids: optional [CLS] first, the WordPiece pieces (words the vocabulary
        cannot cut as one [UNK] each), optional [SEP], truncated to fit, padded with [PAD].  ``Encoded.tokens``
        are the pieces as text ("play", "##ing"); ``unknown`` the words that became [UNK], as written in
        ``text``.  Raises ValueError if max_len leaves no room for a token."""
        return self._assemble(*self.tokenize(text), max_len, add_cls, add_sep)

    def encode_batch(self, texts: Sequence[str], max_len: int, add_cls: bool = True,
                     add_sep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(ids (N, max_len) int64, lengths (N,) int64 of real tokens) of :meth:`encode` for each text, cut in
        one call to the library (parallel in Rust).  Raises ValueError as :meth:`encode`."""
        if max_len - int(add_cls) - int(add_sep) < 1:
            raise ValueError(f"max_len {max_len} leaves no room for a token")
        texts = list(texts)
        room = max_len - int(add_cls) - int(add_sep)
        ids = np.full((len(texts), max_len), self.pad_id, dtype=np.int64)
        lengths = np.zeros(len(texts), dtype=np.int64)
        start = int(add_cls)
        if add_cls:
            ids[:, 0] = self.cls_id
        batch = getattr(self._tok, "encode_batch_fast", self._tok.encode_batch)     # _fast: tokenizers >= 0.20
        for n, enc in enumerate(batch(texts, add_special_tokens=False)):
            pieces = enc.ids[:room]                      # ids only: no token strings or offsets needed here
            end = start + len(pieces)
            ids[n, start:end] = pieces
            if add_sep:
                ids[n, end] = self.sep_id
            lengths[n] = end + int(add_sep)
        return ids, lengths

    def encode_pair(self, a: str, b: str, max_len: int) -> EncodedPair:
        """The pair ``[CLS] a [SEP] b [SEP]`` for next-sentence prediction (Devlin et al. 2019, sec. 3.1), with
        token types 0 then 1, padded with [PAD] to ``max_len``.  When the pair is too long, the longer of the
        two loses its last piece, one at a time, until it fits (BERT's ``_truncate_seq_pair``).  Raises
        ValueError when max_len < 5 (no room for a piece of each)."""
        if max_len < 5:
            raise ValueError(f"max_len {max_len} leaves no room for a pair")
        ia, pa, ua = self.tokenize(a)
        ib, pb, ub = self.tokenize(b)
        na, nb = len(ia), len(ib)
        room = max_len - 3
        while na + nb > room:
            if na > nb:
                na -= 1
            else:
                nb -= 1
        tokens = ["[CLS]"] + pa[:na] + ["[SEP]"] + pb[:nb] + ["[SEP]"]
        kept = [self.cls_id] + ia[:na] + [self.sep_id] + ib[:nb] + [self.sep_id]
        ids = np.full(max_len, self.pad_id, dtype=np.int64)
        ids[: len(kept)] = kept
        types = np.zeros(max_len, dtype=np.int64)
        types[na + 2: len(kept)] = 1
        return EncodedPair(ids, tokens, truncated=(na, nb) != (len(ia), len(ib)), unknown=ua + ub,
                           token_type_ids=types)

    def decode(self, ids: Iterable[int], skip_special: bool = True) -> str:
        """The text of ``ids``: pieces joined back into words ("play", "##ing" -> "playing"), words by spaces
        ([PAD] always dropped; other special tokens unless ``skip_special`` is False).  Lower-cased and without
        accents when the tokenizer is uncased.  Raises ValueError for an id outside the vocabulary."""
        keep = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise ValueError(f"token id {i} is outside the vocabulary of {len(self.itos)}")
            if i != self.pad_id:
                keep.append(i)
        return self._tok.decode(keep, skip_special_tokens=skip_special)
