"""The shipped public-domain text (``assets/text/gospels_kjv.txt``: the four Gospels, King James Version) for
language modelling and masked-LM pretraining offline.  Its provenance is in ``assets/text/README.md``; the
file is checked against its sha256 on load, so a changed or truncated copy is named, not trained on.  Qt-free.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from visualizer.core.lesson import LessonConfigError

BOOK_PATH = Path(__file__).resolve().parents[2] / "assets" / "text" / "gospels_kjv.txt"
BOOK_SHA256 = "0eccd37e98af12ec9073d1aaf8bc25d502333250be52f580563fd6d5b792ead2"
BOOK_TITLE = "The four Gospels, King James Version (1611)"


@lru_cache(maxsize=1)
def load_book(path: Path | str = BOOK_PATH, sha256: str | None = BOOK_SHA256) -> str:
    """The whole text (about 437,500 ASCII characters, one verse per line).  Raises LessonConfigError if the
    file is missing, unreadable, or differs from the shipped one (its sha256)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LessonConfigError(f"the shipped text {path} cannot be read ({exc.strerror or exc}); reinstall the "
                                f"app or restore assets/text from the repository") from exc
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise LessonConfigError(f"the shipped text {path} was changed or truncated (its sha256 differs from "
                                f"assets/text/README.md's); restore it from the repository")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LessonConfigError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def book_lines(text: str | None = None) -> list[str]:
    """The verses, one per entry, without the book titles and "Chapter N" lines (sentences for MLM)."""
    text = load_book() if text is None else text
    return [ln for ln in text.splitlines()
            if ln.strip() and not ln.startswith(("Chapter ", "THE GOSPEL"))]


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """(train, val): the first ``1 - val_fraction`` of the characters and the rest (held out, as nanoGPT
    does).  Raises ValueError for a fraction outside (0, 1) or a text too short to split."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    cut = int(round(len(text) * (1.0 - val_fraction)))
    if cut < 1 or cut >= len(text):
        raise ValueError(f"a text of {len(text)} characters is too short to hold out {val_fraction:.0%}")
    return text[:cut], text[cut:]
