"""Colour images: tiles (N, H, W, 3) in the image_grid view and pictures (H, W, 3) in the image view
are drawn as RGBA without a colour bar, exported with their colours, NaN gaps left transparent; and
every plot of cnn_scratch on a fake CIFAR-10 draws."""
import csv

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from lessons.cnn_scratch.lesson import LESSON
from tests.core.test_data_cifar10 import fake_cifar10
from tests.lessons.test_cnn_scratch_cifar10 import point_source
from visualizer.data import cifar10
from visualizer.core.plotdata import ImageData, ImageGridData, PlotSpec
from visualizer.ui.plots import make_plot_view
from visualizer.ui.plots.image import ImageView
from visualizer.ui.plots.image_grid import ImageGridView, rgba_from_rgb

SPEC = PlotSpec("samples", "Samples", "image_grid")


def shown(qtbot, spec, lesson_cls=None, size=(520, 380)):
    view = make_plot_view(spec, lesson_cls)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def colour_tiles():
    """Four 6×6 tiles: pure red, pure green, pure blue, and a left-to-right grey ramp."""
    tiles = np.zeros((4, 6, 6, 3), np.float32)
    for c in range(3):
        tiles[c, :, :, c] = 1.0
    tiles[3] = np.linspace(0.0, 1.0, 6)[None, :, None]
    return ImageGridData(tiles, ["red", "green", "blue", "ramp"], ncols=4)


def test_rgba_from_rgb_maps_levels_and_leaves_gaps_transparent():
    rgb = np.array([[[0.0, 0.5, 1.0], [np.nan, np.nan, np.nan]],
                    [[2.0, -1.0, np.inf], [np.nan, 0.25, -np.inf]]], np.float32)
    out = rgba_from_rgb(rgb, (0.0, 1.0))
    assert out.dtype == np.uint8 and out.shape == (2, 2, 4)
    assert out[0, 0].tolist() == [0, 128, 255, 255]
    assert out[0, 1, 3] == 0                                   # all NaN: a gap between tiles
    assert out[1, 0].tolist() == [255, 0, 255, 255]            # clipped; +Inf full
    assert out[1, 1].tolist() == [0, 64, 0, 255]               # one NaN channel: drawn, that channel dark
    assert rgba_from_rgb(np.full((1, 1, 3), 0.0, np.float32), (-1.0, 1.0))[0, 0, :3].tolist() == [128] * 3


def test_colour_tiles_are_drawn_as_rgb_without_colour_bar(qtbot, tmp_path):
    view = shown(qtbot, SPEC)
    assert isinstance(view, ImageGridView)
    data = colour_tiles()
    view.set_data(ImageGridData(np.zeros((4, 6, 6), np.float32), data.captions, ncols=4))   # same layout, grey
    view.set_data(data)
    assert view.rgb and view.rgb_item.isVisible() and not view.image_item.isVisible()
    placed = view.rgb_item.mapRectToParent(view.rgb_item.boundingRect())
    assert placed == view.image_item.mapRectToParent(view.image_item.boundingRect())     # the same mosaic
    assert not view.colorbar.isVisible()
    img = view.rgb_item.image
    assert img.dtype == np.uint8 and img.shape[2] == 4
    for i, expected in enumerate(([255, 0, 0], [0, 255, 0], [0, 0, 255])):
        x0, y0 = (int(v) for v in view.tile_origins[i])
        assert img[y0 + 2, x0 + 3].tolist() == expected + [255]
    x0, y0 = (int(v) for v in view.tile_origins[3])
    assert img[y0, x0:x0 + 6, 0].tolist() == [0, 51, 102, 153, 204, 255]
    assert img[y0, x0 - 1, 3] == 0                             # the gap before the tile is transparent
    assert view.captions.texts() == ["red", "green", "blue", "ramp"]

    view.export_png(tmp_path / "rgb.png")
    png = QImage(str(tmp_path / "rgb.png"))
    colours = {QColor(png.pixel(x, y)).getRgb()[:3] for x in range(0, png.width(), 3)
               for y in range(0, png.height(), 3)}
    assert {(255, 0, 0), (0, 255, 0), (0, 0, 255)} <= colours     # the colours reach the exported picture
    view.export_csv(tmp_path / "rgb.csv")
    rows = list(csv.reader((tmp_path / "rgb.csv").open()))
    assert rows[0][:5] == ["index", "caption", "p0_0_R", "p0_0_G", "p0_0_B"] and len(rows) == 5
    assert [float(v) for v in rows[1][2:5]] == [1.0, 0.0, 0.0]
    view.export_svg(tmp_path / "rgb.svg")
    assert (tmp_path / "rgb.svg").stat().st_size > 0

    view.set_data(ImageGridData(np.zeros((2, 5, 5), np.float32), ["a", "b"]))    # back to a colour map
    assert not view.rgb and view.image_item.isVisible() and not view.rgb_item.isVisible()
    assert view.colorbar.isVisible()
    with pytest.raises(ValueError, match=r"\(N, H, W\) or \(N, H, W, 3\)"):
        view.set_data(ImageGridData(np.zeros((2, 5, 5, 4), np.float32)))


