import numpy as np
import pytest

from visualizer.data.clips import ClipSet, segment_indices


def test_clipset_checks_shapes_and_labels():
    clips = np.zeros((3, 8, 4, 5, 3), np.uint8)
    s = ClipSet(clips, np.array([0, 1, 1]), ("a", "b"))
    assert len(s) == 3 and s.frames == 8 and s.size == (4, 5)
    assert len(s.subset(np.array([True, False, True]))) == 2
    with pytest.raises(ValueError, match="uint8"):
        ClipSet(clips.astype(np.float32), np.array([0, 1, 1]), ("a", "b"))
    with pytest.raises(ValueError, match="labels must lie"):
        ClipSet(clips, np.array([0, 1, 2]), ("a", "b"))
    with pytest.raises(ValueError, match=r"labels must be \(3,\)"):
        ClipSet(clips, np.array([0, 1]), ("a", "b"))


@pytest.mark.parametrize("frames,segments", [(16, 4), (17, 4), (8, 8), (30, 16)])
def test_segment_indices_take_one_frame_per_segment(frames, segments):
    mid = segment_indices(frames, segments)
    assert mid.shape == (segments,) and mid.dtype == np.int64
    assert (np.diff(mid) > 0).all() and mid.min() >= 0 and mid.max() < frames
    rng = np.random.default_rng(0)
    edges = np.floor(np.linspace(0, frames, segments + 1)).astype(int)
    for _ in range(20):
        r = segment_indices(frames, segments, rng)
        assert ((r >= edges[:-1]) & (r < np.maximum(edges[1:], edges[:-1] + 1))).all()


def test_segment_indices_refuse_a_short_clip():
    with pytest.raises(ValueError, match="cannot give 8 segments"):
        segment_indices(5, 8)
