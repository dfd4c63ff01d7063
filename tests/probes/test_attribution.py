"""Captum's saliency, integrated gradients and occlusion as the lesson computes them."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.probes.test_gradcam import ColourDetector, _red_left_green_right  # noqa: E402
from visualizer.probes.attribution import attributions, occlusion_window  # noqa: E402
from visualizer.probes.gradcam import mass_in_mask  # noqa: E402


def test_the_three_maps_have_the_image_shape_and_find_the_red_square():
    model = ColourDetector().eval()
    x, red, green = _red_left_green_right()
    maps = attributions(model, x, 0)
    assert set(maps) == {"saliency", "integrated gradients", "occlusion"}
    assert all(m.shape == (16, 16) and m.dtype == np.float32 for m in maps.values())
    assert mass_in_mask(maps["integrated gradients"], red) > 0.99       # only red pixels add to the red score
    assert mass_in_mask(np.maximum(maps["occlusion"], 0), red | green) > 0.9


def test_integrated_gradients_add_up_to_the_score_difference():
    """Completeness (Sundararajan et al. 2017, prop. 1): Σ IG = S(x) − S(baseline)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Tanh(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 8 * 8, 3)).eval()
    x = torch.rand(1, 3, 8, 8)
    ig = attributions(model, x, 2, methods=("integrated gradients",), ig_steps=64)["integrated gradients"]
    with torch.no_grad():
        diff = float(model(x)[0, 2] - model(torch.zeros_like(x))[0, 2])
    assert ig.sum() == pytest.approx(diff, rel=0.02, abs=1e-3)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        attributions(ColourDetector().eval(), torch.rand(1, 3, 8, 8), 0, methods=("lime",))


def test_occlusion_window_scales_with_the_image():
    assert occlusion_window(32) == (6, 3)
    assert occlusion_window(224)[0] == 45
