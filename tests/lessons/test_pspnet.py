"""Lesson pspnet: both networks on the same batches, the twin's shared start, the loss with its live auxiliary
weight, held-out metrics, the pictures (the pyramid evidence leaves the model untouched), the twin switch and the
book's PSPNet-50 variant (at a small input size so that the test stays light)."""
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lessons.pspnet.data as D
from lessons.pspnet.lesson import LESSON
from lessons.pspnet.specs import NAMES
from visualizer.core.plotdata import AnnotatedImageData, ImageGridData, MatrixData
from tests.lessons.torch_helpers import Recorder, one_torch_thread  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make(ctx=None, **values):
    base = {"train_scenes": 16, "batch_size": 4}
    base.update(values)
    return LESSON(LESSON.hyperparameters(base), ctx)


def train(lesson, steps, start=1):
    m = {}
    for step in range(start, start + steps):
        lesson.train_step(step)
        m = lesson.flush()
    return m


def test_package_imports_without_torch():
    code = "import sys, lessons.pspnet, lessons.pspnet.specs, lessons.pspnet.data; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_twin_starts_from_the_same_features_and_sees_the_same_batches():
    lesson = make()
    a, b = (lesson.trainer.modules[n].state_dict() for n in ("pspnet", "no_ppm"))
    for k, v in b.items():
        if k.startswith(("stem", "stage", "aux")):
            torch.testing.assert_close(v, a[k])
    assert lesson.trainer.modules["no_ppm"].ppm is None
    seen = {}
    for phase in lesson.trainer.phases:
        fn = phase.fn

        def spy(batch, step, fn=fn, name=phase.optimizer):
            seen.setdefault(step, {})[name] = batch
            return fn(batch, step)
        phase.fn = spy
    m = train(lesson, 2)
    for batches in seen.values():
        assert batches["pspnet"] is batches["no_ppm"]
    x, y = seen[1]["pspnet"]
    assert x.shape == (4, 3, 64, 64) and y.shape == (4, 64, 64) and y.dtype == torch.int64
    assert {"main_loss", "aux_loss", "loss", "main_loss_no_ppm", "aux_loss_no_ppm"} <= set(m)
    lesson.close()


def test_aux_weight_is_live_and_enters_the_loss():
    lesson = make(aux_weight=0.4)
    m = train(lesson, 1)
    assert m["loss"] == pytest.approx(m["main_loss"] + 0.4 * m["aux_loss"], rel=1e-5)
    lesson.set_live("aux_weight", 0.0)
    m = train(lesson, 1, start=2)
    assert m["loss"] == pytest.approx(m["main_loss"], rel=1e-6) and m["aux_loss"] > 0
    lesson.set_live("lr", 1e-4)
    lesson.set_live("poly_steps", 0)
    assert all(g["lr"] == 1e-4 for o in lesson.trainer.optimizers.values() for g in o.param_groups)
    lesson.close()


def test_poly_learning_rate_schedule():
    lesson = make(twin=False, lr=1e-3, poly_steps=10)
    lrs = []
    for step in range(1, 14):
        lesson.train_step(step)
        lrs.append(lesson.trainer.optimizers["pspnet"].param_groups[0]["lr"])
    assert lrs[0] == 1e-3                                    # step 1 trains at the full rate
    assert lrs[5] == pytest.approx(1e-3 * 0.5 ** 0.9)
    assert all(a > b for a, b in zip(lrs[:10], lrs[1:10]))
    assert lrs[-1] == pytest.approx(1e-3 * 0.05 ** 0.9)       # held at the floor
    lesson.close()


