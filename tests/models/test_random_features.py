"""Random multi-scale feature network (Ustyuzhaninov et al. 2017) and the VGG-19 taps for style transfer: shapes,
seeding, frozen weights, activations that keep their size, config checks."""
import pytest

torch = pytest.importorskip("torch")

from visualizer.models.random_features_torch import (MultiScaleConv, RandomFeatures, RandomFeaturesConfig,
                                                     VGGStyleFeatures, gram_matrix)


def test_shapes_per_stage_and_names():
    net = RandomFeatures(RandomFeaturesConfig(widths=(6, 8, 9, 10, 12)))
    out = net(torch.rand(2, 3, 32, 32))
    assert tuple(out) == net.style_layers and net.content_layer in out
    for i, (name, w) in enumerate(zip(net.style_layers, (6, 8, 9, 10, 12))):
        assert out[name].shape == (2, w, 32 >> i, 32 >> i)
        assert float(out[name].min()) >= 0.0                               # after a ReLU


def test_seeded_frozen_and_seed_matters():
    a, b, c = (RandomFeatures(RandomFeaturesConfig(seed=s)) for s in (3, 3, 4))
    x = torch.rand(1, 3, 32, 32)
    assert torch.equal(a(x)["layer5"], b(x)["layer5"])
    assert not torch.equal(a(x)["layer1"], c(x)["layer1"])
    assert not any(p.requires_grad for p in a.parameters())
    y = x.clone().requires_grad_()                                        # gradients reach the image
    a(y)["layer3"].sum().backward()
    assert y.grad is not None and float(y.grad.abs().sum()) > 0


def test_activations_keep_their_size_through_the_stages():
    net = RandomFeatures()
    out = net(torch.rand(1, 3, 64, 64))
    rms = [float(out[n].pow(2).mean().sqrt()) for n in net.style_layers]
    assert max(rms) / min(rms) < 10.0, rms                              # He scaling: nothing vanishes or explodes


def test_multiscale_conv_splits_channels_across_kernel_sizes():
    conv = MultiScaleConv(3, 10, (3, 5, 7))
    assert [c.out_channels for c in conv.convs] == [4, 3, 3]
    assert [c.kernel_size for c in conv.convs] == [(3, 3), (5, 5), (7, 7)]
    assert conv(torch.rand(1, 3, 9, 9)).shape == (1, 10, 9, 9)


@pytest.mark.parametrize("kwargs", [dict(widths=(8, 8, 8, 8)), dict(kernel_sizes=(3, 4)),
                                    dict(widths=(2, 8, 8, 8, 8))])
def test_bad_configs_are_refused(kwargs):
    with pytest.raises(ValueError):
        RandomFeaturesConfig(**kwargs)


def test_gram_matrix_is_symmetric_and_positive_semidefinite():
    g = gram_matrix(torch.randn(1, 5, 4, 4))[0]
    assert torch.allclose(g, g.T)
    assert float(torch.linalg.eigvalsh(g).min()) > -1e-5


def test_vgg_taps_need_vgg19_layout():
    from visualizer.data.vgg_weights import build_vgg
    taps = VGGStyleFeatures(build_vgg("vgg19", width_div=16, hidden=8, n_classes=2))
    out = taps(torch.rand(1, 3, 32, 32))
    assert set(out) == {"conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv4_2", "conv5_1"}
    assert out["conv3_1"].shape == (1, 16, 8, 8)
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in taps.modules())   # average pooling (Gatys)
    with pytest.raises(ValueError, match="VGG-19"):
        VGGStyleFeatures(torch.nn.Linear(2, 2))
