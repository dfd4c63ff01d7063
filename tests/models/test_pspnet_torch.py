"""PSPNet (visualizer.models.pspnet_torch): the pyramid's bins and shapes, logits at the input size, the auxiliary
branch and loss, the twin without pyramid pooling, and the book's PSPNet-50 (checked at a small input: the
full 475 px forward and backward pass of a 49 M-parameter network takes tens of seconds and gigabytes on a CPU;
its 60x60 feature size follows from the same strides and is checked by arithmetic below)."""
import pytest

torch = pytest.importorskip("torch")

from visualizer.models.pspnet_torch import (BOOK_SIZE, PSPNetConfig, PyramidPooling, build_pspnet,
                                            count_parameters, pspnet_loss)


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_pyramid_pooling_bins_and_shapes():
    torch.manual_seed(0)
    ppm = PyramidPooling(32, (1, 2, 3, 6)).eval()
    x = torch.randn(2, 32, 12, 12)
    seen = {}
    hooks = [b.register_forward_hook(lambda m, i, o, k=k: seen.__setitem__(k, o.shape))
             for k, b in enumerate(ppm.branches)]
    y = ppm(x)
    assert y.shape == (2, 32 + 4 * 8, 12, 12) and ppm.out_channels == 64
    assert [seen[k] for k in range(4)] == [(2, 8, b, b) for b in (1, 2, 3, 6)]
    torch.testing.assert_close(y[:, :32], x)                                   # the features pass through
    # the 1x1 bin is the same everywhere: global context
    g = y[:, 32:40]
    torch.testing.assert_close(g, g[:, :, :1, :1].expand_as(g))
    for h in hooks:
        h.remove()


@pytest.mark.parametrize("stride", [8, 4])
def test_small_net_output_at_input_size_and_aux_branch(stride):
    torch.manual_seed(0)
    net = build_pspnet(PSPNetConfig(n_classes=6, width=8, output_stride=stride))
    x = torch.rand(2, 3, 64, 64)
    f3, f4 = net.features(x)
    assert f3.shape == (2, 32, 64 // stride, 64 // stride) and f4.shape == f3.shape
    logits, aux = net(x)
    assert logits.shape == (2, 6, 64, 64) and aux.shape == (2, 6, 64, 64)
    net.eval()
    logits, aux = net(x)
    assert logits.shape == (2, 6, 64, 64) and aux is None                       # aux only while training


def test_loss_weights_the_aux_term_and_ignores_void():
    torch.manual_seed(0)
    logits, aux = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    target = torch.randint(0, 3, (2, 4, 4))
    total, main, a = pspnet_loss(logits, aux, target, 0.4)
    torch.testing.assert_close(total, main + 0.4 * a)
    void = target.clone()
    void[0] = -1
    _, main_v, _ = pspnet_loss(logits, aux, void, 0.4)
    torch.testing.assert_close(main_v, torch.nn.functional.cross_entropy(logits[1:], target[1:]))
    total, main, a = pspnet_loss(logits, None, target, 0.4)
    assert float(a) == 0 and total is main


def test_twin_without_ppm_has_no_pyramid_and_still_segments():
    torch.manual_seed(0)
    twin = build_pspnet(PSPNetConfig(width=8, ppm=False))
    with_ppm = build_pspnet(PSPNetConfig(width=8))
    assert twin.ppm is None and with_ppm.ppm is not None
    assert count_parameters(twin) < count_parameters(with_ppm)
    logits, _ = twin(torch.rand(2, 3, 32, 32))
    assert logits.shape == (2, 6, 32, 32)


def test_one_training_step_lowers_the_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    net = build_pspnet(PSPNetConfig(width=8, dropout=0.0))
    x = torch.rand(4, 3, 32, 32)
    y = (x[:, 0] > 0.5).long()
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    losses = []
    for _ in range(15):
        total, main, _ = pspnet_loss(*net(x), y, 0.4)
        opt.zero_grad()
        total.backward()
        opt.step()
        losses.append(float(main.detach()))
    assert losses[-1] < 0.7 * losses[0]


def test_bad_config():
    with pytest.raises(ValueError, match="variant"):
        PSPNetConfig(variant="pspnet101")
    with pytest.raises(ValueError, match="output_stride"):
        PSPNetConfig(output_stride=16)
    with pytest.raises(ValueError, match="bins"):
        PSPNetConfig(bins=())


def test_pspnet50_shape_and_one_backward_pass():
    """The book's PSPNet-50 (VOC: 21 classes): 49.08 M parameters, 2048 features at output stride 8, logits at the
    input size.  A 96 px input (12x12 features) keeps the test to a few seconds; at 475 px the same strides give
    ceil(475 / 2) = 238 -> pool 119 -> stage 2 60: the 60x60 map of the book."""
    torch.manual_seed(0)
    net = build_pspnet(PSPNetConfig(n_classes=21, variant="pspnet50"))
    assert count_parameters(net) == 49_081_578
    assert [len(s) for s in (net.stage1, net.stage2, net.stage3, net.stage4)] == [3, 4, 6, 3]
    assert net.stage3[0].conv[0].dilation == (2, 2) and net.stage4[0].conv[0].dilation == (4, 4)
    x = torch.rand(2, 3, 96, 96)
    f3, f4 = net.features(x)
    assert f3.shape == (2, 1024, 12, 12) and f4.shape == (2, 2048, 12, 12)
    logits, aux = net(x)
    assert logits.shape == (2, 21, 96, 96) and aux.shape == (2, 21, 96, 96)
    total, _, _ = pspnet_loss(logits, aux, torch.randint(0, 21, (2, 96, 96)), 0.4)
    total.backward()
    assert net.stem[0][0].weight.grad is not None and net.ppm.branches[0][1][0].weight.grad is not None
    size = BOOK_SIZE
    for _ in range(3):                          # stem conv (s2), max pool (s2), stage 2 (s2): k3, pad 1
        size = (size - 1) // 2 + 1
    assert size == 60
