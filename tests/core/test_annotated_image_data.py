"""AnnotatedImageData: shapes are checked with a message naming the array, and table() is its CSV."""
import numpy as np
import pytest

from visualizer.core.plotdata import AnnotatedImageData

IMG = np.zeros((4, 5, 3), np.float32)


def full() -> AnnotatedImageData:
    mask = np.zeros((4, 5), np.int64)
    mask[0, :2] = 1
    mask[3, 4] = -1
    return AnnotatedImageData(
        IMG, boxes=np.array([[0, 0, 2, 3], [1, 1, 4, 4]], np.float32), box_classes=np.array([0, 1]),
        box_labels=["cat 0.9", "dog"], box_styles=["solid", "dashed"], mask=mask,
        heat=np.zeros((2, 2), np.float32), points=np.array([[1.5, 2.5]], np.float32), point_classes=np.array([1]),
        point_labels=["nose"], segments=np.array([[[0, 0], [1, 1]]], np.float32), segment_classes=np.array([0]),
        arrows=np.array([[1, 1, 2, -1]], np.float32), class_names=("cat", "dog"), caption="scene 3")


def test_a_complete_picture_is_valid_and_its_table_has_one_row_per_item():
    data = full()
    assert data.rgb and not AnnotatedImageData(IMG[..., 0]).rgb
    header, rows = data.table()
    assert header == ["kind", "index", "class", "label", "x0", "y0", "x1", "y1"]
    assert rows[0] == ["box", 0, "cat", "cat 0.9", 0.0, 0.0, 2.0, 3.0]
    assert rows[1][:4] == ["box", 1, "dog", "dog"]
    assert rows[2] == ["point", 0, "dog", "nose", 1.5, 2.5, "", ""]
    assert rows[3] == ["segment", 0, "cat", "", 0.0, 0.0, 1.0, 1.0]
    assert rows[4] == ["arrow", 0, "", "", 1.0, 1.0, 3.0, 0.0]                 # to (x + dx, y + dy)
    mask_rows = {r[2]: r[3] for r in rows if r[0] == "mask"}
    assert mask_rows == {"void": "1 pixels", "background": "17 pixels", "cat": "2 pixels"}


@pytest.mark.parametrize("change, message", [
    (dict(image=np.zeros((4, 5, 4))), "image must be"),
    (dict(boxes=np.zeros((2, 3))), "boxes must be"),
    (dict(box_classes=np.array([0])), "box_classes has 1 entries for 2"),
    (dict(box_labels=["one"]), "box_labels has 1"),
    (dict(box_styles=["solid", "wavy"]), "box style 'wavy'"),
    (dict(mask=np.zeros((5, 4), np.int64)), "mask must be the image's"),
    (dict(heat=np.zeros((2, 2, 2))), "heat must be"),
    (dict(points=np.zeros((2, 3))), "points must be"),
    (dict(point_labels=["a", "b"]), "point_labels has 2"),
    (dict(segments=np.zeros((1, 2, 3))), "segments must be"),
    (dict(arrows=None), "arrow_classes has 1 entries for 0"),
])
def test_a_mismatched_array_is_named(change, message):
    kw = dict(full().__dict__)
    kw["arrow_classes"] = np.array([0])
    AnnotatedImageData(**kw)                     # valid with arrow classes
    kw.update(change)
    with pytest.raises(ValueError, match=message):
        AnnotatedImageData(**kw)


def test_class_ids_must_be_one_dimensional_integers():
    with pytest.raises(ValueError, match="box_classes"):
        AnnotatedImageData(IMG, boxes=np.zeros((2, 4)), box_classes=np.zeros((2, 1), np.int64))
    with pytest.raises(ValueError, match="mask"):
        AnnotatedImageData(IMG, mask=np.zeros((4, 5), np.float32) + 0.5)
