"""openpose_torch: stage outputs and their inputs, the loss (intermediate supervision, mask), the book's network
(6 stages, 19 confidence maps and 38 PAF channels at 46×46 for a 368 px input, one forward + backward)."""
import pytest

torch = pytest.importorskip("torch")

from visualizer.models.openpose_torch import (N_HEAT, N_PAF, OpenPoseConfig, OpenPoseNet, build_openpose,
                                              openpose_loss)


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("stages", [1, 2, 3])
def test_small_stage_outputs(stages):
    net = build_openpose("small", stages=stages, width=8, seed=0)
    assert net.cfg.stride == 4 and len(net.stages) == stages
    outs = net(torch.rand(2, 3, 64, 64))
    assert len(outs) == stages
    for heat, paf in outs:
        assert heat.shape == (2, N_HEAT, 16, 16) and paf.shape == (2, N_PAF, 16, 16)
    # stage 1 sees the features, later stages the features and both previous maps
    c = net.cfg.features[-1]
    assert net.stages[0].heat[0].in_channels == c
    if stages > 1:
        assert net.stages[1].heat[0].in_channels == c + N_HEAT + N_PAF
        assert net.stages[1].paf[0].kernel_size == (5, 5)


def test_later_stages_depend_on_earlier_maps():
    net = build_openpose("small", stages=2, width=8, seed=0)
    x = torch.rand(1, 3, 64, 64)
    heat1, _ = net(x)[0]
    grad = torch.autograd.grad(net(x)[1][0].sum(), [p for p in net.stages[0].parameters()])
    assert any(float(g.abs().sum()) > 0 for g in grad)              # stage 2's output depends on stage 1
    grad0 = torch.autograd.grad(heat1.sum(), list(net.stages[1].parameters()), allow_unused=True)
    assert all(g is None for g in grad0)                             # and not the other way round


def test_seed_gives_the_same_weights():
    a, b = build_openpose("small", seed=3), build_openpose("small", seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    c = build_openpose("small", seed=4)
    assert not torch.equal(next(a.parameters()), next(c.parameters()))


def test_loss_sums_the_stages():
    torch.manual_seed(0)
    shape_h, shape_p = (2, N_HEAT, 4, 4), (2, N_PAF, 4, 4)
    th, tp = torch.rand(shape_h), torch.rand(shape_p)
    outs = [(torch.rand(shape_h), torch.rand(shape_p)) for _ in range(3)]
    total, per = openpose_loss(outs, th, tp)
    assert len(per) == 3
    manual = [((h - th) ** 2).mean() + ((p - tp) ** 2).mean() for h, p in outs]
    for a, b in zip(per, manual):
        assert float(a) == pytest.approx(float(b), rel=1e-6)
    assert float(total) == pytest.approx(sum(float(m) for m in manual), rel=1e-6)
    zero, _ = openpose_loss([(th, tp)], th, tp)
    assert float(zero) == 0.0
    masked, _ = openpose_loss(outs, th, tp, mask=torch.zeros(2, 1, 4, 4))
    assert float(masked) == 0.0
    half = torch.ones(2, 1, 4, 4)
    half[1] = 0
    m, _ = openpose_loss(outs[:1], th, tp, mask=half)
    h, p = outs[0]
    expect = ((h[0] - th[0]) ** 2).sum() / th.numel() + ((p[0] - tp[0]) ** 2).sum() / tp.numel()
    assert float(m) == pytest.approx(float(expect), rel=1e-5)
    with pytest.raises(ValueError):
        openpose_loss(outs, th[:, :5], tp)
    with pytest.raises(ValueError):
        openpose_loss([], th, tp)


def test_config_errors():
    with pytest.raises(ValueError):
        OpenPoseConfig(stages=0)
    with pytest.raises(ValueError):
        OpenPoseConfig(refine_kernel=4)
    with pytest.raises(ValueError):
        build_openpose("resnet")


def test_book_network_368px_six_stages_forward_backward():
    net = build_openpose("openpose", seed=0)
    cfg = net.cfg
    assert isinstance(net, OpenPoseNet) and cfg.stages == 6 and cfg.stride == 8
    assert sum(isinstance(m, torch.nn.Conv2d) for m in net.features) == 12      # VGG-19's 10 + 2 CPM convs
    assert net.stages[0].heat[0].kernel_size == (3, 3) and net.stages[1].heat[0].kernel_size == (7, 7)
    assert net.stages[1].paf[0].in_channels == 128 + 19 + 38
    n_params = sum(p.numel() for p in net.parameters())
    assert 50e6 < n_params < 55e6                                                  # about 52 M
    outs = net(torch.rand(1, 3, 368, 368))
    assert len(outs) == 6
    for heat, paf in outs:
        assert heat.shape == (1, 19, 46, 46) and paf.shape == (1, 38, 46, 46)
    total, per = openpose_loss(outs, torch.zeros(1, 19, 46, 46), torch.zeros(1, 38, 46, 46))
    assert len(per) == 6
    total.backward()
    first = net.features[0].weight.grad
    assert first is not None and torch.isfinite(first).all() and float(first.abs().sum()) > 0