def test_evaluation_and_pictures():
    lesson = make()
    train(lesson, 3)
    m = lesson.evaluate()
    for s in ("", "_no_ppm"):
        assert 0 <= m[f"miou{s}"] <= 1 and 0 <= m[f"consistency{s}"] <= 1 and m[f"val_loss{s}"] > 0
    assert "iou_background" in m
    iou = [m[f"iou_{c}"] for c in NAMES if f"iou_{c}" in m]
    assert m["miou"] == pytest.approx(np.mean(iou))
    snap = lesson.snapshot()
    masks = snap["masks"]
    assert isinstance(masks, AnnotatedImageData) and "truth" in masks.caption and "no PPM" in masks.caption
    assert masks.mask.max() <= len(NAMES) - 1 and masks.image.shape[0] == 2 * 64 + 2
    grid = snap["ppm_branches"]
    assert isinstance(grid, ImageGridData) and len(grid.images) == 5
    assert grid.captions[0].startswith("circle: local /") and grid.captions[1].startswith("bin 1")
    one = grid.images[1]
    assert np.all(one == one[0, 0])                                  # the 1x1 bin: one cell
    two = grid.images[2]
    assert len(np.unique(two)) <= 4 and np.all(two[:8, :8] == two[0, 0])   # 2x2 cells over 16x16
    conf = snap["confusion"]
    assert isinstance(conf, MatrixData) and conf.values.shape == (6, 6)
    lesson.close()


def test_pyramid_evidence_changes_nothing_and_follows_the_pickers():
    lesson = make()
    train(lesson, 2)
    net = lesson.trainer.modules["pspnet"]
    before = {k: v.clone() for k, v in net.state_dict().items()}
    grads = [p.grad.clone() for p in net.parameters()]
    first = lesson.snapshot()["ppm_branches"]
    lesson.set_live("show_class", "background")
    other = lesson.snapshot()["ppm_branches"]
    assert not np.allclose(first.images, other.images)
    lesson.set_live("image", 63)
    assert lesson.image_index() == 63
    lesson.snapshot()
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, before[k])
    for p, g in zip(net.parameters(), grads):
        torch.testing.assert_close(p.grad, g)
    assert net.training
    lesson.close()


def test_without_twin():
    lesson = make(twin=False)
    assert set(lesson.trainer.modules) == {"pspnet"}
    m = train(lesson, 2)
    assert "main_loss_no_ppm" not in m
    assert "miou_no_ppm" not in lesson.evaluate()
    snap = lesson.snapshot()
    assert "no PPM" not in snap["masks"].caption
    lesson.close()


def test_loss_falls_in_a_short_run():
    lesson = make(twin=False, train_scenes=64, batch_size=8)
    first = train(lesson, 1)["main_loss"]
    last = train(lesson, 40, start=2)["main_loss"]
    assert last < 0.7 * first
    lesson.close()


def test_pspnet50_variant_builds_and_steps(monkeypatch):
    """The book's network (dilated ResNet-50, PPM, aux) in the lesson: 2 scenes per step on the CPU.  The input
    is 96 px here instead of 475 (a 475 px step takes tens of seconds on a CPU)."""
    monkeypatch.setitem(D.SIZES, "pspnet50", 96)
    monkeypatch.setitem(D.DRAW, "pspnet50", 48)
    monkeypatch.setattr(D, "BOOK_SCENES", (4, 2))
    ctx = Recorder()
    lesson = make(ctx, variant="pspnet50", twin=False, batch_size=8)
    assert lesson.batch_size == 2 and ctx.substitutions and ctx.substitutions[0][0] == "batch_size"
    net = lesson.trainer.modules["pspnet"]
    assert net.stage4[0].conv[0].dilation == (4, 4) and net.ppm.bins == (1, 2, 3, 6)
    m = train(lesson, 1)
    assert np.isfinite(m["main_loss"]) and np.isfinite(m["aux_loss"])
    x, y = lesson.next_batch()
    assert x.shape == (2, 3, 96, 96) and y.shape == (2, 96, 96)
    net.eval()
    with torch.no_grad():
        logits, aux = net(x)
    assert logits.shape == (2, 6, 96, 96) and aux is None
    assert lesson.evaluate()["miou"] >= 0
    lesson.set_live("image", 5)                          # beyond the 2 held-out scenes: wraps around
    assert lesson.image_index() == 1
    assert len(lesson.snapshot()["ppm_branches"].images) == 5
    lesson.close()
