"""Segmentation readouts: the confusion matrix, IoU and mIoU against torchmetrics and a hand-computed case, the
overlay and tile pictures, object consistency."""
import numpy as np
import pytest

from visualizer.probes.segmentation import (branch_tiles, confusion_counts, confusion_matrix_data, iou_per_class,
                                            mask_overlay, mean_iou, object_consistency, upsample_nearest)


def test_hand_computed_iou():
    target = np.array([[0, 0, 1, 1], [2, 2, -1, 1]])
    pred = np.array([[0, 1, 1, 1], [2, 0, 0, 2]])
    cm = confusion_counts(pred, target, 3)
    # the void pixel (row 1, col 2) counts nowhere: 7 pixels
    assert cm.sum() == 7
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 1], [1, 0, 1]])
    # class 0: TP 1, FP 1 (a 2 predicted 0), FN 1 -> 1/3; class 1: 2 / (2 + 1 + 1); class 2: 1 / (1 + 1 + 1)
    np.testing.assert_allclose(iou_per_class(cm), [1 / 3, 0.5, 1 / 3])
    assert mean_iou(cm) == pytest.approx((1 / 3 + 0.5 + 1 / 3) / 3)


def test_absent_class_is_nan_and_left_out_of_the_mean():
    cm = confusion_counts(np.array([0, 1, 1]), np.array([0, 1, 1]), 4)
    iou = iou_per_class(cm)
    assert iou[0] == 1 and iou[1] == 1 and np.isnan(iou[2]) and np.isnan(iou[3])
    assert mean_iou(cm) == 1.0


def test_matches_torchmetrics_on_random_masks():
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.classification")
    rng = np.random.default_rng(0)
    k = 6
    target = rng.integers(0, k, (5, 16, 16))
    target[rng.random(target.shape) < 0.1] = -1                      # void pixels
    pred = np.where(rng.random(target.shape) < 0.6, np.maximum(target, 0), rng.integers(0, k, target.shape))
    cm = confusion_counts(pred, target, k)
    ref_cm = tm.MulticlassConfusionMatrix(k, ignore_index=-1)(torch.as_tensor(pred), torch.as_tensor(target))
    np.testing.assert_array_equal(cm, ref_cm.numpy())
    ref = tm.MulticlassJaccardIndex(k, average=None, ignore_index=-1)(torch.as_tensor(pred), torch.as_tensor(target))
    np.testing.assert_allclose(iou_per_class(cm), ref.numpy(), rtol=1e-6)
    ref_mean = tm.MulticlassJaccardIndex(k, average="macro", ignore_index=-1)(torch.as_tensor(pred),
                                                                               torch.as_tensor(target))
    assert mean_iou(cm) == pytest.approx(float(ref_mean), rel=1e-6)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="same shape"):
        confusion_counts(np.zeros((2, 2), int), np.zeros((2, 3), int), 3)
    with pytest.raises(ValueError, match="outside"):
        confusion_counts(np.full((2, 2), 3), np.zeros((2, 2), int), 3)
    with pytest.raises(ValueError, match="captions"):
        branch_tiles([np.zeros((2, 2))], ["a", "b"])


def test_confusion_rows_are_shares():
    data = confusion_matrix_data(np.array([[3, 1], [0, 0]]), ["background", "circle"])
    np.testing.assert_allclose(data.values, [[0.75, 0.25], [0.0, 0.0]])
    assert data.table()[0][1:] == ["background", "circle"]


def test_overlay_and_tiles():
    img = np.random.default_rng(1).random((3, 8, 8)).astype(np.float32)
    mask = np.zeros((8, 8), int)
    mask[2:4, 2:4] = 2
    a = mask_overlay(img, mask, ("circle", "square"), "truth")
    assert a.image.shape == (8, 8, 3) and a.mask.shape == (8, 8) and a.caption == "truth"
    np.testing.assert_array_equal(a.image[..., 1], img[1])
    np.testing.assert_array_equal(upsample_nearest(np.array([[1.0, 2.0], [3.0, 4.0]]), 4, 4)[:, ::2],
                                  [[1, 2], [1, 2], [3, 4], [3, 4]])
    g = branch_tiles([np.ones((1, 1)), -2 * np.ones((2, 2)), np.zeros((6, 6))], ["1", "2", "6"])
    assert g.images.shape == (3, 6, 6) and g.levels == (-2.0, 2.0) and g.ncols == 3
    assert branch_tiles([np.ones((2, 2))] * 5, list("abcde"), ncols=3).ncols == 3


def test_object_consistency():
    pred = np.zeros((1, 4, 4), int)
    masks = np.zeros((2, 4, 4), bool)
    masks[0, :2, :2] = True           # 4 pixels, all predicted 0
    masks[1, 2:, :] = True            # 8 pixels, 6 predicted 1 and 2 predicted 2
    pred[0, 2:, :3] = 1
    pred[0, 2:, 3] = 2
    assert object_consistency(pred, masks, np.array([0, 0])) == pytest.approx((4 + 6) / 12)
    assert np.isnan(object_consistency(pred, masks[:0], np.array([], int)))