def test_image_view_draws_a_colour_picture_row_0_at_the_bottom(qtbot, tmp_path):
    view = shown(qtbot, PlotSpec("map", "Map", "image"))
    assert isinstance(view, ImageView)
    scalar = ImageData(np.zeros((4, 5), np.float32), extent=(0.0, 4.0, 0.0, 3.0))
    view.set_data(scalar)
    picture = np.zeros((4, 5, 3), np.float32)
    picture[0, :, 0] = 1.0                                     # bottom row red
    picture[3, :, 2] = 0.5                                     # top row half blue
    view.set_data(ImageData(picture, extent=(0.0, 4.0, 0.0, 3.0)))
    assert view.rgb and view.rgb_item.isVisible() and not view.image_item.isVisible()
    assert not view.colorbar.isVisible()
    assert view.rgb_item.image[0, 0].tolist() == [255, 0, 0, 255]
    assert view.rgb_item.image[3, 0].tolist() == [0, 0, 128, 255]
    rect = view.rgb_item.mapRectToParent(view.rgb_item.boundingRect())
    assert rect == view.image_item.mapRectToParent(view.image_item.boundingRect())   # same place as a field
    assert rect.top() == pytest.approx(-0.5)                   # row 0 at the bottom (smallest y)
    header, rows = ImageData(picture).table()
    assert header[-3:] == ["R", "G", "B"] and rows[0][-3:] == [1.0, 0.0, 0.0]
    view.export_png(tmp_path / "picture.png")
    assert not QImage(str(tmp_path / "picture.png")).isNull()
    view.set_data(scalar)
    assert not view.rgb and view.image_item.isVisible() and view.colorbar.isVisible()


def test_every_cnn_scratch_plot_draws_colour_data(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / cifar10.SOURCE.folder
    folder.mkdir(parents=True)
    point_source(monkeypatch, fake_cifar10(folder / cifar10.SOURCE.filename))
    lesson = LESSON(LESSON.hyperparameters({"dataset": "cifar10", "filter_layer": 1}))
    lesson.train_step(1)
    snap = lesson.snapshot()
    assert lesson.data.channels == 3
    for spec in LESSON.plots:
        if spec.kind == "curves":
            continue
        view = shown(qtbot, spec, LESSON, size=(700, 400))
        view.set_data(snap[spec.id])
        assert view.has_data, spec.id
        if spec.id in ("filters", "saliency", "ascent"):
            assert view.rgb and not view.colorbar.isVisible(), spec.id
        elif spec.kind == "image_grid":
            assert not view.rgb, spec.id
        view.export_png(tmp_path / f"{spec.id}.png")
        assert not QImage(str(tmp_path / f"{spec.id}.png")).isNull()
