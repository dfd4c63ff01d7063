"""visualizer.models.ssd_torch: default boxes, encode/decode, jaccard matching, hard negative mining,
MultiBoxLoss on one batch, detection, and the book's SSD300 (8,732 default boxes, one forward/backward)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from visualizer.models import ssd_torch as M


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_default_box_count_and_layout():
    cfg = M.SSDConfig()
    boxes = M.default_boxes(cfg)
    assert boxes.shape == (cfg.num_default_boxes(), 4) == (16 * 16 * 4 + 8 * 8 * 6 + 4 * 4 * 6 + 2 * 2 * 4, 4)
    assert boxes.dtype == np.float32 and boxes.min() >= 0 and boxes.max() <= 1
    # map 2 (8 x 8, 6 boxes), cell (row 3, col 5): centre ((5 + .5) / 8, (3 + .5) / 8); shapes 1, 1', 2, 1/2, 3, 1/3
    i = M.default_box_index(cfg, 1, 3, 5)
    cell = boxes[i:i + 6]
    np.testing.assert_allclose(cell[:, :2], [[5.5 / 8, 3.5 / 8]] * 6, rtol=1e-6)
    s, big = 18 / 64, np.sqrt(18 / 64 * 30 / 64)
    np.testing.assert_allclose(cell[:, 2:], [[s, s], [big, big], [s * 2 ** .5, s / 2 ** .5], [s / 2 ** .5, s * 2 ** .5],
                                             [s * 3 ** .5, s / 3 ** .5], [s / 3 ** .5, s * 3 ** .5]], rtol=1e-5)
    assert M.box_shapes(cfg, 1) == ["1", "1'", "2", "1/2", "3", "1/3"]
    with pytest.raises(IndexError, match="outside"):
        M.default_box_index(cfg, 0, 16, 0)
    with pytest.raises(ValueError, match="one entry per"):
        M.SSDConfig(steps=(4, 8))


def test_ssd300_has_8732_default_boxes():
    cfg = M.SSDConfig.ssd300()
    assert cfg.num_default_boxes() == 8732 == len(M.default_boxes(cfg))
    assert cfg.boxes_per_cell() == (4, 6, 6, 6, 4, 4)


def test_encode_decode_are_inverse():
    g = torch.Generator().manual_seed(0)
    priors = torch.as_tensor(M.default_boxes(M.SSDConfig()))
    xy = torch.rand(2, len(priors), 2, generator=g) * 0.6
    boxes = torch.cat([xy, xy + 0.05 + 0.3 * torch.rand(2, len(priors), 2, generator=g)], -1)
    torch.testing.assert_close(M.decode(M.encode(boxes, priors), priors), boxes, atol=1e-5, rtol=1e-5)
    zero = M.decode(torch.zeros(1, len(priors), 4), priors)[0]
    torch.testing.assert_close(zero, M.center_to_corners(priors))


def test_matching_forces_each_truths_best_box_and_thresholds():
    priors = torch.as_tensor(M.default_boxes(M.SSDConfig()))
    corners = M.center_to_corners(priors)
    gt = torch.tensor([[[0.1, 0.1, 0.5, 0.5], [0.55, 0.6, 0.62, 0.64], [0, 0, 0, 0]]])   # the second: tiny
    labels = torch.tensor([[2, 0, -1]])                                                  # the third: padding
    t = M.match(gt, labels, priors, threshold=0.5)
    iou = M.pairwise_iou(gt[0, :2], corners)                                              # (2, P)
    best = iou.argmax(1)
    assert iou[1].max() < 0.5                                   # no box reaches the threshold for the tiny one...
    assert t.conf[0, best[1]] == 1 and t.forced[0, best].all()  # ...its best default box is positive anyway
    assert t.conf[0, best[0]] == 3
    big = (iou[0] >= 0.5) & (iou[1] < iou[0])
    assert (t.conf[0, big] == 3).all()
    assert ((t.conf[0] > 0) == ((iou.max(0).values >= 0.5) | t.forced[0])).all()
    assert t.forced[0].sum() == 2                                # the padding entry matches nothing
    # the encoded offsets decode to the matched truth
    dec = M.decode(t.loc, priors)[0]
    torch.testing.assert_close(dec[best[1]], gt[0, 1], atol=1e-5, rtol=1e-5)
    # raising the threshold keeps only forced boxes and boxes above it
    t9 = M.match(gt, labels, priors, threshold=0.9)
    assert (t9.conf[0] > 0).sum() < (t.conf[0] > 0).sum() and (t9.conf[0, best] > 0).all()


def test_hard_negative_mining_keeps_three_per_positive():
    g = torch.Generator().manual_seed(1)
    loss = torch.rand(2, 100, generator=g)
    pos = torch.zeros(2, 100, dtype=torch.bool)
    pos[0, :5] = True
    pos[1, 10:12] = True
    neg = M.hard_negatives(loss, pos, 3.0)
    assert neg.sum(1).tolist() == [15, 6] and not (neg & pos).any()
    for b in range(2):                        # the kept negatives are the highest-loss background boxes
        bg = loss[b][~pos[b]]
        assert loss[b][neg[b]].min() >= bg.sort(descending=True).values[int(neg[b].sum()) - 1] - 1e-7
    assert M.hard_negatives(loss, pos, 1.0).sum(1).tolist() == [5, 2]
    assert M.hard_negatives(loss, torch.zeros_like(pos), 3.0).sum() == 0


def test_multibox_loss_returns_parts_and_masks_and_overfits_one_batch():
    torch.manual_seed(0)
    cfg = M.SSDConfig(width=8)
    net = M.SSD(cfg)
    x = torch.rand(4, 3, 64, 64)
    gt = torch.tensor([[0.1, 0.1, 0.5, 0.6], [0.5, 0.4, 0.9, 0.9]]).repeat(4, 1, 1)
    labels = torch.tensor([[0, 3]]).repeat(4, 1)
    crit = M.MultiBoxLoss(0.5, 3.0)
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    first = None
    for _ in range(40):
        loc, conf = net(x)
        assert loc.shape == (4, cfg.num_default_boxes(), 4) and conf.shape == (4, cfg.num_default_boxes(), 6)
        ll, lc, pos, neg = crit(loc, conf, gt, labels, net.priors)
        assert neg.sum() == 3 * pos.sum()
        if first is None:
            first = (ll.item(), lc.item())
        opt.zero_grad()
        (ll + lc).backward()
        opt.step()
    assert ll.item() < 0.5 * first[0] and lc.item() < 0.3 * first[1], (first, ll.item(), lc.item())
    net.eval()
    with torch.no_grad():
        dets = M.detect(*net(x[:1]), net.priors, conf_threshold=0.5, nms_iou=0.45)
    d = dets[0]
    assert set(d["labels"].tolist()) == {0, 3}
    best = d["boxes"][d["scores"].argmax()]
    assert M.pairwise_iou(best[None], gt[0]).max() > 0.5


def test_detect_applies_threshold_nms_and_top_k():
    priors = torch.tensor([[0.5, 0.5, 0.4, 0.4], [0.52, 0.5, 0.4, 0.4], [0.2, 0.2, 0.1, 0.1]])
    loc = torch.zeros(1, 3, 4)
    conf = torch.tensor([[[0.0, 5.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 3.0]]])
    d = M.detect(loc, conf, priors, conf_threshold=0.5, nms_iou=0.5)[0]
    assert d["labels"].tolist() == [0, 1] and len(d["boxes"]) == 2          # box 2 is suppressed by box 1
    d = M.detect(loc, conf, priors, conf_threshold=0.5, nms_iou=0.99)[0]
    assert len(d["boxes"]) == 3
    assert len(M.detect(loc, conf, priors, 0.5, 0.99, top_k=1)[0]["boxes"]) == 1
    assert len(M.detect(loc, conf, priors, 0.99, 0.5)[0]["boxes"]) == 0


def test_ssd300_forward_backward():
    torch.manual_seed(0)
    net = M.SSD(M.SSDConfig.ssd300())
    assert net.priors.shape == (8732, 4)
    loc, conf = net(torch.rand(1, 3, 300, 300))
    assert loc.shape == (1, 8732, 4) and conf.shape == (1, 8732, 21)
    assert [s.shape[-1] for s in net.sources] == [38, 19, 10, 5, 3, 1]
    ll, lc, pos, neg = M.MultiBoxLoss()(loc, conf, torch.tensor([[[0.2, 0.2, 0.6, 0.7]]]), torch.tensor([[4]]),
                                        net.priors)
    (ll + lc).backward()
    assert net.vgg[0].weight.grad is not None and net.l2norm.weight.grad is not None
    assert torch.isfinite(ll) and torch.isfinite(lc) and pos.sum() > 0
    with pytest.raises(ValueError, match="source maps"):
        M.SSD(M.SSDConfig())(torch.rand(1, 3, 96, 96))
