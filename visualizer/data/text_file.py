"""Reading a user's text file (a CSV, a corpus, a task file) in a stream, with limits checked as it is read
and every failure turned into a message for the user (Qt-free).

A file is never read whole before its size is known to be acceptable: :func:`text_lines` refuses a file
larger than ``max_bytes`` from its size on disk before reading a byte, and counts the bytes again as it reads
(a pipe or a growing file has no trustworthy size), one line at a time, so a refused file costs at most
``max_bytes`` of reading and one line of memory.  :func:`read_csv_rows` parses those lines with the
standard library's ``csv`` module and stops after ``max_rows`` rows.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Iterator

from visualizer.core.lesson import LessonConfigError

MB = 2**20
DEFAULT_MAX_BYTES = 32 * MB
_DELIMITERS = (",", ";", "\t")


def _size_text(n: int) -> str:
    return f"{n / MB:,.1f} MB" if n >= MB else f"{n:,} bytes"


def _open(path: Path, what: str):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise LessonConfigError(f"The {what} {path} does not exist. Choose the file again.") from None
    except IsADirectoryError:
        raise LessonConfigError(f"{path} is a folder, not a {what}.") from None
    except PermissionError:
        raise LessonConfigError(f"No permission to read {path}.") from None
    except OSError as e:
        raise LessonConfigError(f"Could not read {path}: {e.strerror or e}") from None


def _too_large(path: Path, size: int | None, max_bytes: int, what: str) -> LessonConfigError:
    shown = f"is {_size_text(size)}" if size is not None else f"holds more than {_size_text(max_bytes)}"
    return LessonConfigError(f"{path.name} {shown}; a {what} here may hold at most {_size_text(max_bytes)}. "
                             "Use a smaller file or a sample of it.")


def _check_size(f, path: Path, max_bytes: int, what: str) -> None:
    """Refuse an open file larger than ``max_bytes`` from its size on disk, before reading a byte."""
    try:
        size = os.fstat(f.fileno()).st_size
    except OSError:
        size = 0
    if size > max_bytes:
        raise _too_large(path, size, max_bytes, what)


def read_bytes(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "file") -> bytes:
    """The whole content of a file of at most ``max_bytes`` (checked from the size on disk before reading, and
    again by reading at most one byte more).  what: the kind of file, for messages ("BERT config").

    Raises LessonConfigError naming the file when it does not exist, is a folder, cannot be read or is larger
    than ``max_bytes``."""
    path = Path(path).expanduser()
    with _open(path, what) as f:
        _check_size(f, path, max_bytes, what)
        try:
            data = f.read(max_bytes + 1)
        except OSError as e:
            raise LessonConfigError(f"Could not read {path}: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise _too_large(path, None, max_bytes, what)
    return data


def text_lines(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "CSV file",
               encodings: tuple[str, ...] = ("utf-8",)) -> Iterator[str]:
    """The lines of a text file, read one at a time, each with its line break kept (as ``csv`` wants).

    The file is decoded with the first of ``encodings`` that fits each line (a UTF-8 byte-order mark at the
    start is dropped; "latin-1" last accepts any byte).  max_bytes: the largest file accepted, checked from
    the size on disk before reading and again while reading.  what: the kind of file, for messages.

    Raises LessonConfigError naming the file when it does not exist, is a folder, cannot be read, is larger
    than ``max_bytes``, holds binary data (a NUL byte) or a line that is not text in ``encodings``
    (naming the line).  The generator raises while it is iterated; the file is closed when it finishes or
    is closed."""
    path = Path(path).expanduser()
    f = _open(path, what)
    with f:
        _check_size(f, path, max_bytes, what)
        read = 0
        number = 0
        while True:
            try:
                raw = f.readline(max_bytes - read + 1)
            except OSError as e:
                raise LessonConfigError(f"Could not read {path}: {e.strerror or e}") from None
            if not raw:
                return
            read += len(raw)
            if read > max_bytes:
                raise _too_large(path, None, max_bytes, what)
            number += 1
            if b"\x00" in raw:
                raise LessonConfigError(f"{path.name} is not a text {what} (it holds binary data, line {number}).")
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            for enc in encodings:
                try:
                    line = raw.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise LessonConfigError(f"{path.name} is not a text {what} (line {number} is not UTF-8 text). "
                                        "Save the file as UTF-8 text.")
            # A lone carriage return (old Mac line ends) splits lines as csv and str.splitlines do.
            if "\r" in line.rstrip("\r\n"):
                yield from io.StringIO(line, newline="")
            else:
                yield line


def sniff_delimiter(line: str) -> str:
    """The first of , ; tab that occurs in ``line`` (comma if none does)."""
    return next((d for d in _DELIMITERS if d in line), ",")


def read_csv_rows(path: Path | str, max_rows: int, max_bytes: int = DEFAULT_MAX_BYTES,
                  row_word: str = "rows", who: str = "this lesson") -> list[tuple[int, list[str]]]:
    """The non-blank rows of a CSV file as (1-based line number, cells stripped of spaces), in a stream.

    The delimiter is the first of , ; tab in the first non-blank line.  At most ``max_rows`` + 1 rows are
    read (one more for a header line, which the caller recognises; the caller checks the exact count): a
    file with more is refused as soon as the row after them is read.  max_bytes: see :func:`text_lines`.
    row_word, who: for the message ("points", "the playground").

    Raises LessonConfigError (see :func:`text_lines`) and for a file with more than ``max_rows`` + 1
    rows, or malformed CSV (an unclosed quote), naming the line."""
    path = Path(path).expanduser()
    lines = text_lines(path, max_bytes, "CSV file")
    rows: list[tuple[int, list[str]]] = []
    try:
        head: list[str] = []                            # blank lines before the first non-blank one, and it
        for ln in lines:
            head.append(ln)
            if ln.strip():
                break
        if not head or not head[-1].strip():
            return rows
        reader = csv.reader(_chain(head, lines), delimiter=sniff_delimiter(head[-1]))
        for row in reader:
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if len(rows) > max_rows:
                raise LessonConfigError(
                    f"{path.name} has more than {max_rows:,} {row_word}; {who} takes at most {max_rows:,}. "
                    f"Use a sample of the file (for example its first {max_rows:,} lines).")
            rows.append((reader.line_num, cells))
    except csv.Error as e:
        raise LessonConfigError(f"{path.name} is not valid CSV near line {reader.line_num}: {e}. Check the "
                                "quotes in that line.") from None
    finally:
        lines.close()
    return rows


def _chain(head: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from head
    yield from rest
