"""Several annotated pictures as one (Qt-free): a batch of detections, masks or poses shown side by side in
one :class:`~visualizer.core.plotdata.AnnotatedImageData`, so one view draws them all with one set of items.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from visualizer.core.plotdata import AnnotatedImageData

CAPTION_SEPARATOR = " | "


def _nearest_resize(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """(h', w') -> (h, w) by nearest neighbour: cell (r, c) takes a[floor(r h' / h), floor(c w' / w)], so a
    coarse map covers the picture exactly as the view stretches it."""
    rows = (np.arange(h) * a.shape[0]) // h
    cols = (np.arange(w) * a.shape[1]) // w
    return a[rows[:, None], cols[None, :]]


def _joined(items: Sequence[AnnotatedImageData], field: str, width: int, offsets: np.ndarray,
            shift: tuple[int, ...]) -> np.ndarray | None:
    """The arrays ``field`` of ``items`` concatenated (None if all are None), each shifted by its tile's
    offset (x, y) on the columns ``shift`` lists as 0 (x) or 1 (y)."""
    if all(getattr(it, field) is None for it in items):
        return None
    parts = []
    for it, (ox, oy) in zip(items, offsets):
        arr = getattr(it, field)
        if arr is None:
            continue
        arr = np.array(arr, dtype=np.float32).reshape(-1, width)
        arr[:, [i for i, s in enumerate(shift) if s == 0]] += ox
        arr[:, [i for i, s in enumerate(shift) if s == 1]] += oy
        parts.append(arr)
    return np.concatenate(parts)


def _classes(items: Sequence[AnnotatedImageData], field: str, ref: str) -> np.ndarray | None:
    """Class ids of ``field`` joined over ``items``; -1 (neutral) for items that have ``ref`` but no classes;
    None when no item has classes."""
    if all(getattr(it, field) is None for it in items):
        return None
    parts = []
    for it in items:
        n = 0 if getattr(it, ref) is None else len(getattr(it, ref))
        arr = getattr(it, field)
        parts.append(np.full(n, -1, np.int64) if arr is None else np.asarray(arr, dtype=np.int64).reshape(-1))
    return np.concatenate(parts)


def _texts(items: Sequence[AnnotatedImageData], field: str, ref: str, fill: str) -> list[str]:
    if not any(len(getattr(it, field)) for it in items):
        return []
    out: list[str] = []
    for it in items:
        n = 0 if getattr(it, ref) is None else len(getattr(it, ref))
        seq = getattr(it, field)
        out += [str(s) for s in seq] if len(seq) else [fill] * n
    return out


def mosaic(items: Sequence[AnnotatedImageData], ncols: int = 0, gap: int = 2) -> AnnotatedImageData:
    """Tile ``items`` (all with images of the same height and width) into one picture, row by row, ``ncols``
    per row (0: a near-square grid), ``gap`` white pixels between tiles.

    Every box, point, segment and arrow is shifted by its tile's offset; masks are tiled (background in the
    gaps); heat maps are brought to the picture's size by nearest neighbour (a coarse map covers its tile as
    the view would stretch it) and tiled, with NaN (drawn transparent) in the gaps and under tiles without
    one; the heat map's levels, colour map and label, the opacities, the limb width and the class names are
    the first item's that has them; captions are joined with " | ".  A grey picture among colour ones is
    repeated over the three channels.

    Raises ValueError for an empty list, images of different sizes, or a negative ``gap``."""
    items = list(items)
    if not items:
        raise ValueError("mosaic needs at least one annotated image")
    if gap < 0:
        raise ValueError(f"gap must be >= 0, got {gap}")
    sizes = {np.shape(it.image)[:2] for it in items}
    if len(sizes) != 1:
        raise ValueError(f"mosaic needs images of one size, got {sorted(sizes)}")
    h, w = sizes.pop()
    n = len(items)
    cols = ncols if ncols > 0 else max(1, math.ceil(math.sqrt(n)))
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    big_h, big_w = rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap
    offsets = np.array([((i % cols) * (w + gap), (i // cols) * (h + gap)) for i in range(n)], dtype=np.float32)
    rgb = any(it.rgb for it in items)
    image = np.ones((big_h, big_w, 3) if rgb else (big_h, big_w), np.float32)
    mask = np.zeros((big_h, big_w), np.int64) if any(it.mask is not None for it in items) else None
    has_heat = [it for it in items if it.heat is not None]
    heat = np.full((big_h, big_w), np.nan, np.float32) if has_heat else None
    for it, (ox, oy) in zip(items, offsets.astype(int)):
        tile = np.asarray(it.image, dtype=np.float32)
        if rgb and tile.ndim == 2:
            tile = np.repeat(tile[:, :, None], 3, axis=2)
        image[oy:oy + h, ox:ox + w] = tile
        if it.mask is not None:
            mask[oy:oy + h, ox:ox + w] = np.asarray(it.mask)
        if it.heat is not None:
            heat[oy:oy + h, ox:ox + w] = _nearest_resize(np.asarray(it.heat, dtype=np.float32), h, w)
    first_heat = has_heat[0] if has_heat else items[0]
    return AnnotatedImageData(
        image=image,
        boxes=_joined(items, "boxes", 4, offsets, (0, 1, 0, 1)),
        box_classes=_classes(items, "box_classes", "boxes"),
        box_labels=_texts(items, "box_labels", "boxes", ""),
        box_styles=_texts(items, "box_styles", "boxes", "solid"),
        mask=mask,
        mask_alpha=next((it.mask_alpha for it in items if it.mask is not None), items[0].mask_alpha),
        heat=heat,
        heat_levels=first_heat.heat_levels,
        heat_colormap=first_heat.heat_colormap,
        heat_alpha=first_heat.heat_alpha,
        heat_label=first_heat.heat_label,
        points=_joined(items, "points", 2, offsets, (0, 1)),
        point_classes=_classes(items, "point_classes", "points"),
        point_labels=_texts(items, "point_labels", "points", ""),
        segments=None if (seg := _joined(items, "segments", 4, offsets, (0, 1, 0, 1))) is None
        else seg.reshape(-1, 2, 2),
        segment_classes=_classes(items, "segment_classes", "segments"),
        segment_width=next((it.segment_width for it in items if it.segments is not None), items[0].segment_width),
        arrows=_joined(items, "arrows", 4, offsets, (0, 1, 2, 2)),
        arrow_classes=_classes(items, "arrow_classes", "arrows"),
        class_names=next((tuple(it.class_names) for it in items if len(it.class_names)), ()),
        caption=CAPTION_SEPARATOR.join(str(it.caption) for it in items if it.caption),
    )
