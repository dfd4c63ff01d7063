"""Colour maps and palettes shared by the plot views.

pyqtgraph ships perceptual maps (viridis, magma, CET-*); matplotlib names that lessons commonly use
(``gray``, ``RdBu``, ``coolwarm``, ...) are defined here so the app does not need matplotlib.
``classesK`` (K = 2..10) is a banded map for K classes over levels (0, K): the band [c, c + 1)
runs from a pale to the full :func:`class_color` of class c, so a decision map "predicted class +
confidence" matches the colours of the points drawn on it.  Unknown names fall back to viridis
rather than failing a redraw.

Series and class colours are colour-blind safe: the series cycle is the Okabe-Ito palette (Okabe & Ito,
"Color Universal Design", 2002) without its black, which would vanish on the dark theme; the classes keep
TensorFlow Playground's orange and blue for classes 0 and 1 and continue with Okabe-Ito.  Every view that
draws series or classes takes its colours from :func:`series_color` and :func:`class_color`.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg

ORANGE = "#f59322"          # TensorFlow Playground's negative / class 0 colour
BLUE = "#0877bd"            # positive / class 1
# Okabe-Ito: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow (black left out)
OKABE_ITO = ("#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#f0e442")
SERIES_COLORS = OKABE_ITO
# Classes 0-6 stay apart for deuteranopes; no palette keeps ten hues apart, so 7-9 add grey, brown, indigo.
CLASS_COLORS = (ORANGE, BLUE, "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#f0e442", "#999999", "#8c564b",
                "#332288")
COLORBLIND_SAFE_CLASSES = 7             # the first classes of CLASS_COLORS that stay distinct

_CUSTOM: dict[str, tuple[tuple[float, ...], tuple[str, ...]]] = {
    "gray": ((0.0, 1.0), ("#000000", "#ffffff")),
    "grey": ((0.0, 1.0), ("#000000", "#ffffff")),
    "gray_r": ((0.0, 1.0), ("#ffffff", "#000000")),
    "greys": ((0.0, 1.0), ("#ffffff", "#000000")),
    "blues": ((0.0, 1.0), ("#f7fbff", "#08306b")),
    "reds": ((0.0, 1.0), ("#fff5f0", "#67000d")),
    "oranges": ((0.0, 1.0), ("#fff5eb", "#7f2704")),
    "rdbu": ((0.0, 0.5, 1.0), ("#b2182b", "#f7f7f7", "#2166ac")),
    "rdbu_r": ((0.0, 0.5, 1.0), ("#2166ac", "#f7f7f7", "#b2182b")),
    "bwr": ((0.0, 0.5, 1.0), ("#0000ff", "#ffffff", "#ff0000")),
    "coolwarm": ((0.0, 0.5, 1.0), ("#3b4cc0", "#dddddd", "#b40426")),
    "seismic": ((0.0, 0.5, 1.0), ("#00004c", "#ffffff", "#7f0000")),
    "puor": ((0.0, 0.5, 1.0), ("#b35806", "#f7f7f7", "#542788")),
    "playground": ((0.0, 0.5, 1.0), (ORANGE, "#e8eaeb", BLUE)),
}


@lru_cache(maxsize=64)
def colormap(name: str | None) -> pg.ColorMap:
    """The pyqtgraph ColorMap called ``name`` (matplotlib-style names accepted, case-insensitive
    for the custom ones); viridis when the name is unknown."""
    if not name:
        return pg.colormap.get("viridis")
    if name.lower().startswith("classes") and name[7:].isdigit() and 2 <= int(name[7:]) <= len(CLASS_COLORS):
        return _class_bands(int(name[7:]))
    custom = _CUSTOM.get(name.lower())
    if custom is not None:
        pos, colors = custom
        return pg.ColorMap(np.array(pos), [pg.mkColor(c) for c in colors], name=name)
    try:
        return pg.colormap.get(name)
    except (FileNotFoundError, KeyError, ValueError, OSError):
        return pg.colormap.get("viridis")


def _class_bands(k: int) -> pg.ColorMap:
    pos, colors = [], []
    for c in range(k):
        full = np.array(pg.mkColor(class_color(c)).getRgb()[:3], dtype=float)
        pale = 255.0 - 0.22 * (255.0 - full)                  # 22 % of the way from white
        pos += [c / k, (c + 1) / k - 1e-6]
        colors += [pg.mkColor(*pale.astype(int)), pg.mkColor(*full.astype(int))]
    return pg.ColorMap(np.array(pos), colors, name=f"classes{k}")


def class_color(i: int) -> str:
    """Colour of class ``i`` (cycles through ten colours; the first seven are colour-blind safe)."""
    return CLASS_COLORS[int(i) % len(CLASS_COLORS)]


def series_color(i: int) -> str:
    """Colour of the i-th curve of a plot (cycles through the seven Okabe-Ito colours)."""
    return SERIES_COLORS[i % len(SERIES_COLORS)]


def is_dark(color) -> bool:
    """True if text drawn on ``color`` should be white (relative luminance below ~0.5)."""
    c = pg.mkColor(color)
    lum = 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF()
    return lum < 0.5


@lru_cache(maxsize=512)
def symbol_brush(color: str) -> pg.QtGui.QBrush:
    """One shared QBrush per colour, for per-point scatter brushes.  pyqtgraph's symbol atlas keys its
    cached symbol images by the brush *object*: a fresh ``mkBrush`` per point and redraw re-renders every
    symbol on every redraw (about 5 ms for 100 points).  Do not modify the returned brush."""
    return pg.mkBrush(color)


@lru_cache(maxsize=64)
def symbol_pen(color: str, width: float = 1.0) -> pg.QtGui.QPen:
    """One shared QPen per (colour, width) for scatter symbols; see :func:`symbol_brush`."""
    return pg.mkPen(color, width=width)
