"""Character-level sequence-to-sequence tasks in the format of *Deep Learning from Scratch 2* (Qt-free).

Source: Saitoh, *Deep Learning from Scratch 2* (O'Reilly Japan, 2018), section 7.3 (the addition task,
``dataset/addition.txt``) and section 8.4 (date-format conversion, ``dataset/date.txt``), and the book's
loader ``dataset/sequence.py``.  The addition generator follows the Keras example ``addition_rnn.py``
(random numbers of 1 to 3 digits, each unordered pair once), which reproduces the book's file's digit
statistics.

File format: one example per line; the question and the answer are split at the *first* ``_``, which
stays at the start of the answer and serves as the decoder's start symbol.  Every question has the same
width and every answer too, padded with spaces::

    16+75  _91                   question 7 chars, answer 5 chars (addition)
    september 27, 1994           _1994-09-27      question 29 chars, answer 11 chars (dates)

Generators are deterministic from a seed and return the lines (no newline).  :func:`parse_seq_lines` and
:func:`load_seq_file` turn lines into character ids; :func:`split_seq` shuffles and keeps the last 10 %
as the test split exactly like the book (``numpy.random.seed(1984)`` then ``numpy.random.shuffle``).
Errors are :class:`SeqFormatError` (a ValueError) with a message that names the offending line or
characters; lessons turn them into LessonConfigError.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Sequence

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.data.text_file import text_lines

ADDITION_QUESTION_WIDTH = 7          # "999+999"
ADDITION_ANSWER_WIDTH = 5            # "_1998"
DATE_QUESTION_WIDTH = 29             # "wednesday, september 27, 1994"
DATE_ANSWER_WIDTH = 11               # "_1994-09-27"
DEFAULT_LINES = 50_000
MAX_FILE_LINES = 200_000             # a task file's examples (the book's files have 50,000)
MAX_FILE_BYTES = 16 * 2**20          # the book's date.txt is 2 MB
BOOK_SPLIT_SEED = 1984

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class SeqFormatError(ValueError):
    """A sequence file or a typed question that does not fit the task's format; the message says which
    line or which characters and what to change."""


# ---------------------------------------------------------------------------------------------- #
# Generators
# ---------------------------------------------------------------------------------------------- #
def generate_addition(n: int = DEFAULT_LINES, seed: int = 0, digits: int = 3) -> list[str]:
    """``n`` distinct addition examples ``"a+b"`` -> ``"_" + str(a + b)``, padded to widths 2·digits + 1
    and digits + 2 (7 and 5 for 3 digits, the book's).  Each number has 1 to ``digits`` digits drawn
    uniformly (leading zeros dropped), as the Keras example the book's file comes from; a pair and its
    swap count once.  Raises ValueError if ``n`` exceeds the number of distinct pairs."""
    limit = 10 ** digits
    if n > limit * (limit + 1) // 2:
        raise ValueError(f"only {limit * (limit + 1) // 2} distinct pairs of numbers below {limit}")
    rng = np.random.default_rng(seed)
    qw, aw = 2 * digits + 1, digits + 2
    seen: set[tuple[int, int]] = set()
    lines: list[str] = []
    while len(lines) < n:
        m = 4 * (n - len(lines)) + 16                         # draw in vectorized blocks
        lengths = rng.integers(1, digits + 1, size=(m, 2))
        values = rng.integers(0, 10, size=(m, 2, digits))
        powers = 10 ** np.arange(digits)[::-1]                # most significant first
        mask = np.arange(digits)[None, None, :] >= (digits - lengths)[:, :, None]
        nums = (values * mask * powers).sum(axis=2)           # (m, 2): the last `length` digits
        for a, b in nums.tolist():
            key = (a, b) if a <= b else (b, a)
            if key in seen:
                continue
            seen.add(key)
            lines.append(f"{a}+{b}".ljust(qw) + f"_{a + b}".ljust(aw))
            if len(lines) == n:
                break
    return lines


def _date_formats(d: _dt.date) -> list[str]:
    """The human spellings of one date the generator chooses from (all within the book's 59 symbols)."""
    month, wd = _MONTHS[d.month - 1], _WEEKDAYS[d.weekday()]
    y2 = f"{d.year % 100:02d}"
    return [
        f"{month} {d.day}, {d.year}",                         # September 27, 1994
        f"{month[:3]} {d.day}, {d.year}",                     # Sep 27, 1994
        f"{wd}, {month} {d.day}, {d.year}",                   # Tuesday, September 27, 1994
        f"{d.month}/{d.day}/{y2}",                            # 9/27/94
        f"{d.day} {month} {d.year}",                          # 27 September 1994
        f"{d.day} {month[:3]} {d.year}",                      # 27 Sep 1994
    ]


# Probabilities of the spellings above; the first four are the book's (its file has about 25 %, 25 %,
# 25 % and 25 % of them after folding case); the last two are extra.
_FORMAT_P = np.array([0.25, 0.22, 0.22, 0.21, 0.05, 0.05])
_CASES = ("title", "upper", "lower")
_CASE_P = np.array([0.5, 0.25, 0.25])


def generate_dates(n: int = DEFAULT_LINES, seed: int = 0, start_year: int = 1970,
                   end_year: int = 2017) -> list[str]:
    """``n`` date-conversion examples: a date between Jan 1 of ``start_year`` and Dec 31 of ``end_year``
    written in one of several human formats and cases ("september 27, 1994", "Sep 27, 1994",
    "TUESDAY, SEPTEMBER 27, 1994", "9/27/94", "27 September 1994", ...) -> ``"_1994-09-27"``; question
    padded to 29 characters, answer 11.  Two-digit years ("/94") need end_year - start_year < 100.
    Raises ValueError for an empty or too long year range."""
    if not start_year <= end_year or end_year - start_year >= 100 or start_year < 1:
        raise ValueError(f"year range {start_year}..{end_year} must be non-empty and shorter than 100 years")
    rng = np.random.default_rng(seed)
    first = _dt.date(start_year, 1, 1).toordinal()
    last = _dt.date(end_year, 12, 31).toordinal()
    days = rng.integers(first, last + 1, size=n)
    fmts = rng.choice(len(_FORMAT_P), size=n, p=_FORMAT_P)
    cases = rng.choice(len(_CASES), size=n, p=_CASE_P)
    lines = []
    for day, f, c in zip(days.tolist(), fmts.tolist(), cases.tolist()):
        d = _dt.date.fromordinal(day)
        q = _date_formats(d)[f]
        q = q.upper() if _CASES[c] == "upper" else q.lower() if _CASES[c] == "lower" else q
        lines.append(q.ljust(DATE_QUESTION_WIDTH) + "_" + d.isoformat())
    return lines


def write_seq_file(path: str | Path, lines: Sequence[str]) -> None:
    """Write ``lines`` one per line (``\\n``), UTF-8."""
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


# ---------------------------------------------------------------------------------------------- #
# Loading
# ---------------------------------------------------------------------------------------------- #
def parse_seq_lines(lines: Sequence[str], source: str = "the data"
                    ) -> tuple[np.ndarray, np.ndarray, dict[str, int], dict[int, str]]:
    """Lines of a sequence file -> (x (N, Tq) int32 question ids, t (N, Ta) int32 answer ids starting with
    the id of ``_``, char_to_id, id_to_char).  Ids are given in order of first appearance, question
    before answer, line by line (the book's ``sequence.py``).  Blank lines at the end are ignored.

    Raises SeqFormatError for no examples, a line without ``_``, or a line whose question or answer
    width differs from the first line's (the message names the 1-based line)."""
    lines = [line.rstrip("\r\n") for line in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise SeqFormatError(f"{source} has no examples: each line needs a question and an answer "
                             "separated by '_', e.g. '16+75  _91  '.")
    questions, answers = [], []
    for i, line in enumerate(lines, start=1):
        k = line.find("_")
        if k < 0:
            raise SeqFormatError(f"line {i} of {source} has no '_' between question and answer: {line!r}. "
                                 "Each line is a question, '_', then the answer, e.g. '16+75  _91  '.")
        q, a = line[:k], line[k:]
        if questions and (len(q) != len(questions[0]) or len(a) != len(answers[0])):
            raise SeqFormatError(
                f"line {i} of {source} has a question of {len(q)} and an answer of {len(a)} characters, but "
                f"line 1 has {len(questions[0])} and {len(answers[0])}: pad every question and every answer "
                "with spaces to one width.")
        if not q:
            raise SeqFormatError(f"line {i} of {source} has an empty question (it starts with '_').")
        questions.append(q)
        answers.append(a)
    char_to_id: dict[str, int] = {}
    for q, a in zip(questions, answers):
        for ch in q + a:
            if ch not in char_to_id:
                char_to_id[ch] = len(char_to_id)
    id_to_char = {i: ch for ch, i in char_to_id.items()}
    lut = np.full(max(map(ord, char_to_id)) + 1, -1, dtype=np.int32)
    for ch, i in char_to_id.items():
        lut[ord(ch)] = i
    x = lut[_codes(questions)]                                # (N, Tq)
    t = lut[_codes(answers)]                                  # (N, Ta)
    return x, t, char_to_id, id_to_char


def _codes(strings: list[str]) -> np.ndarray:
    """Equal-length strings -> (N, L) int code points, vectorized through a UTF-32 buffer."""
    n, width = len(strings), len(strings[0])
    if width == 0:
        return np.zeros((n, 0), dtype=np.int64)
    return np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32).reshape(n, width).astype(np.int64)


def load_seq_file(path: str | Path, max_lines: int = MAX_FILE_LINES, max_bytes: int = MAX_FILE_BYTES
                  ) -> tuple[np.ndarray, np.ndarray, dict[str, int], dict[int, str]]:
    """Read a sequence file (UTF-8) in a stream -> (x (N, Tq), t (N, Ta), char_to_id, id_to_char), see
    :func:`parse_seq_lines`.  The file is refused as soon as it exceeds ``max_lines`` lines or ``max_bytes``
    bytes (from its size on disk, and again while reading).

    Raises SeqFormatError for a missing, unreadable, binary, too large or malformed file."""
    p = Path(path)
    lines: list[str] = []
    reader = text_lines(p, max_bytes, "task file")
    try:
        for line in reader:
            if len(lines) >= max_lines:
                raise SeqFormatError(f"{p.name} has more than {max_lines:,} lines; a task file here holds at "
                                     f"most {max_lines:,} examples. Use a sample of the file.")
            lines.append(line)
    except LessonConfigError as e:
        raise SeqFormatError(str(e)) from None
    finally:
        reader.close()
    return parse_seq_lines(lines, source=p.name)


def split_seq(x: np.ndarray, t: np.ndarray, seed: int | None = BOOK_SPLIT_SEED, test_fraction: float = 0.1
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Shuffle examples and keep the last ``test_fraction`` as the test split ->
    ((x_train, t_train), (x_test, t_test)).  With ``test_fraction=0.1`` and seed 1984 it is exactly the
    book's split (legacy ``RandomState(seed).shuffle``; seed None keeps the file's order).  Raises
    ValueError if a split would be empty."""
    n = len(x)
    idx = np.arange(n)
    if seed is not None:
        np.random.RandomState(seed).shuffle(idx)
    split_at = n - int(n * test_fraction + 1e-9)
    if split_at <= 0 or split_at >= n:
        raise ValueError(f"{n} examples are too few for a {test_fraction:.0%} test split: at least 10 needed")
    x, t = x[idx], t[idx]
    return (x[:split_at], t[:split_at]), (x[split_at:], t[split_at:])


def encode_question(text: str, char_to_id: dict[str, int], width: int) -> np.ndarray:
    """A typed question -> ids (1, width), padded with spaces on the right as the files are.

    Raises SeqFormatError naming the characters outside the vocabulary, or if ``text`` is longer than
    ``width`` (or empty)."""
    if not text:
        raise SeqFormatError("type a question first.")
    if len(text) > width:
        raise SeqFormatError(f"{text!r} has {len(text)} characters; questions of this task have at most {width}.")
    unknown = sorted({ch for ch in text.ljust(width) if ch not in char_to_id})
    if unknown:
        shown = ", ".join(repr(ch) for ch in unknown)
        raise SeqFormatError(f"{text!r} contains characters the model has never seen: {shown}. "
                             f"It knows: {''.join(sorted(c for c in char_to_id if c != '_'))!r}.")
    return np.array([[char_to_id[ch] for ch in text.ljust(width)]], dtype=np.int32)


def decode_ids(ids: np.ndarray, id_to_char: dict[int, str]) -> list[str]:
    """ids (N, L) -> N strings (trailing spaces kept)."""
    table = np.array([id_to_char.get(i, "?") for i in range(max(id_to_char) + 1)], dtype="<U1")
    return ["".join(row) for row in table[np.asarray(ids)]]
