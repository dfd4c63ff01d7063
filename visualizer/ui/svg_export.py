"""Make Qt's SVG output render the same in librsvg, browsers, Inkscape and ImageMagick as it does in Qt.

``QSvgGenerator`` writes every cosmetic pen (pyqtgraph's curves, grid lines, axes) as
``vector-effect="non-scaling-stroke"`` inside a group whose ``transform`` maps data coordinates to
pixels, e.g. ``matrix(19.8,0,0,-320,25,339)``.  Renderers without that SVG Tiny 1.2 feature (librsvg,
ImageMagick) scale the 2-pixel stroke by 320, so a curve becomes a solid band (issue #13).
:func:`standardize_svg` rewrites the document with the standard library's XML parser so that no such
trick is needed:

* the group transforms of cosmetic pens are baked into the coordinates of paths, polylines, polygons
  and rects, and carried down onto the other children (text, images), so every stroke width is in pixels;
* ``vector-effect`` is dropped; open shapes get ``fill="none"`` of their own;
* the size is given in pixels (Qt writes millimetres at 72 dpi, so other tools scaled it by 1.33);
* font families get a generic ``sans-serif`` fallback (Qt's "Sans Serif" is no CSS generic name);
* embedded images meant to show sharp pixels are upscaled (nearest neighbour), since librsvg ignores
  ``image-rendering``;
* empty groups are removed.
"""
from __future__ import annotations

import base64
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_MATRIX = re.compile(r"^\s*matrix\(([^)]*)\)\s*$")
_PATH_TOKEN = re.compile(rf"[A-Za-z]|{_NUMBER}")
_GENERIC_FONTS = ("serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui")

MAX_IMAGE_PIXELS = 4_000_000     # an upscaled embedded image stays below this many pixels
Matrix = tuple[float, float, float, float, float, float]


def _tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _fmt(v: float) -> str:
    text = f"{v:.7g}"
    return "0" if text == "-0" else text


def _parse_matrix(text: str | None) -> Matrix | None:
    """The six numbers of ``matrix(a,b,c,d,e,f)``; None for anything else."""
    m = _MATRIX.match(text or "")
    if not m:
        return None
    nums = [float(v) for v in re.findall(_NUMBER, m.group(1))]
    return tuple(nums) if len(nums) == 6 else None      # type: ignore[return-value]


