"""probes/pose: targets (Gaussian maps, background, PAF unit vectors averaged where limbs overlap), peaks
(threshold, ties, sub-cell refinement), the greedy limb assembly (two separate stick figures from their own
ground-truth maps, the score threshold), PCK@0.2 on hand-built cases and OKS AP by pycocotools."""
import numpy as np
import pytest

from visualizer.data.scenes import KEYPOINTS, LIMBS, generate_scenes
from visualizer.probes.pose import (assemble, find_peaks, limb_scores, oks_ap, pck, pck_counts, person_size,
                                    pose_targets)

K = len(KEYPOINTS)
BODY = {0: (0, -0.9), 1: (0, -0.7), 2: (-0.2, -0.7), 3: (-0.3, -0.4), 4: (-0.35, -0.1), 5: (0.2, -0.7),
        6: (0.3, -0.4), 7: (0.35, -0.1), 8: (-0.12, 0), 9: (-0.15, 0.45), 10: (-0.17, 0.9), 11: (0.12, 0),
        12: (0.15, 0.45), 13: (0.17, 0.9), 14: (-0.05, -0.95), 15: (0.05, -0.95), 16: (-0.1, -0.92),
        17: (0.1, -0.92)}


def figure(cx, cy, s):
    """(18, 3) an upright stick figure of height about 1.8 s centred at (cx, cy), every joint visible."""
    return np.array([[cx + s * BODY[i][0], cy + s * BODY[i][1], 2] for i in range(K)], np.float32)


def person(points):
    """(18, 3) with the given {keypoint: (x, y)} labelled, the rest unlabelled."""
    p = np.zeros((K, 3), np.float32)
    for k, (x, y) in points.items():
        p[k] = (x, y, 2)
    return p


def test_confidence_maps_gaussian_max_and_background():
    # a joint exactly at the centre of cell (r=3, c=5) at stride 4: (5.5·4, 3.5·4) = (22, 14)
    p = person({1: (22.0, 14.0)})
    heat, paf = pose_targets([p[None]], 64, 4, 3.0, 2.0)
    assert heat.shape == (1, K + 1, 16, 16) and paf.shape == (1, 2 * len(LIMBS), 16, 16)
    assert heat[0, 1, 3, 5] == pytest.approx(1.0)
    assert heat[0, 1, 3, 6] == pytest.approx(np.exp(-16 / 18), rel=1e-5)          # 4 px away, σ = 3
    assert np.unravel_index(heat[0, 1].argmax(), (16, 16)) == (3, 5)
    assert heat[0, 0].max() == 0.0                                                  # unlabelled: nothing
    np.testing.assert_allclose(heat[0, K], 1.0 - heat[0, :K].max(axis=0))
    assert np.abs(paf).max() == 0.0                                                 # a limb needs both ends
    # two people: the maximum, not the sum (Cao et al. eq. 7)
    two = np.stack([p, person({1: (26.0, 14.0)})])
    h2, _ = pose_targets([two], 64, 4, 3.0, 2.0)
    assert h2[0, 1].max() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        pose_targets([p[None]], 64, 4, 0.0, 2.0)
    with pytest.raises(ValueError):
        pose_targets([p[None]], 62, 4, 1.0, 2.0)


def test_paf_unit_vectors_on_the_limb_averaged_where_limbs_overlap():
    li = LIMBS.index((1, 8))                                # neck -> right hip
    p = person({1: (30.0, 10.0), 8: (30.0, 50.0)})          # straight down the column x = 30 (cell 7)
    _, paf = pose_targets([p[None]], 64, 4, 2.0, 2.0)
    px, py = paf[0, 2 * li], paf[0, 2 * li + 1]
    np.testing.assert_allclose(py[3:12, 7], 1.0)            # on the limb: (0, 1)
    np.testing.assert_allclose(px[3:12, 7], 0.0)
    assert np.all(py[:, 10:] == 0) and np.all(py[:, :5] == 0)     # far from the limb: 0
    norms = np.hypot(paf[0, 0::2], paf[0, 1::2])
    assert norms.max() <= 1.0 + 1e-6
    # the same limb of a second person pointing the other way cancels where they overlap (mean, eq. 9)
    q = person({1: (30.0, 50.0), 8: (30.0, 10.0)})
    _, both = pose_targets([np.stack([p, q])], 64, 4, 2.0, 2.0)
    np.testing.assert_allclose(both[0, 2 * li + 1, 3:12, 7], 0.0, atol=1e-6)
    # the same direction twice stays a unit vector (average, not sum)
    _, same = pose_targets([np.stack([p, p])], 64, 4, 2.0, 2.0)
    np.testing.assert_allclose(same[0, 2 * li + 1, 3:12, 7], 1.0)


