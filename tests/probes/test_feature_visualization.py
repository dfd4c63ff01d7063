"""Filter visualization by gradient ascent and DeepDream: the objective climbs, octaves enlarge the image."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from visualizer.probes.feature_visualization import DeepDream, FilterAscent, octave_sizes  # noqa: E402


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2)).eval()


def test_octave_sizes_grow_to_the_final_size():
    assert octave_sizes(64, 3, 1.4) == [33, 46, 64]
    assert octave_sizes(64, 1, 1.4) == [64]
    assert octave_sizes(16, 5, 2.0) == [8, 16]


def test_filter_ascent_raises_the_filters_activation_through_its_octaves():
    net = _net()
    fa = FilterAscent(net, net[3], 2, size=24, octaves=2, steps_per_octave=10, step_size=0.05, seed=1)
    values = [fa.step() for _ in range(20)]
    assert fa.image.shape[-1] == 24 and fa.steps == 20
    assert values[9] > values[0] and values[-1] > values[10]
    pic = fa.picture(48)
    assert pic.shape == (48, 48, 3) and 0 <= pic.min() and pic.max() <= 1


def test_filter_ascent_refuses_a_channel_the_layer_lacks():
    net = _net()
    with pytest.raises(ValueError, match="8 filters"):
        FilterAscent(net, net[3], 8, size=16).step()


def test_deep_dream_amplifies_the_layers_and_keeps_the_picture_in_range():
    net = _net()
    img = np.random.default_rng(0).random((3, 20, 20)).astype(np.float32)
    dd = DeepDream(net, [net[1], net[3]], img, size=20, octaves=2, steps_per_octave=5, seed=0)
    values = [dd.step() for _ in range(10)]
    assert values[4] > values[0] and values[-1] > values[5]
    assert dd.picture().shape == (20, 20, 3)
    with pytest.raises(ValueError, match="layer"):
        DeepDream(net, [], img, size=20)


def test_deep_dream_stops_changing_the_image_after_its_octaves():
    net = _net()
    img = np.random.default_rng(0).random((3, 20, 20)).astype(np.float32)
    dd = DeepDream(net, [net[3]], img, size=20, octaves=2, steps_per_octave=3, seed=0)
    for _ in range(len(dd.sizes) * 3):
        dd.step()
    assert dd.done
    before = dd.image.clone()
    dd.step()
    assert torch.equal(dd.image, before)
