"""visualizer.probes.saliency and gradient_ascent on a small float64 scratch CNN: saliency and feature-map
gradients against central differences, gradient ascent raising a filter's activation, and both leaving the
network's training gradients and input_grad flag as they were."""
import numpy as np
import pytest

from visualizer.models.cnn import CNN
from visualizer.probes.gradient_ascent import gradient_ascent
from visualizer.probes.saliency import forward_upto, maps_and_gradients, saliency

SPEC = [("conv", 3, 3, 1, 1), ("relu",), ("maxpool", 2), ("flatten",), ("linear", 4)]


@pytest.fixture
def net():
    cnn = CNN(input_shape=(2, 6, 6), spec=SPEC, init="he", dtype="float64", seed=1)
    cnn.set_train(False)
    cnn.need_input_grad = False
    return cnn


def logit(cnn, x, c):
    return float(forward_upto(cnn.layers, x)[-1][0, c])


def test_saliency_is_the_largest_channel_gradient_of_the_class_score(net):
    x = np.random.default_rng(0).uniform(0, 1, (1, 2, 6, 6))
    s = saliency(net.layers, x, 2)
    assert s.shape == (6, 6) and s.dtype == np.float64
    numeric = np.zeros((2, 6, 6))
    h = 1e-6
    for idx in np.ndindex(2, 6, 6):
        xp, xm = x.copy(), x.copy()
        xp[(0, *idx)] += h
        xm[(0, *idx)] -= h
        numeric[idx] = (logit(net, xp, 2) - logit(net, xm, 2)) / (2 * h)
    np.testing.assert_allclose(s, np.abs(numeric).max(axis=0), atol=1e-6)


def test_maps_and_gradients_and_training_state_kept(net):
    x = np.random.default_rng(1).uniform(0, 1, (1, 2, 6, 6))
    for g in net.grads:
        g[...] = 7.0                                               # the "last training step's" gradients
    outs, grads, logits = maps_and_gradients(net.layers, x, 1)
    assert len(outs) == len(grads) == len(net.layers) and logits.shape == (4,)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    expected = p.copy()
    expected[1] -= 1.0                                             # dL/dlogits = softmax − one-hot
    np.testing.assert_allclose(grads[-1][0], expected)
    assert outs[0].shape == grads[0].shape == (1, 3, 6, 6)
    assert all(np.all(g == 7.0) for g in net.grads)                # left as found
    assert net.layers[0].input_grad is False


def test_gradient_ascent_raises_the_filter_activation(net):
    x0 = np.random.default_rng(2).uniform(0.3, 0.7, (1, 2, 6, 6))
    f = int(forward_upto(net.layers, x0, 1)[-1][0].mean(axis=(1, 2)).argmax())     # a filter alive at x0
    x, before, after = gradient_ascent(net.layers, 1, f, x0, steps=20)
    assert x.shape == (2, 6, 6) and 0.0 <= x.min() and x.max() <= 1.0
    assert after > before
    assert float(forward_upto(net.layers, x[None], 1)[-1][0, f].mean()) == pytest.approx(after)
    assert net.layers[0].input_grad is False