def test_peaks_threshold_ties_and_subcell_position():
    heat = np.zeros((2, 8, 8), np.float32)
    heat[0, 2, 3] = 0.9
    heat[0, 2, 2] = heat[0, 2, 4] = 0.45                   # symmetric: the centroid stays on the cell centre
    heat[0, 6, 6] = 0.1                                    # below the threshold
    heat[1, 4, 4] = heat[1, 4, 5] = 0.8                    # a tie: one peak
    heat[1, 1, 1] = 0.6
    heat[1, 1, 2] = 0.3                                    # pulls the refined position right
    peaks = find_peaks(heat, 0.2, 4)
    assert len(peaks) == 2
    np.testing.assert_allclose(peaks[0], [[14.0, 10.0, 0.9]], atol=1e-5)
    assert len(peaks[1]) == 2 and peaks[1][0, 2] == pytest.approx(0.8)   # strongest first
    x, y, s = peaks[1][1]
    assert s == pytest.approx(0.6) and y == pytest.approx(6.0) and 6.0 < x < 10.0
    assert len(find_peaks(heat, 0.95, 4)[0]) == 0
    assert [len(p) for p in find_peaks(heat, 0.2, 4, max_peaks=1)] == [1, 1]


def test_assembly_recovers_two_hand_built_figures_exactly():
    gt = np.stack([figure(16, 32, 24), figure(46, 32, 24)])
    heat, paf = pose_targets([gt], 64, 4, 3.0, 2.5)
    peaks = find_peaks(heat[0, :K], 0.3, 4)
    people, scores = assemble(peaks, paf[0], 4, 64, 0.1)
    assert people.shape == (2, K, 3) and np.all(people[..., 2] > 0)
    people = people[np.argsort(people[:, 1, 0])]             # left figure first (by the neck)
    np.testing.assert_allclose(people[..., :2], gt[..., :2], atol=1.0)
    assert np.all(scores > 0.5)
    assert pck([people], [gt]) == 1.0
    # a threshold no limb reaches: nothing is connected, nobody is found
    none, _ = assemble(peaks, paf[0], 4, 64, 1.5)
    assert len(none) == 0


def test_greedy_matching_takes_the_best_connection_first():
    paf = np.zeros((2, 16, 16), np.float32)
    paf[0] = 1.0                                             # every limb should point right
    peaks = [np.array([[10.0, 20.0, 1.0], [10.0, 40.0, 1.0]]), np.array([[30.0, 22.0, 1.0]])]
    people, _ = assemble(peaks, paf, 4, 64, 0.5, limbs=[(0, 1)], min_parts=2)
    assert len(people) == 1                                  # b is taken once: by the straighter a (y = 20)
    np.testing.assert_allclose(people[0, :, :2], [[10, 20], [30, 22]])


def test_limb_score_is_the_line_integral():
    paf = np.zeros((2, 16, 16), np.float32)
    paf[0] = 1.0                                             # a field pointing right everywhere
    a = np.array([[10.0, 30.0]])
    b = np.array([[30.0, 30.0], [10.0, 50.0], [-10.0, 30.0]])   # right, down, left
    score, inliers = limb_scores(a, b, paf, 4, 64)
    np.testing.assert_allclose(score[0], [1.0, 0.0, -1.0], atol=1e-6)
    np.testing.assert_allclose(inliers[0], [1.0, 0.0, 0.0])


