"""Exported SVGs render outside Qt as they do in Qt (issue #13): librsvg drew every curve as a filled band,
because Qt writes cosmetic pens as ``vector-effect="non-scaling-stroke"`` under a data-to-pixel transform."""
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QImage

from visualizer.core.plotdata import CurvesData, PlotSpec
from visualizer.ui.app import configure_pyqtgraph
from visualizer.ui.plots import make_plot_view
from visualizer.ui.svg_export import standardize_svg
from tests.ui.sample_data import sample

RSVG = shutil.which("rsvg-convert")
needs_rsvg = pytest.mark.skipif(RSVG is None, reason="rsvg-convert not installed (apt package librsvg2-bin, "
                                                     "which .ci/run installs)")
SVG = "{http://www.w3.org/2000/svg}"


def shown(qtbot, spec, data):
    configure_pyqtgraph()                     # white background, as the app draws it
    view = make_plot_view(spec)
    qtbot.addWidget(view)
    view.resize(520, 380)
    view.show()
    qtbot.waitExposed(view)
    view.set_data(data)
    qtbot.wait(20)
    return view


def pixels(path) -> np.ndarray:
    """The PNG at ``path`` as an (h, w, 3) uint8 array, composited on white."""
    img = QImage(str(path)).convertToFormat(QImage.Format.Format_ARGB32)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    arr = arr[:, :img.width()].astype(float)
    bgr, alpha = arr[..., :3], arr[..., 3:] / 255
    return (bgr * alpha + 255 * (1 - alpha))[..., ::-1].astype(np.uint8)


def rsvg(svg_path, png_path) -> np.ndarray:
    subprocess.run([RSVG, "-b", "white", "-o", str(png_path), str(svg_path)], check=True, timeout=60)
    return pixels(png_path)


def curve_view(qtbot):
    x = np.arange(1, 201, dtype=float)
    data = CurvesData({"train_loss": (x, 1 / np.sqrt(x)), "val_loss": (x[9::10], 1.1 / np.sqrt(x[9::10]))})
    spec = PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss"), y_label="mean loss")
    return shown(qtbot, spec, data)


def test_qt_dialect_is_rewritten_as_plain_svg():
    qt = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<svg width="137.58mm" height="100.54mm" viewBox="0 0 520 380" xmlns="http://www.w3.org/2000/svg"
 xmlns:xlink="http://www.w3.org/1999/xlink" version="1.2" baseProfile="tiny">
<g fill="none" stroke="black"><g fill="none" stroke="#1f77b4" stroke-width="2"
 transform="matrix(10,0,0,-100,20,300)" font-family="Sans Serif">
<path vector-effect="non-scaling-stroke" fill-rule="evenodd" d="M1,1 L2,0.5 C3,0.4 4,0.3 5,0.2"/>
<polyline vector-effect="non-scaling-stroke" points="0,0 1e1,0 "/><rect vector-effect="non-scaling-stroke" x="0" y="0"
 width="1" height="1"/><text x="4" y="5">loss</text></g><g transform="matrix(1,0,0,1,0,0)"></g></g></svg>"""
    root = ET.fromstring(standardize_svg(qt))
    assert (root.get("width"), root.get("height"), root.get("version")) == ("520", "380", "1.1")
    assert "vector-effect" not in ET.tostring(root).decode()
    path, rect_path = list(root.iter(f"{SVG}path"))
    polyline = root.find(f".//{SVG}polyline")
    assert path.get("d") == "M 30,200 L 40,250 C 50,260 60,270 70,280"
    assert polyline.get("points") == "20,300 120,300" and polyline.get("fill") == "none"
    assert rect_path.get("d") == "M20,300 L30,300 L30,200 L20,200 Z"
    text = root.find(f".//{SVG}text")
    assert text.get("transform") == "matrix(10,0,0,-100,20,300)" and text.text == "loss"
    assert all(g.get("transform") is None for g in root.iter(f"{SVG}g"))
    assert "sans-serif" in next(g for g in root.iter(f"{SVG}g") if g.get("font-family")).get("font-family")
    assert sum(1 for _ in root.iter(f"{SVG}g")) == 2          # the empty group is gone


def test_exported_svg_parses_and_keeps_the_axis_labels_as_text(qtbot, tmp_path):
    view = curve_view(qtbot)
    view.export_svg(tmp_path / "loss.svg")
    root = ET.parse(tmp_path / "loss.svg").getroot()
    texts = {"".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")}
    assert {"mean loss", "step"} <= texts
    assert "vector-effect" not in (tmp_path / "loss.svg").read_text()


@needs_rsvg
def test_curves_render_in_librsvg_as_lines_on_a_light_background(qtbot, tmp_path):
    view = curve_view(qtbot)
    view.export_svg(tmp_path / "loss.svg")
    img = rsvg(tmp_path / "loss.svg", tmp_path / "loss.png")
    band = view.export_title_height()                             # the title line above the plot
    assert img.shape[:2] == (380 + band, 520)                     # pixels, not millimetres at 72 dpi
    area = img[band + 20:band + 330, 60:500]                      # inside the axes
    light = (area.min(axis=2) > 200).mean()
    assert light > 0.85, f"only {light:.0%} of the plot area is background: curves drawn as filled shapes?"
    dark = (img.max(axis=2) < 90).mean()
    assert dark < 0.03, f"{dark:.1%} of the picture is near-black: heavy black grid lines?"
    qt = pixels_of_view(view, tmp_path)
    assert np.abs(img.astype(int) - qt.astype(int)).mean() < 6    # librsvg draws what Qt draws


def pixels_of_view(view, tmp_path) -> np.ndarray:
    view.render_image(1.0).save(str(tmp_path / "qt.png"))
    return pixels(tmp_path / "qt.png")


@needs_rsvg
@pytest.mark.parametrize("kind", ["image", "matrix"])
def test_images_render_in_librsvg_as_in_qt(qtbot, tmp_path, kind):
    """A heat map keeps its sharp cells (librsvg ignores image-rendering and would blur a 3×3 matrix)."""
    spec, data, _ = sample(kind)
    view = shown(qtbot, spec, data)
    view.export_svg(tmp_path / "p.svg")
    img = rsvg(tmp_path / "p.svg", tmp_path / "p.png")
    qt = pixels_of_view(view, tmp_path)
    assert img.shape == qt.shape
    diff = np.abs(img.astype(int) - qt.astype(int)).max(axis=2)
    assert diff.mean() < 6 and (diff > 60).mean() < 0.02
