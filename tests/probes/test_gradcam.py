"""Grad-CAM and Grad-CAM++ on a hand-built network whose answer is known, and on the pretrained small VGG."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from visualizer.probes.gradcam import grad_cam, mass_in_mask  # noqa: E402


class ColourDetector(nn.Module):
    """Channel 0 of the 1×1 conv passes red, channel 1 green; the score of class 0 is the mean red, of class 1
    the mean green (global average pooling, a diagonal linear layer)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 1, bias=False)
        self.act = nn.ReLU()
        self.fc = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[0, 0] = 1.0
            self.conv.weight[1, 1] = 1.0
            self.fc.weight.copy_(torch.eye(2))

    def forward(self, x):
        return self.fc(self.act(self.conv(x)).mean(dim=(2, 3)))


def _red_left_green_right():
    x = torch.zeros(1, 3, 16, 16)
    x[0, 0, 4:10, 1:6] = 1.0                 # red square on the left
    x[0, 1, 6:12, 10:15] = 1.0               # green square on the right
    red = np.zeros((16, 16), bool)
    red[4:10, 1:6] = True
    green = np.zeros((16, 16), bool)
    green[6:12, 10:15] = True
    return x, red, green


@pytest.mark.parametrize("plus_plus", [False, True])
def test_grad_cam_finds_the_evidence_of_each_class_on_a_hand_built_network(plus_plus):
    model = ColourDetector().eval()
    x, red, green = _red_left_green_right()
    cam_red = grad_cam(model, model.act, x, 0, plus_plus=plus_plus)
    cam_green = grad_cam(model, model.act, x, 1, plus_plus=plus_plus)
    assert cam_red.shape == (16, 16) and cam_red.max() == pytest.approx(1.0)
    assert mass_in_mask(cam_red, red) > 0.99
    assert mass_in_mask(cam_green, green) > 0.99


def test_grad_cam_of_a_class_with_only_negative_evidence_is_empty():
    model = ColourDetector().eval()
    with torch.no_grad():
        model.fc.weight.copy_(-torch.eye(2))          # red now counts against class 0
    x, _, _ = _red_left_green_right()
    assert np.all(grad_cam(model, model.act, x, 0) == 0)


def test_grad_cam_upsamples_a_coarse_layer_to_the_image():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(), nn.LazyLinear(3))
    model(torch.zeros(1, 3, 16, 16))
    cam = grad_cam(model.eval(), model[2], torch.rand(1, 3, 16, 16), 1)
    assert cam.shape == (16, 16) and cam.dtype == np.float32 and cam.min() >= 0


def test_grad_cam_refuses_a_layer_without_feature_maps():
    model = ColourDetector().eval()
    with pytest.raises(ValueError, match="feature maps"):
        grad_cam(model, model.fc, torch.rand(1, 3, 8, 8), 0)


def test_mass_in_mask():
    m = np.array([[1.0, 3.0], [0.0, -4.0]])
    mask = np.array([[True, False], [False, True]])
    assert mass_in_mask(m, mask) == pytest.approx(5 / 8)
    assert np.isnan(mass_in_mask(np.zeros((2, 2)), mask))
    with pytest.raises(ValueError, match="shape"):
        mass_in_mask(np.zeros((3, 3)), mask)


def test_grad_cam_of_the_pretrained_small_vgg_sits_on_the_object():
    """Measured over 100 correct source shapes (benchmarks/bench_gradcam_mask.py): mean 0.37, 3× the mask's area
    share (0.12).  Here 12 images, a threshold of twice chance that it reliably passes."""
    from visualizer.data.shapes import SOURCE_CLASSES, generate_shapes
    from visualizer.models.inspect_torch import from_vgg_features
    from visualizer.models.shapes_pretrained import load_source_model

    model, _ = load_source_model()
    ins = from_vgg_features(model, SOURCE_CLASSES, 32, "small VGG")
    val = generate_shapes(SOURCE_CLASSES, 2, size=32, seed=10_001)
    x = torch.as_tensor(val.images)
    with torch.no_grad():
        pred = model(x).argmax(1).numpy()
    ok = np.flatnonzero(pred == val.labels)
    assert len(ok) >= 12
    shares = [mass_in_mask(grad_cam(model, ins.layers[ins.cam_layer], x[i:i + 1], int(pred[i])), val.masks[i])
              for i in ok[:12]]
    chance = float(val.masks[ok[:12]].mean())
    assert np.mean(shares) > 2 * chance
