"""The window's saved state, read back from QSettings with every value checked.

A settings file can hold anything: edited by hand, written by another version of the app, damaged
on disk.  Each reader here takes the raw value ``QSettings.value`` returned (of any type) and gives
back a value that is safe to use, or None (or the default) so the caller uses its default.  Nothing
here raises on a bad value.  A collapsed splitter (a pane of width 0) counts as bad, both when it
is read and before it is saved, so a hidden panel never comes back on the next start.
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QWidget

MIN_PANE = 60                   # pixels: the narrowest browser or lesson pane that counts as shown
MAX_TOTAL = 100_000             # pixels: wider splitter totals than this are damage, not screens
MIN_WINDOW = (400, 300)         # pixels: the smallest window restored as it was

_SPLITTER_MARKER = 0xFF         # what QSplitter.saveState() writes first (Qt 5 and 6)

def sane_sizes(sizes: list[int], count: int = 2) -> bool:
    """True if ``sizes`` (pixels, one per pane) are ``count`` integers, each at least ``MIN_PANE``, with a
    total of at most ``MAX_TOTAL``."""
    return (len(sizes) == count and all(isinstance(s, int) and s >= MIN_PANE for s in sizes)
            and sum(sizes) <= MAX_TOTAL)


def splitter_sizes(value: Any, count: int = 2) -> list[int] | None:
    """The pane sizes (pixels) held in a ``QSplitter.saveState()`` blob, if they pass :func:`sane_sizes`;
    None for anything else (another type, bytes that are not a splitter state, a collapsed or absurd
    layout).  Only the sizes are read: the caller applies them with ``setSizes``, so the rest of a
    damaged blob never reaches the splitter."""
    if isinstance(value, QByteArray):
        value = bytes(value.data())
    if not isinstance(value, (bytes, bytearray)) or len(value) < 12:
        return None
    marker, version, n = struct.unpack_from(">iii", value)
    if marker != _SPLITTER_MARKER or n != count or len(value) < 12 + 4 * n:
        return None
    sizes = list(struct.unpack_from(f">{n}i", value, 12))
    return sizes if sane_sizes(sizes, count) else None


def restore_geometry(window: QWidget, value: Any) -> bool:
    """Restore ``window``'s saved geometry (a ``saveGeometry()`` blob) if it gives a window of at least
    ``MIN_WINDOW`` pixels whose centre lies on a screen.  Returns False when the caller must set a
    default size and place (the window may have been changed by the attempt)."""
    if not isinstance(value, (QByteArray, bytes, bytearray)) or not window.restoreGeometry(QByteArray(value)):
        return False
    if window.width() < MIN_WINDOW[0] or window.height() < MIN_WINDOW[1]:
        return False
    centre = window.frameGeometry().center()
    screens = window.screen().virtualSiblings() or [window.screen()]
    return any(s.availableGeometry().contains(centre) for s in screens)


def folder(value: Any, default: str) -> str:
    """``value`` if it is the path (text) of an existing folder, else ``default``."""
    if isinstance(value, str) and value.strip():
        try:
            if Path(value).is_dir():
                return value
        except (OSError, ValueError):          # a name too long, a NUL byte: not a usable folder
            pass
    return default


def text(value: Any, default: str = "") -> str:
    """``value`` if it is a string, else ``default`` (a list, a number, an unreadable variant)."""
    return value if isinstance(value, str) else default
