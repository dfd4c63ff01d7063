"""The generated shapes (visualizer/data/shapes.py): seeded, labelled by outline only, masks on the object."""
import numpy as np
import pytest

from visualizer.data.shapes import (SHAPES, SOURCE_CLASSES, TARGET_CLASSES, generate_shapes, source_sets,
                                    target_sets)


def test_the_set_is_a_function_of_its_seed_and_classes_do_not_disturb_each_other():
    a = generate_shapes(["circle", "tee"], 6, 32, seed=3)
    b = generate_shapes(["circle", "tee"], 6, 32, seed=3)
    c = generate_shapes(["circle", "tee"], 6, 32, seed=4)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.masks, b.masks)
    assert not np.array_equal(a.images, c.images)
    alone = generate_shapes(["tee"], 6, 32, seed=3)            # the tee draws the same images beside others
    assert np.allclose(np.sort(a.images[a.labels == 1].ravel()), np.sort(alone.images.ravel()))


def test_arrays_have_the_documented_shapes_dtypes_and_ranges():
    s = generate_shapes(list(SHAPES), 3, 48, seed=0)
    assert s.images.shape == (3 * len(SHAPES), 3, 48, 48) and s.images.dtype == np.float32
    assert 0.0 <= s.images.min() and s.images.max() <= 1.0
    assert s.masks.shape == (len(s), 48, 48) and s.masks.dtype == bool
    assert np.bincount(s.labels).tolist() == [3] * len(SHAPES)


def test_source_and_target_classes_are_disjoint_and_split_train_from_validation():
    assert not set(SOURCE_CLASSES) & set(TARGET_CLASSES)
    train, val = target_sets(5, 4, 32, seed=0)
    assert train.class_names == val.class_names == TARGET_CLASSES
    assert len(train) == 5 * len(TARGET_CLASSES) and len(val) == 4 * len(TARGET_CLASSES)
    assert not np.array_equal(train.images[:4], val.images[:4])
    s_train, _ = source_sets(2, 1, 32, seed=0)
    assert s_train.class_names == SOURCE_CLASSES


def test_every_object_is_visible_in_its_mask_and_stands_out_from_the_background():
    s = generate_shapes(list(SHAPES), 20, 32, seed=1)
    area = s.masks.mean(axis=(1, 2))
    assert area.min() > 0.02 and area.max() < 0.6                 # never empty, never the whole picture
    lum = s.images.mean(axis=1)                                    # (N, S, S)
    inside = (lum * s.masks).sum((1, 2)) / s.masks.sum((1, 2))
    outside = (lum * ~s.masks).sum((1, 2)) / (~s.masks).sum((1, 2))
    assert np.median(np.abs(inside - outside)) > 0.15


@pytest.mark.parametrize("bad", [dict(classes=["blob"]), dict(classes=["circle", "circle"]),
                                 dict(n_per_class=0), dict(size=8)])
def test_bad_arguments_raise_a_clear_error(bad):
    args = dict(classes=["circle"], n_per_class=2, size=32, seed=0) | bad
    with pytest.raises(ValueError, match="shape|classes|n_per_class"):
        generate_shapes(**args)
