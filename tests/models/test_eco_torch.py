"""ECO and its frame-averaging twin: shapes, ECO-Lite's book shapes at reduced size, and the twin's blindness to
the order of frames (ECO's output changes when the frames are shuffled, the twin's does not)."""
import pytest
import torch

from visualizer.models.eco_torch import (ECOConfig, BNInception2D, build_eco, fusion_resnet3d, normalize_clips,
                                         twin_config)
from tests.lessons.torch_helpers import one_torch_thread  # noqa: F401


pytestmark = pytest.mark.usefixtures("one_torch_thread")     # as the app's training process


def test_small_eco_shapes_and_resize():
    cfg = ECOConfig(n_classes=5, width=4, image_size=32)
    eco = build_eco(cfg, 0).eval()
    x = torch.randn(2, 6, 3, 32, 32)
    assert eco(x).shape == (2, 5)
    assert eco.frame_features(x).shape == (2, 8, 6, 16, 16)               # (B, 2w, N, H/2, W/2)
    assert eco(torch.randn(1, 6, 3, 40, 24)).shape == (1, 5)             # other frame sizes are resized
    same = build_eco(cfg, 0)
    assert all(torch.equal(a, b) for a, b in zip(eco.state_dict().values(), same.state_dict().values()))
    with pytest.raises(ValueError, match="variant"):
        ECOConfig(variant="eco_full")


def test_normalize_clips():
    frames = torch.full((1, 2, 4, 4, 3), 255, dtype=torch.uint8)
    x = normalize_clips(frames)
    assert x.shape == (1, 2, 3, 4, 4) and torch.allclose(x, torch.full_like(x, 2.0))


def test_eco_lite_book_shapes():
    f2d = BNInception2D().eval()
    with torch.no_grad():
        assert f2d(torch.randn(1, 3, 224, 224)).shape == (1, 96, 28, 28)          # the book's 96 x 28 x 28 maps
        assert fusion_resnet3d(96, True).eval()(torch.randn(1, 96, 16, 28, 28)).shape == (1, 512, 4, 7, 7)
        assert fusion_resnet3d(96, False).eval()(torch.randn(1, 96, 4, 28, 28)).shape == (1, 512, 4, 7, 7)
    cfg = ECOConfig.eco_lite(7, image_size=64)                                     # reduced size: a tiny batch
    eco = build_eco(cfg, 0).eval()
    with torch.no_grad():
        assert eco(torch.randn(1, 4, 3, 32, 32)).shape == (1, 7)
    assert ECOConfig.eco_lite(7).image_size == 224


@pytest.mark.parametrize("variant", ["eco_small", "eco_lite"])
def test_shuffling_frames_changes_eco_but_not_the_twin(variant):
    cfg = ECOConfig(n_classes=4, width=4, variant=variant, image_size=32 if variant == "eco_small" else 64)
    # training mode: BatchNorm normalizes with the batch's statistics (pooled over clips and frames, so order-free),
    # which keeps the untrained deep ECO-Lite's logits from all collapsing onto the head's bias
    eco, twin = build_eco(cfg, 1).train(), build_eco(twin_config(cfg), 1).train()
    assert twin.cfg.temporal is False and eco.cfg.temporal
    x = torch.randn(2, 8, 3, 32, 32)
    perm = torch.tensor([3, 0, 7, 1, 6, 2, 5, 4])
    with torch.no_grad():
        assert torch.allclose(twin(x), twin(x[:, perm]), atol=1e-5)
        assert not torch.allclose(eco(x), eco(x[:, perm]), atol=1e-4)
        assert not torch.allclose(twin(x), twin(x.flip(3)), atol=1e-4)          # the twin does see the frames
