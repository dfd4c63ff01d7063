"""Generated motion clips: a class is told by motion only.  Single frames and the mean of a clip's frames leave a
classifier near chance, while the same features followed over time separate the classes; reversing time swaps
the direction classes."""
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from visualizer.data.clips import ClipSet
from visualizer.data.motion_clips import FAMILIES, class_names, make_motion_clips, progress


@pytest.fixture(scope="module")
def clips() -> ClipSet:
    return make_motion_clips(1200, seed=1)


def object_features(frames: np.ndarray) -> np.ndarray:
    """(N, T, H, W, 3) uint8 -> (N, T, 3): the object's centroid x, y and area (pixels far from the frame's
    median colour, the background), per frame."""
    f = frames.astype(np.float32)
    bg = np.median(f.reshape(*f.shape[:2], -1, 3), axis=2)[:, :, None, None]              # (N, T, 1, 1, 3)
    mask = np.linalg.norm(f - bg, axis=-1) > 50.0                                          # (N, T, H, W)
    area = mask.sum(axis=(2, 3)).astype(np.float32)
    ys, xs = np.indices(mask.shape[2:])
    cx = (mask * xs).sum(axis=(2, 3)) / np.maximum(area, 1)
    cy = (mask * ys).sum(axis=(2, 3)) / np.maximum(area, 1)
    return np.stack([cx, cy, area], axis=-1)


def held_out_accuracy(x: np.ndarray, y: np.ndarray) -> float:
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    half = len(x) * 2 // 3
    clf = LogisticRegression(max_iter=2000).fit(x[:half], y[:half])
    return float(clf.score(x[half:], y[half:]))


def test_shapes_balance_and_seed(clips):
    assert clips.clips.shape == (1200, 16, 32, 32, 3) and clips.clips.dtype == np.uint8
    assert clips.class_names == class_names() and len(clips.class_names) == 12
    assert (np.bincount(clips.labels) == 100).all()
    again = make_motion_clips(30, seed=1)
    same = make_motion_clips(30, seed=1)
    other = make_motion_clips(30, seed=2)
    assert np.array_equal(again.clips, same.clips) and np.array_equal(again.labels, same.labels)
    assert not np.array_equal(again.clips, other.clips)
    small = make_motion_clips(8, frames=6, size=16, families=("move",), seed=0)
    assert small.clips.shape == (8, 6, 16, 16, 3) and small.class_names == FAMILIES["move"]
    with pytest.raises(ValueError, match="families"):
        make_motion_clips(4, families=("jump",))
    with pytest.raises(ValueError, match="frames"):
        make_motion_clips(4, frames=1)


def test_progress_patterns():
    u = progress(np.arange(4), 5)
    np.testing.assert_allclose(u, [[0, .25, .5, .75, 1], [1, .75, .5, .25, 0], [0, .5, 1, .5, 0], [1, .5, 0, .5, 1]])


def test_single_frames_and_frame_means_carry_no_class_information(clips):
    feats = object_features(clips.clips)                                                   # (N, T, 3)
    rng = np.random.default_rng(0)
    n = len(clips)
    chance = 1 / len(clips.class_names)
    one_frame = feats[np.arange(n), rng.integers(0, clips.frames, n)]                    # (N, 3) a random frame
    mean_frame = clips.clips.reshape(n, clips.frames, 8, 4, 8, 4, 3).mean(axis=(1, 3, 5)).reshape(n, -1)
    # the same features followed over time (positive control: the test can fail)
    over_time = feats.reshape(n, -1)
    acc_one, acc_mean = held_out_accuracy(one_frame, clips.labels), held_out_accuracy(mean_frame, clips.labels)
    acc_time = held_out_accuracy(over_time, clips.labels)
    assert acc_one < 2 * chance, acc_one
    assert acc_mean < 2 * chance, acc_mean
    assert acc_time > 0.45, acc_time                     # the move and scale families, from x and area over time


def test_the_object_moves_rotates_and_scales_as_named(clips):
    feats = object_features(clips.clips)
    cx, area = feats[..., 0], feats[..., 2]
    names = clips.class_names
    for name, quantity, sign in (("move right", cx, 1), ("move left", cx, -1), ("grow", area, 1), ("shrink", area, -1)):
        sel = clips.labels == names.index(name)
        change = quantity[sel, -1] - quantity[sel, 0]
        assert (np.sign(change) == sign).mean() > 0.95, name
    sel = clips.labels == names.index("right and back")
    middle = cx[sel, clips.frames // 2] - cx[sel, 0]
    assert (middle > 0).mean() > 0.95 and np.abs(cx[sel, -1] - cx[sel, 0]).mean() < 1.0


def test_reversing_time_swaps_the_direction_classes():
    a = make_motion_clips(48, seed=5)
    names = a.class_names
    swap = {"move right": "move left", "rotate clockwise": "rotate counter-clockwise", "grow": "shrink",
            "right and back": "right and back", "grow and shrink": "grow and shrink"}
    swap |= {v: k for k, v in swap.items()}
    u = progress(np.arange(4), 16)
    np.testing.assert_allclose(u[0, ::-1], u[1], atol=1e-6)                 # forward reversed = backward
    np.testing.assert_allclose(u[2, ::-1], u[2], atol=1e-6)                 # the "and back" patterns are their own reverse
    feats = object_features(a.clips)
    rev = object_features(a.clips[:, ::-1])
    for src, dst in swap.items():
        if src.startswith("rotate"):
            continue                                                # the angle is not among the features
        q = 2 if src in ("grow", "shrink", "grow and shrink") else 0    # area for the scale family, else x
        i = np.where(a.labels == names.index(src))[0]
        j = np.where(a.labels == names.index(dst))[0]
        # the reversed clips of src change like the clips of dst over the first half
        d_rev = np.sign(rev[i, 7, q] - rev[i, 0, q]).mean()
        d_dst = np.sign(feats[j, 7, q] - feats[j, 0, q]).mean()
        assert abs(d_rev) > 0.8 and d_rev == pytest.approx(d_dst, abs=0.3), (src, dst, d_rev, d_dst)
