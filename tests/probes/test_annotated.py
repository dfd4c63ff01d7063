"""mosaic: several annotated pictures tiled into one, every annotation moved with its tile."""
import numpy as np
import pytest

from visualizer.core.plotdata import AnnotatedImageData
from visualizer.probes.annotated import mosaic


def item(value: float, *, boxes=True, heat=None, caption="", grey=False):
    image = np.full((4, 6) if grey else (4, 6, 3), value, np.float32)
    mask = np.zeros((4, 6), np.int64)
    mask[1, 2] = 3
    kw = {}
    if boxes:
        kw.update(boxes=np.array([[1, 1, 3, 2]], np.float32), box_classes=np.array([2]), box_labels=["b"],
                  box_styles=["dashed"])
    return AnnotatedImageData(image, mask=mask, heat=heat, points=np.array([[0.5, 0.5]], np.float32),
                              segments=np.array([[[0, 0], [1, 2]]], np.float32),
                              arrows=np.array([[1, 1, 2, -1]], np.float32), arrow_classes=np.array([1]),
                              class_names=("a", "b", "c"), caption=caption, **kw)


def test_tiles_are_laid_out_in_rows_with_gaps_and_annotations_move_with_them():
    out = mosaic([item(0.1, caption="one"), item(0.2, caption="two"), item(0.3, boxes=False)], ncols=2, gap=2)
    assert out.image.shape == (4 + 2 + 4, 6 + 2 + 6, 3)
    assert out.image[0, 0, 0] == pytest.approx(0.1) and out.image[0, 8, 0] == pytest.approx(0.2)
    assert out.image[6, 0, 0] == pytest.approx(0.3) and out.image[6, 8, 0] == 1.0     # no fourth tile: white
    assert out.image[0, 6:8].tolist() == [[1.0] * 3] * 2                              # the gap is white
    np.testing.assert_allclose(out.boxes, [[1, 1, 3, 2], [9, 1, 11, 2]])             # the third has none
    assert out.box_classes.tolist() == [2, 2] and list(out.box_labels) == ["b", "b"]
    assert list(out.box_styles) == ["dashed", "dashed"]
    np.testing.assert_allclose(out.points, [[0.5, 0.5], [8.5, 0.5], [0.5, 6.5]])
    np.testing.assert_allclose(out.segments[2], [[0, 6], [1, 8]])
    np.testing.assert_allclose(out.arrows[1], [9, 1, 2, -1])                          # vectors unchanged
    assert out.arrow_classes.tolist() == [1, 1, 1] and out.point_classes is None
    assert out.mask[1, 2] == 3 and out.mask[1, 10] == 3 and out.mask[7, 2] == 3 and (out.mask > 0).sum() == 3
    assert out.caption == "one | two" and tuple(out.class_names) == ("a", "b", "c")
    out.validate()


def test_a_near_square_grid_by_default_and_one_row_when_asked():
    assert mosaic([item(0.0)] * 4, gap=0).image.shape == (8, 12, 3)
    assert mosaic([item(0.0)] * 4, ncols=4, gap=1).image.shape == (4, 27, 3)
    assert mosaic([item(0.0)] * 2, ncols=5, gap=1).image.shape == (4, 13, 3)        # no empty columns


def test_heat_maps_are_brought_to_the_picture_and_tiled_with_nan_elsewhere():
    coarse = np.array([[0.0, 1.0]], np.float32)                       # (1, 2): left half 0, right half 1
    out = mosaic([item(0.0, heat=coarse), item(0.0)], ncols=2, gap=2)
    assert out.heat.shape == out.image.shape[:2]
    assert out.heat[:, :3].tolist() == [[0.0] * 3] * 4 and out.heat[:, 3:6].tolist() == [[1.0] * 3] * 4
    assert np.isnan(out.heat[:, 6:]).all()                            # gap and the tile without a heat map


def test_grey_and_colour_tiles_mix_and_classes_are_filled():
    no_classes = AnnotatedImageData(np.zeros((4, 6), np.float32), boxes=np.array([[0, 0, 1, 1]], np.float32))
    out = mosaic([item(0.5, grey=True), item(0.2), no_classes], ncols=3, gap=0)
    assert out.rgb and out.image[0, 0].tolist() == [0.5] * 3
    assert out.box_classes.tolist() == [2, 2, -1] and list(out.box_labels) == ["b", "b", ""]
    assert list(out.box_styles) == ["dashed", "dashed", "solid"]


def test_bad_input_is_refused_with_a_message():
    with pytest.raises(ValueError, match="at least one"):
        mosaic([])
    small = AnnotatedImageData(np.zeros((3, 6), np.float32))
    with pytest.raises(ValueError, match="one size"):
        mosaic([item(0.0), small])
    with pytest.raises(ValueError, match="gap"):
        mosaic([item(0.0)], gap=-1)
