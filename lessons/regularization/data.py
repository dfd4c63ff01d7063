"""The regularization lesson's data: a small stratified training set of the 8×8 digits, all the others held
out for validation, and the size checks that keep a run meaningful (Qt-free)."""
from __future__ import annotations

from visualizer.core.lesson import LessonConfigError
from visualizer.data.digits import load_digits_split
from visualizer.data.split import DataSplit

N_DIGITS = 1797                 # images in scikit-learn's digits
MIN_VAL = 100                   # validation images the lesson keeps at least


def check_sizes(train_size: int, batch_size: int, batchnorm: bool) -> None:
    """Raise LessonConfigError for a training set too large to leave MIN_VAL validation images or too
    small to hold every digit, a batch larger than the training set, or batch normalization with batches
    of fewer than 2 images."""
    if train_size > N_DIGITS - MIN_VAL:
        raise LessonConfigError(
            f"{train_size} training images leave fewer than {MIN_VAL} of the {N_DIGITS} digits for "
            f"validation: choose at most {N_DIGITS - MIN_VAL} training images.")
    if train_size < 10:
        raise LessonConfigError(f"{train_size} training images cannot hold one of each of the 10 "
                                "digits: choose at least 10.")
    if batch_size > train_size:
        raise LessonConfigError(f"The batch size ({batch_size}) is larger than the training set "
                                f"({train_size} images): lower the batch size or raise Training images.")
    if batchnorm and batch_size < 2:
        raise LessonConfigError("Batch normalization needs batches of at least 2 images: raise the batch "
                                "size or switch batch normalization off.")


def load_data(train_size: int, seed: int) -> DataSplit:
    """``train_size`` digits for training (stratified, seeded), the rest for validation; float32 pixels
    in [0, 1], x (N, 64), y (N,) int64."""
    # scikit-learn takes ceil(val_fraction * N) validation images: aim half an image low.
    val_fraction = (N_DIGITS - train_size - 0.5) / N_DIGITS
    data = load_digits_split(val_fraction, seed, "float32")
    assert len(data.y_train) == train_size, (len(data.y_train), train_size)
    return data