def test_assembly_recovers_separate_people_of_generated_scenes():
    sc = generate_scenes(200, 64, 5, person_share=0.8, max_objects=3)
    found = 0
    for i in range(len(sc)):
        ppl = sc.people_of(i)
        if len(ppl) != 2:
            continue
        lo, hi = ppl[..., :2].min(axis=1), ppl[..., :2].max(axis=1)          # (2, 2) keypoint boxes
        gap = np.maximum(lo[0] - hi[1], lo[1] - hi[0])                        # (2,) along x and y
        if gap.max() < 6:
            continue                                          # well separated only: 6 px apart in x or y
        heat, paf = pose_targets([ppl], 64, 4, 3.0, 2.5)
        people, _ = assemble(find_peaks(heat[0, :K], 0.2, 4), paf[0], 4, 64, 0.1)
        assert len(people) == 2, i
        correct, total, match = pck_counts(people, ppl)
        assert sorted(match) == [0, 1] and correct >= 0.95 * total, i
        found += 1
    assert found >= 3, found


def test_pck_hand_built():
    gt = person({0: (10, 10), 1: (10, 30), 2: (20, 30)})             # keypoint box 10 × 20: size 20, 0.2 → 4 px
    assert person_size(gt[None])[0] == pytest.approx(20.0)
    pred = gt.copy()
    pred[:, 2] = np.where(gt[:, 2] > 0, 0.9, 0.0)
    pred[0, :2] += (3.0, 0.0)                                         # 3 px: correct
    pred[1, :2] += (0.0, 5.0)                                         # 5 px: wrong
    assert pck_counts(pred[None], gt[None]) == (2, 3, pytest.approx(np.array([0])))
    missing = pred.copy()
    missing[2, 2] = 0.0                                               # not predicted: wrong
    assert pck([missing[None]], [gt[None]]) == pytest.approx(1 / 3)
    assert pck([missing[None]], [gt[None]], alpha=0.3) == pytest.approx(2 / 3)   # 6 px: the 5 px one counts
    # two people, predictions in the other order plus an invented one: matched by correct keypoints
    gt2 = np.stack([gt, gt + np.array([40, 0, 0], np.float32)])
    pred2 = np.stack([gt2[1], np.zeros_like(gt), gt2[0]])
    pred2[..., 2] = np.where(gt2[[1, 0, 0], :, 2] > 0, 1.0, 0.0)
    c, t, match = pck_counts(pred2, gt2)
    assert (c, t) == (6, 6) and list(match) == [2, 0]
    # one predicted person may match one true person only (the max per true person would count it twice)
    near = np.stack([gt, gt + np.array([3, 0, 0], np.float32)])
    assert pck_counts(pred2[2:], near)[:2] == (3, 6)
    assert pck([np.zeros((0, K, 3))], [gt[None]]) == 0.0
    assert np.isnan(pck([np.zeros((0, K, 3))], [np.zeros((0, K, 3))]))
    with pytest.raises(ValueError):
        pck([], [gt[None]])


def test_oks_ap_by_pycocotools_on_the_same_predictions():
    gts = [np.stack([figure(16, 32, 24), figure(46, 32, 24)]), figure(30, 30, 20)[None]]
    perfect = [g.copy() for g in gts]
    scores = [np.array([0.9, 0.8]), np.array([0.7])]
    assert oks_ap(perfect, scores, gts) == {"ap": pytest.approx(1.0), "ap50": pytest.approx(1.0)}
    assert pck(perfect, gts) == 1.0
    shifted = [g + np.array([3.0, 0, 0], np.float32) for g in gts]
    worse = oks_ap(shifted, scores, gts)
    assert worse["ap"] < 0.9 and pck(shifted, gts) == 1.0            # OKS is stricter than PCK@0.2 here
    assert oks_ap([np.zeros((0, K, 3))] * 2, [np.zeros(0)] * 2, gts) == {"ap": 0.0, "ap50": 0.0}
