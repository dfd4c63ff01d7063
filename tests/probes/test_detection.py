"""visualizer.probes.detection: AP@0.5 per class against torchmetrics' MeanAveragePrecision on the same
predictions, and the pictures' shapes."""
import numpy as np
import pytest

from visualizer.probes import detection as D

torch = pytest.importorskip("torch")


def random_case(seed, n_images=12, num_classes=3):
    rng = np.random.default_rng(seed)
    preds, targets = [], []
    for _ in range(n_images):
        m = rng.integers(0, 4)
        xy = rng.uniform(0, 40, (m, 2))
        gt = np.concatenate([xy, xy + rng.uniform(5, 20, (m, 2))], 1).astype(np.float32)
        gl = rng.integers(0, num_classes, m)
        # predictions: jittered copies of the truth (some with the wrong class) plus random false alarms
        jit = gt + rng.normal(0, 2.5, gt.shape).astype(np.float32)
        pl = np.where(rng.random(m) < 0.8, gl, rng.integers(0, num_classes, m))
        k = rng.integers(0, 4)
        fxy = rng.uniform(0, 40, (k, 2))
        fa = np.concatenate([fxy, fxy + rng.uniform(5, 20, (k, 2))], 1).astype(np.float32)
        boxes = np.concatenate([jit, fa]).astype(np.float32)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
        labels = np.concatenate([pl, rng.integers(0, num_classes, k)])
        scores = rng.uniform(0.05, 1, len(boxes)).astype(np.float32)
        preds.append({"boxes": boxes, "scores": scores, "labels": labels})
        targets.append({"boxes": gt, "labels": gl})
    return preds, targets


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ap_matches_torchmetrics(seed):
    from torchmetrics.detection import MeanAveragePrecision

    preds, targets = random_case(seed)
    ours = D.average_precision(preds, targets, 3)
    metric = MeanAveragePrecision(iou_thresholds=[0.5], class_metrics=True, extended_summary=True)
    t = lambda d: {k: torch.as_tensor(v) for k, v in d.items()}
    metric.update([t(p) for p in preds], [t(x) for x in targets])
    ref = metric.compute()
    assert ours.map == pytest.approx(float(ref["map"]), abs=1e-6)
    classes = ref["classes"].tolist()
    for k, v in zip(classes, ref["map_per_class"].tolist()):
        if v >= 0:
            assert ours.ap[k] == pytest.approx(v, abs=1e-6), k
    # precision (T, R, K, A, M): IoU 0.5, every recall point, area "all", 100 detections
    prec = ref["precision"][0, :, :, 0, -1].numpy()                       # (101, K)
    for k in range(3):
        if ours.gt_count[k]:
            np.testing.assert_allclose(np.maximum(prec[:, k], 0), ours.precision[k], atol=1e-6)


def test_perfect_and_empty_predictions():
    _, targets = random_case(3)
    perfect = [{"boxes": t["boxes"], "scores": np.ones(len(t["labels"])), "labels": t["labels"]} for t in targets]
    assert D.average_precision(perfect, targets, 3).map == pytest.approx(1.0)
    none = [{"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "labels": np.zeros(0, int)} for _ in targets]
    r = D.average_precision(none, targets, 3)
    assert r.map == 0.0
    with pytest.raises(ValueError, match="images"):
        D.average_precision(none[:-1], targets, 3)


def test_pictures():
    img = np.random.default_rng(0).random((3, 32, 32)).astype(np.float32)
    priors = np.array([[0.25, 0.25, 0.2, 0.2], [0.5, 0.5, 0.5, 0.5], [0.75, 0.75, 0.3, 0.3]], np.float32)
    pic, idx, iou = D.nearest_default_boxes(img, (8, 8, 24, 24), priors, k=2)
    assert pic.image.shape == (32, 32, 3) and list(idx) == [1, 2] and iou[0] == pytest.approx(1.0)
    assert pic.box_labels[1] == "IoU 1.00" and list(pic.box_classes) == [0, 1, 1]
    with pytest.raises(ValueError, match="x1 > x0"):
        D.nearest_default_boxes(img, (8, 8, 8, 20), priors)
    m = D.matching_picture(img, np.array([[8, 8, 24, 24]]), np.array([1]), priors, np.array([0, 2, 0]),
                           np.array([True, False, False]), np.array([0.1, 1.0, 0.0]), ["a", "b"])
    assert m.box_styles == ["solid", "dashed", "dotted"] and list(m.box_classes) == [1, 1, 2]
    assert list(m.class_names) == ["a", "b", "hard negative"]                  # the legend names the negatives
    g = D.truth_vs_predictions(img, np.array([[8, 8, 24, 24]]), np.array([0]), np.array([[8, 8, 24, 20]]),
                               np.array([0.9]), np.array([0]), ["a"])
    assert g.box_labels[1] == "IoU 0.75"
    r = D.average_precision(*random_case(0), 3)
    s = D.pr_curves(r, ["a", "b", "c"])
    assert s.points.shape[1] == 2 and s.points[:, 1].max() <= 1
