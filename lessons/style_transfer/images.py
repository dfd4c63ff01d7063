"""Images of the ``style_transfer`` lesson (Qt-free, numpy and Pillow): scikit-image's bundled photographs as
content, procedural style patterns (seeded numpy), and the user's own files.

Every function returns an RGB picture (S, S, 3) float32 in [0, 1], row 0 at the top.
"""
from __future__ import annotations

import numpy as np

from visualizer.core.errors import LessonConfigError

CONTENT_IMAGES = ("astronaut", "chelsea", "coffee", "rocket")
STYLE_PATTERNS = ("strokes", "waves", "mosaic", "dots")
MAX_FILE_BYTES = 200 * 2**20          # a file larger than this is refused before Pillow opens it


def _square_resize(rgb: np.ndarray, size: int) -> np.ndarray:
    """(H, W, 3) uint8 -> the centred square crop resized to (size, size, 3) float32 in [0, 1]."""
    from PIL import Image

    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    img = Image.fromarray(np.ascontiguousarray(rgb[top:top + side, left:left + side]))
    img = img.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
    return np.asarray(img, dtype=np.float32) / 255.0


def content_image(name: str, size: int) -> np.ndarray:
    """One of scikit-image's bundled photographs (``skimage.data``: astronaut, chelsea the cat, coffee,
    rocket), centre-cropped and resized -> (size, size, 3) float32 in [0, 1].  Raises ValueError for another
    name."""
    if name not in CONTENT_IMAGES:
        raise ValueError(f"unknown content image {name!r}; choose one of {CONTENT_IMAGES}")
    import skimage.data

    return _square_resize(getattr(skimage.data, name)(), size)


def _palette(rng: np.random.Generator, colours: list[tuple[int, int, int]], idx: np.ndarray) -> np.ndarray:
    table = np.asarray(colours, dtype=np.float32) / 255.0              # (K, 3)
    return table[idx % len(table)]


def style_pattern(name: str, size: int, seed: int = 0) -> np.ndarray:
    """A procedural style image -> (size, size, 3) float32 in [0, 1], the same for the same seed.

    strokes: short curved brush strokes in warm and cold colours that follow a swirling flow field (after van
    Gogh's *Starry Night*); waves: bands of blue and white along a warped sine (after Hokusai's wave); mosaic:
    Voronoi tiles in bright colours with dark grout (a stained-glass window); dots: overlapping coloured dots
    of several sizes on a light ground (pointillism).  Raises ValueError for another name."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size              # (S, S) in [0, 1)
    if name == "strokes":
        img = np.empty((size, size, 3), np.float32)
        img[:] = (0.08, 0.12, 0.30)
        colours = [(250, 210, 60), (240, 160, 40), (40, 80, 170), (90, 150, 220), (230, 240, 250), (20, 40, 110)]
        phase = rng.uniform(0, 2 * np.pi, 2)
        n = int(6 * size)
        for i in range(n):
            cy, cx = rng.uniform(0, 1, 2)
            ang = np.pi * np.sin(3 * cx + phase[0]) * np.cos(3 * cy + phase[1]) + np.pi / 2
            length, width = rng.uniform(0.04, 0.09), rng.uniform(0.006, 0.014)
            dy, dx = yy - cy, xx - cx
            u = dx * np.cos(ang) + dy * np.sin(ang)                          # along the stroke
            v = -dx * np.sin(ang) + dy * np.cos(ang) - 2.0 * u * u           # across it, slightly bent
            mask = (np.abs(u) < length) & (np.abs(v) < width * (1 - (u / length) ** 2) + 0.5 / size)
            colour = np.asarray(colours[rng.integers(len(colours))], np.float32) / 255.0
            img[mask] = colour * rng.uniform(0.85, 1.1)
        return np.clip(img, 0.0, 1.0)
    if name == "waves":
        f = rng.uniform(5, 7)
        warp = 0.08 * np.sin(2 * np.pi * (2.0 * xx + rng.uniform())) + 0.05 * np.sin(2 * np.pi * 5 * xx)
        t = np.sin(2 * np.pi * f * (yy + warp + 0.15 * np.sin(2 * np.pi * 3 * yy)))            # (S, S)
        dark, light, foam = np.array([0.05, 0.15, 0.4]), np.array([0.3, 0.55, 0.8]), np.array([0.95, 0.95, 0.9])
        s = (t[..., None] + 1) / 2
        img = dark * (1 - s) + light * s
        img = np.where((t > 0.85)[..., None], foam, img)
        return np.clip(img, 0.0, 1.0).astype(np.float32)
    if name == "mosaic":
        k = max(12, size // 5)
        centres = rng.uniform(0, 1, (k, 2)).astype(np.float32)                                 # (K, 2)
        d = (yy[..., None] - centres[:, 0]) ** 2 + (xx[..., None] - centres[:, 1]) ** 2         # (S, S, K)
        order = np.argsort(d, axis=-1)
        d_sorted = np.take_along_axis(d, order[..., :2], axis=-1)
        cell = order[..., 0]
        colours = [(200, 30, 40), (240, 190, 30), (30, 90, 180), (40, 150, 80), (240, 120, 30), (120, 50, 150)]
        img = _palette(rng, colours, rng.permutation(k)[cell])
        edge = np.sqrt(d_sorted[..., 1]) - np.sqrt(d_sorted[..., 0]) < 2.5 / size
        img[edge] = (0.08, 0.07, 0.06)
        return img.astype(np.float32)
    if name == "dots":
        img = np.empty((size, size, 3), np.float32)
        img[:] = (0.96, 0.93, 0.85)
        colours = [(220, 40, 60), (30, 110, 200), (250, 180, 20), (20, 140, 90), (40, 30, 40)]
        for _ in range(int(1.2 * size)):
            cy, cx = rng.uniform(0, 1, 2)
            r = rng.uniform(0.015, 0.05)
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
            img[mask] = np.asarray(colours[rng.integers(len(colours))], np.float32) / 255.0
        return img
    raise ValueError(f"unknown style pattern {name!r}; choose one of {STYLE_PATTERNS}")


def image_file(path: str, size: int, role: str) -> np.ndarray:
    """The user's image file -> (size, size, 3) float32 in [0, 1]: the centred square, resized (a huge photo
    is decoded at reduced scale, grayscale / RGBA / 16-bit converted; see
    ``visualizer.data.image_folder.read_image``).  role ("style" or "content") names the file in messages.

    Raises LessonConfigError with the reason for an empty path, a missing, oversized or unreadable file."""
    from pathlib import Path

    from visualizer.data.image_folder import read_image

    path = str(path).strip()
    if not path:
        raise LessonConfigError(f"The {role} image is 'file' but no file is chosen: pick an image file "
                                f"({role.capitalize()} file) or choose a bundled image.")
    p = Path(path).expanduser()
    if not p.is_file():
        raise LessonConfigError(f"The {role} image file {path} does not exist (or is a folder).")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise LessonConfigError(f"The {role} image file {path} is larger than {MAX_FILE_BYTES >> 20} MB: "
                                "choose a smaller picture.")
    try:
        chw = read_image(p, size)                                                 # (3, S, S)
    except OSError as e:
        raise LessonConfigError(f"The {role} image file {path} cannot be read as an image: {e}. The "
                                "previous image is kept.") from None
    return np.ascontiguousarray(chw.transpose(1, 2, 0))