def _apply(t: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = t
    return a * x + c * y + e, b * x + d * y + f


def _bake_path(d: str, t: Matrix) -> str | None:
    """``d`` with every point mapped through ``t``; None if it uses commands other than absolute M/L/C/Q/Z
    (all that QSvgGenerator writes), so the caller keeps the transform instead."""
    out: list[str] = []
    coords: list[float] = []

    def flush() -> bool:
        if len(coords) % 2:
            return False
        for i in range(0, len(coords), 2):
            x, y = _apply(t, coords[i], coords[i + 1])
            out.append(f"{_fmt(x)},{_fmt(y)}")
        coords.clear()
        return True

    for token in _PATH_TOKEN.findall(d):
        if token.isalpha():
            if token not in "MLCQZ" or not flush():
                return None
            out.append(token)
        else:
            coords.append(float(token))
    return " ".join(out) if flush() else None


def _bake_points(points: str, t: Matrix) -> str | None:
    nums = [float(v) for v in re.findall(_NUMBER, points)]
    if len(nums) % 2:
        return None
    return " ".join("{},{}".format(*map(_fmt, _apply(t, nums[i], nums[i + 1]))) for i in range(0, len(nums), 2))


def _bake(el: ET.Element, t: Matrix) -> bool:
    """Map ``el``'s geometry through ``t`` in place; False if it cannot (the caller keeps a transform)."""
    if el.get("transform"):
        return False
    tag = _tag(el)
    if tag == "path":
        d = _bake_path(el.get("d", ""), t)
        if d is None:
            return False
        el.set("d", d)
        return True
    if tag in ("polyline", "polygon"):
        points = _bake_points(el.get("points", ""), t)
        if points is None:
            return False
        el.set("points", points)
        return True
    if tag == "rect":
        try:
            x, y = float(el.get("x", 0)), float(el.get("y", 0))
            w, h = float(el.get("width", 0)), float(el.get("height", 0))
        except ValueError:
            return False
        corners = [_apply(t, px, py) for px, py in ((x, y), (x + w, y), (x + w, y + h), (x, y + h))]
        for name in ("x", "y", "width", "height", "rx", "ry"):
            el.attrib.pop(name, None)
        el.tag = f"{{{SVG_NS}}}path"
        el.set("d", "M" + " L".join(f"{_fmt(px)},{_fmt(py)}" for px, py in corners) + " Z")
        return True
    return False


def _compose(transform: str) -> Matrix:
    """The product of the ``matrix(...)`` terms of a transform list (other terms are ignored)."""
    a, b, c, d, e, f = 1.0, 0.0, 0.0, 1.0, 0.0, 0.0
    for term in re.findall(r"matrix\([^)]*\)", transform):
        m = _parse_matrix(term)
        if m is not None:
            a2, b2, c2, d2, e2, f2 = m
            a, b, c, d, e, f = (a * a2 + c * b2, b * a2 + d * b2, a * c2 + c * d2, b * c2 + d * d2,
                                a * e2 + c * f2 + e, b * e2 + d * f2 + f)
    return a, b, c, d, e, f


def _sharpen_image(el: ET.Element) -> None:
    """Upscale an embedded PNG drawn larger than its pixels (a 3×3 confusion matrix, a 28×28 digit) by
    whole factors with nearest-neighbour sampling: renderers that ignore ``image-rendering`` (librsvg)
    would otherwise blur the cells into each other."""
    key = f"{{{XLINK_NS}}}href"
    href = el.get(key) or ""
    if not href.startswith("data:image/png;base64,"):
        return
    try:
        width, height = float(el.get("width", 0)), float(el.get("height", 0))
    except ValueError:
        return
    a, b, c, d, _, _ = _compose(el.get("transform", ""))
    shown_w, shown_h = width * math.hypot(a, b), height * math.hypot(c, d)
    img = QImage.fromData(base64.b64decode(href.split(",", 1)[1]), "PNG")
    if img.isNull() or img.width() < 1 or img.height() < 1:
        return
    if shown_w < 2 * img.width() and shown_h < 2 * img.height():
        return                                  # about one image pixel per screen pixel: smoothing is harmless
    # twice the shown size, so the cells stay crisp when the SVG is zoomed
    fx, fy = max(1, math.ceil(2 * shown_w / img.width())), max(1, math.ceil(2 * shown_h / img.height()))
    while fx * fy * img.width() * img.height() > MAX_IMAGE_PIXELS and (fx > 1 or fy > 1):
        fx, fy = max(1, fx // 2), max(1, fy // 2)
    if fx * fy <= 2:
        return
    # np.repeat, not QImage.scaled: Qt's nearest-neighbour scaling gives the cells unequal sizes
    img = img.convertToFormat(QImage.Format.Format_ARGB32)
    pixels = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    pixels = pixels[:, :4 * img.width()].reshape(img.height(), img.width(), 4)
    pixels = np.ascontiguousarray(np.repeat(np.repeat(pixels, fy, axis=0), fx, axis=1))
    big = QImage(pixels.data, pixels.shape[1], pixels.shape[0], 4 * pixels.shape[1], QImage.Format.Format_ARGB32)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if big.save(buf, "PNG"):
        el.set(key, "data:image/png;base64," + base64.b64encode(bytes(data)).decode("ascii"))
    buf.close()


def _flatten(group: ET.Element) -> None:
    """Bake ``group``'s matrix into its children (see the module docstring) and drop it."""
    t = _parse_matrix(group.get("transform"))
    if t is None:
        return
    del group.attrib["transform"]
    if t == (1.0, 0.0, 0.0, 1.0, 0.0, 0.0):
        return
    strokes_in_pixels = group.get("stroke") == "none"
    for child in list(group):
        cosmetic = strokes_in_pixels or child.get("vector-effect") == "non-scaling-stroke"
        if not (cosmetic and _bake(child, t)):
            own = child.get("transform", "")
            child.set("transform", ("matrix({}) {}".format(",".join(map(_fmt, t)), own)).strip())


def standardize_svg(data: bytes) -> bytes:
    """QSvgGenerator's document ``data`` rewritten as plain SVG 1.1 (module docstring).  Raises
    ``xml.etree.ElementTree.ParseError`` if ``data`` is not XML."""
    root = ET.fromstring(data)
    view_box = [float(v) for v in re.findall(_NUMBER, root.get("viewBox", ""))]
    if len(view_box) == 4:
        root.set("width", _fmt(view_box[2]))
        root.set("height", _fmt(view_box[3]))
    root.set("version", "1.1")
    root.attrib.pop("baseProfile", None)
    for el in list(root.iter()):
        tag = _tag(el)
        if tag == "g":
            _flatten(el)
        el.attrib.pop("vector-effect", None)
        if tag in ("polyline", "line"):
            el.set("fill", "none")
        family = el.get("font-family")
        if family and family.split(",")[-1].strip().strip("'\"").lower() not in _GENERIC_FONTS:
            el.set("font-family", f"{family}, sans-serif")
        if tag == "image" and el.get("image-rendering") == "optimizeSpeed":
            _sharpen_image(el)
    for parent in list(root.iter()):
        for child in list(parent):
            if _tag(child) == "g" and len(child) == 0:
                parent.remove(child)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
