"""Video probes: one clip through ECO gives the 2D maps of each sampled frame, the first 3D stage over time,
Grad-CAM per frame and the probabilities from each prefix of the clip, as valid PlotData; the model's weights,
gradients and training mode are left as they were."""
import numpy as np
import pytest
import torch

from visualizer.core.plotdata import ClipData, ImageData, ImageGridData, MatrixData
from visualizer.data.motion_clips import make_motion_clips
from visualizer.models.eco_torch import ECOConfig, build_eco
from visualizer.probes.video import (activation_over_time, clip_data, feature_map_grid, prefix_probabilities,
                                     probability_matrix, read_clip)
from tests.lessons.torch_helpers import one_torch_thread  # noqa: F401


pytestmark = pytest.mark.usefixtures("one_torch_thread")     # as the app's training process


@pytest.fixture
def setup():
    clips = make_motion_clips(4, frames=12, size=32, seed=0)
    model = build_eco(ECOConfig(n_classes=12, width=4), 0)
    return clips, model


def test_read_clip_shapes_and_model_untouched(setup):
    clips, model = setup
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    r = read_clip(model, clips.clips[0], 6, target=3)
    assert model.training and all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())   # BN statistics too
    assert r.sampled.tolist() == [0, 2, 4, 6, 8, 10] and r.target == 3
    assert r.maps2d.shape == (6, 8, 16, 16) and r.act3d.shape == (16, 6)
    assert r.cam.shape == (6, 32, 32) and 0 <= r.cam.min() and r.cam.max() <= 1
    assert r.probs.shape == (12,) and r.probs.sum() == pytest.approx(1, abs=1e-5)
    assert read_clip(model, clips.clips[0], 6).target == int(np.argmax(r.probs))
    with pytest.raises(ValueError, match="12 frames cannot give 13 segments"):
        read_clip(model, clips.clips[0], 13)


def test_grad_cam_shares_one_scale_over_the_clip():
    """The clip's largest value is 1 (not each frame's): frames compare."""
    model = build_eco(ECOConfig(n_classes=2, width=2), 0)
    clip = make_motion_clips(1, frames=8, seed=3).clips[0]
    r = read_clip(model, clip, 4, target=0)
    assert np.isfinite(r.cam).all() and r.cam.max() == pytest.approx(1.0, abs=1e-6)
    per_frame = r.cam.reshape(4, -1).max(axis=1)
    assert per_frame.min() < 1.0 - 1e-3            # some frame weaker than the strongest


def test_prefix_probabilities(setup):
    clips, model = setup
    p = prefix_probabilities(model, clips.clips[1], 4)
    assert p.shape == (12, 12)
    assert np.isnan(p[:, :3]).all() and np.isfinite(p[:, 3:]).all()
    np.testing.assert_allclose(p[:, 3:].sum(axis=0), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="segments"):
        prefix_probabilities(model, clips.clips[1][:3], 4)


def test_plot_data(setup):
    clips, model = setup
    r = read_clip(model, clips.clips[2], 6)
    p = prefix_probabilities(model, clips.clips[2], 6)
    label = int(clips.labels[2])
    c = clip_data(clips.clips[2], r, clips.class_names, label, p[label], 8.0)
    assert isinstance(c, ClipData) and c.frames.shape == (12, 32, 32, 3) and c.sampled.tolist() == r.sampled.tolist()
    assert np.isnan(c.heat[1]).all() and np.isfinite(c.heat[r.sampled]).all()
    assert c.frame_scores.shape == (12,) and "true: " in c.caption
    assert len(c.table()[1]) == 12
    g = feature_map_grid(r, 3)
    assert isinstance(g, ImageGridData) and g.images.shape == (18, 16, 16) and g.ncols == 6 and len(g.captions) == 18
    a = activation_over_time(r)
    assert isinstance(a, ImageData) and a.image.shape == (16, 6)
    m = probability_matrix(p, clips.class_names)
    assert isinstance(m, MatrixData) and m.values.shape == (12, 7) and m.col_labels[0] == "5"
