"""The embedded 8×8 digits: scaling, stratified seeded split, dtype, bad fractions."""
import numpy as np
import pytest

from visualizer.data.digits import load_digits_split
from visualizer.data.split import DataSplit


def test_split_is_scaled_stratified_and_complete():
    d = load_digits_split(0.2, seed=0)
    assert d.x_train.shape == (1437, 64) and d.x_val.shape == (360, 64)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert d.x_train.min() == 0.0 and d.x_train.max() == 1.0
    counts_val = np.bincount(d.y_val, minlength=10)
    counts_all = counts_val + np.bincount(d.y_train, minlength=10)
    np.testing.assert_allclose(counts_val / counts_all, 0.2, atol=0.02)     # every class about 20 %
    assert d.image_shape == (8, 8) and d.n_classes == 10 and d.n_features == 64
    from sklearn.datasets import load_digits
    rows = {r.tobytes() for r in (load_digits().data / 16.0).astype(np.float32)}
    assert all(r.tobytes() in rows for r in np.concatenate([d.x_train, d.x_val]))   # the real images


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = load_digits_split(0.3, 5), load_digits_split(0.3, 5), load_digits_split(0.3, 6)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    assert len(a.y_val) == 540


def test_float64_option():
    d = load_digits_split(0.2, 0, dtype="float64")
    assert d.x_train.dtype == np.float64 and d.x_val.dtype == np.float64


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_bad_fraction_is_a_clear_error(fraction):
    with pytest.raises(ValueError, match="validation fraction"):
        load_digits_split(fraction)


def test_datasplit_checks_shapes():
    with pytest.raises(ValueError, match=r"shape \(N, 64\)"):
        DataSplit("x", np.zeros((3, 63)), np.zeros(3, np.int64), np.zeros((1, 64)), np.zeros(1, np.int64),
                  (8, 8), tuple("0123456789"))
    with pytest.raises(ValueError, match="labels"):
        DataSplit("x", np.zeros((3, 64)), np.zeros(2, np.int64), np.zeros((1, 64)), np.zeros(1, np.int64),
                  (8, 8), tuple("0123456789"))


def test_one_reader_and_image_shaped_loaders():
    from sklearn.datasets import load_digits

    from visualizer.data.digits import digit_images, load_digit_images_split, read_digits
    x, y = read_digits()
    bunch = load_digits()
    np.testing.assert_array_equal(x, (bunch.data / 16.0).astype(np.float32))
    np.testing.assert_array_equal(y, bunch.target)
    img8, _ = digit_images(8)
    np.testing.assert_array_equal(img8.reshape(-1, 64), x)
    img16, labels = digit_images(16)
    assert img16.shape == (1797, 16, 16) and img16.dtype == np.float32 and 0.0 <= img16.min() <= img16.max() <= 1.0
    d = load_digit_images_split(16, 0.2, seed=3)
    assert d.train_images().shape[1:] == (1, 16, 16) and len(d.y_train) + len(d.y_val) == 1797
    counts_val = np.bincount(d.y_val, minlength=10)
    np.testing.assert_allclose(counts_val / np.bincount(labels, minlength=10), 0.2, atol=0.02)
    np.testing.assert_array_equal(load_digit_images_split(16, 0.2, seed=3).x_val, d.x_val)
    assert not np.array_equal(load_digit_images_split(16, 0.2, seed=4).y_val, d.y_val)
