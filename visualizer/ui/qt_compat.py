"""Guard against a reference-counting bug of PySide6 6.12.0 on Python < 3.12.

With PySide6/shiboken6 6.12.0 on CPython 3.11, every call of a Qt method that returns nothing
(``QLabel.setText``, ``QPainter.setPen``, ...) releases one reference to ``None`` that it never
took, and some calls made while painting do the same to ``True`` and ``False``.  Python 3.12 made
these singletons immortal (PEP 683), which hides the bug there; on 3.11 the count of ``None`` (a
few thousand at start) reaches zero after a few seconds of redrawing and the interpreter aborts
with "Fatal Python error: none_dealloc" (or "bool_dealloc").  PySide6 6.11.3 does not have the bug.

:func:`protect_none` measures whether the running PySide6 leaks (1,000 calls of a void method) and
only then raises the reference counts of None, True and False by 2**40, which is what immortality
means in practice: at a million leaked references per second it would last twelve days.  Nothing
happens on Python 3.12+ or with an unaffected PySide6.  Imported by ``visualizer.ui`` so that every Qt entry
point (the app, the CLI export, pytest-qt) is covered.
"""
from __future__ import annotations

import ctypes
import sys

BOOST = 1 << 40
_applied = False


def none_leak_per_call(calls: int = 1000) -> float:
    """References to None lost per call of a void Qt method (0.0 when PySide6 is correct)."""
    from PySide6.QtCore import QRectF

    rect = QRectF()
    before = sys.getrefcount(None)
    for _ in range(calls):
        rect.setWidth(1.0)
    return (before - sys.getrefcount(None)) / calls


def protect_none() -> bool:
    """Make the reference counts of None, True and False unreachable if this PySide6 leaks them.
    Returns True if applied."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _applied
    if none_leak_per_call() <= 0.5:
        return False
    # CPython 3.11 object header: ob_refcnt (Py_ssize_t) comes first; the GIL is held here.
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += BOOST
    _applied = True
    return True
