"""The data of a word map plot (kind ``"word_map"``): words drawn as text at 2-D points.  Qt-free; the view
is ``view.WordMapView``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

MAX_MAP_WORDS = 150


@dataclass
class WordMapData:
    """Words at points: points (N, 2) float, words (N,) str, classes (N,) int indices into class_names
    (colours); highlight: indices of points drawn emphasized (the query word first, then its
    neighbours).  N ≤ 150 (the view draws every label)."""

    points: np.ndarray
    words: Sequence[str]
    classes: np.ndarray
    class_names: Sequence[str] = ()
    highlight: Sequence[int] = field(default_factory=list)
    x_label: str = ""
    y_label: str = ""

    def table(self) -> tuple[list[str], list[list]]:
        rows = []
        hl = set(int(i) for i in self.highlight)
        for i, w in enumerate(self.words):
            cls = self.class_names[int(self.classes[i])] if len(self.class_names) else ""
            rows.append([str(w), float(self.points[i, 0]), float(self.points[i, 1]), cls, int(i in hl)])
        return ["word", "x", "y", "class", "highlighted"], rows
