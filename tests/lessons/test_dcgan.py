"""Lesson dcgan: shapes, training changes the samples, fixed noise is reproducible, interpolation ends, the
diversity indicator, D-wins detection, CUDA absent, metrics stay on the device until flushed."""
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lessons.dcgan.lesson import LESSON
from lessons.dcgan.data import digits_images
from visualizer.data.images import resize_bilinear
from visualizer.models.dcgan_torch import Discriminator, Generator
from visualizer.probes.gan_health import mean_pairwise_distance
from visualizer.core.lesson import LessonConfigError, LessonContext


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


class Recorder(LessonContext):
    def __init__(self):
        self.notices, self.pauses = [], []

    def notice(self, message):
        self.notices.append(message)

    def request_pause(self, message):
        self.pauses.append(message)


def make(ctx=None, **values):
    base = {"width": 16, "batch_size": 32}
    base.update(values)
    return LESSON(LESSON.hyperparameters(base), ctx)


def test_model_module_imports_without_torch():
    import subprocess
    code = "import sys, lessons.dcgan; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("size", [16, 32])
def test_nets_shapes(size):
    g, d = Generator(20, size, 1, 8), Discriminator(size, 1, 8)
    x = g(torch.randn(5, 20))
    assert x.shape == (5, 1, size, size)
    assert float(x.detach().abs().max()) <= 1.0
    assert d(x).shape == (5,)
    assert d.features(x).shape == (5, d.feature_channels, 4, 4)
    with pytest.raises(ValueError):
        Generator(20, 24, 1)


def test_data_upscaled_and_scaled():
    d = digits_images(16)
    assert d.images.shape == (1797, 1, 16, 16) and d.images.dtype == np.float32
    assert d.images.min() == -1.0 and d.images.max() == 1.0
    x = np.random.default_rng(0).random((2, 8, 8)).astype(np.float32)
    ref = torch.nn.functional.interpolate(torch.tensor(x)[:, None], size=16, mode="bilinear",
                                          align_corners=False)[:, 0].numpy()
    np.testing.assert_allclose(resize_bilinear(x, 16), ref, atol=1e-6)


def test_snapshot_shapes_and_training_changes_grid():
    lesson = make()
    snap = lesson.snapshot()
    assert snap["samples"].images.shape == (64, 16, 16)
    assert snap["interpolation"].images.shape == (10, 16, 16)
    assert snap["real"].images.shape == (64, 16, 16)
    a, b = lesson.hp["interp_a"], lesson.hp["interp_b"]           # no index numbers but the two that matter
    assert [(i, c) for i, c in enumerate(snap["samples"].captions) if c] == sorted([(a, f"z_{a}"), (b, f"z_{b}")])
    before = snap["samples"].images.copy()
    for step in range(1, 6):
        lesson.train_step(step)
        m = lesson.flush()
    assert set(m) == {"d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm"}
    assert all(isinstance(v, float) and np.isfinite(v) for v in m.values())
    assert 0 < m["d_real"] < 1 and 0 < m["d_fake"] < 1
    after = lesson.snapshot()["samples"].images
    assert np.abs(after - before).mean() > 1e-3
    lesson.set_live("grid", "6×6")
    assert lesson.snapshot()["samples"].images.shape == (36, 16, 16)


def test_same_seed_same_grid_and_different_seed_differs():
    a, b, c = make(seed=3), make(seed=3), make(seed=4)
    for lesson in (a, b, c):
        for step in range(1, 4):
            lesson.train_step(step)
    ga, gb, gc = (x.snapshot()["samples"].images for x in (a, b, c))
    np.testing.assert_array_equal(ga, gb)
    assert np.abs(ga - gc).mean() > 1e-3


@pytest.mark.parametrize("kind", ["spherical", "linear"])
def test_interpolation_endpoints_are_the_two_samples(kind):
    lesson = make(interp_a=5, interp_b=17, interpolation=kind, interp_steps=7)
    lesson.train_step(1)
    snap = lesson.snapshot()
    grid, row = snap["samples"].images, snap["interpolation"].images
    assert row.shape == (7, 16, 16)
    np.testing.assert_allclose(row[0], grid[5], atol=1e-5)
    np.testing.assert_allclose(row[-1], grid[17], atol=1e-5)
    assert np.abs(row[3] - grid[5]).mean() > 1e-4
    with pytest.raises(LessonConfigError, match="different samples"):
        lesson.set_live("interp_b", 5)


def test_slerp_keeps_norm_between_equal_norm_vectors():
    from lessons.dcgan.latent import lerp, slerp
    a = torch.tensor([3.0, 0.0, 0.0])
    b = torch.tensor([0.0, 3.0, 0.0])
    t = torch.linspace(0, 1, 5)
    np.testing.assert_allclose(slerp(a, b, t).norm(dim=1).numpy(), 3.0, rtol=1e-5)
    assert float(lerp(a, b, t)[2].norm()) < 2.2


def test_diversity_indicator_on_collapsed_batch():
    ctx = Recorder()
    lesson = make(ctx)
    real = lesson.real_batch
    assert mean_pairwise_distance(real) == pytest.approx(lesson.real_distance)
    collapsed = np.repeat(real[:1], 64, axis=0) + 0.01 * np.random.default_rng(0).standard_normal(real.shape)
    assert mean_pairwise_distance(collapsed) / lesson.real_distance < 0.05
    # make G return the collapsed batch: the indicator falls below the threshold and warns
    lesson.samples = lambda n, interp=None: (collapsed[:n].astype(np.float32), None)
    outs = []
    for step in (1000, 1025, 1050):
        lesson.last_step = step
        outs.append(lesson.evaluate())
    assert outs[-1]["diversity"] < 0.05 and outs[-1]["collapse_threshold"] == 0.5
    assert len(ctx.notices) == 1 and "Mode collapse" in ctx.notices[0]
    lesson.samples = lambda n, interp=None: (real[:n], None)
    assert lesson.evaluate()["diversity"] == pytest.approx(1.0)


def test_d_wins_with_vanishing_gradient_pauses():
    ctx = Recorder()
    lesson = make(ctx)
    lesson._grad_ref = [10.0] * 20
    for step in range(1, 201):
        lesson._watch_d_wins(step, {"d_fake": 0.001, "g_grad_norm": 0.01})
    assert len(ctx.pauses) == 1 and "vanishes" in ctx.pauses[0]
    ctx2 = Recorder()
    lesson2 = make(ctx2)
    lesson2._grad_ref = [10.0] * 20
    for step in range(1, 201):
        lesson2._watch_d_wins(step, {"d_fake": 0.001, "g_grad_norm": 8.0})
    assert not ctx2.pauses and len(ctx2.notices) == 1


def test_cuda_absent_raises_config_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(LessonConfigError, match="CUDA"):
        make(device="cuda")


def test_metrics_stay_on_the_device_until_flushed_and_average_the_window():
    lesson = make()
    singles = []
    twin = make()
    for step in range(1, 5):
        twin.train_step(step)
        singles.append(twin.flush())
    for step in range(1, 5):
        lesson.train_step(step)                      # no flush: nothing is read back
    m = lesson.flush()
    assert set(m) == {"d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm"}
    for k in m:
        assert m[k] == pytest.approx(np.mean([s[k] for s in singles]), rel=1e-5)
    assert lesson.flush() == {}


def test_checkpoint_round_trip_and_mismatch():
    a = make()
    a.train_step(1)
    state = a.checkpoint_state()
    assert any(k.startswith("opt.G.") for k in state) and any(k.startswith("opt.D.") for k in state)
    b = make()                      # same seed (same fixed noise), untrained weights
    assert np.abs(a.samples(4)[0] - b.samples(4)[0]).max() > 1e-4
    b.load_checkpoint_state(state)
    np.testing.assert_array_equal(a.samples(4)[0], b.samples(4)[0])
    for k in ("G.net.0.weight", "D.head.weight", "opt.G.0.exp_avg"):
        np.testing.assert_array_equal(b.checkpoint_state()[k], state[k])
    with pytest.raises(LessonConfigError, match="shape"):
        make(z_dim=8).load_checkpoint_state(state)


def test_training_improves_discriminator_then_balances():
    """A short run: D(x) > D(G(z)) on average (D learns) and no metric diverges."""
    lesson = make()
    ms = []
    for step in range(1, 41):
        lesson.train_step(step)
        ms.append(lesson.flush())
    assert np.mean([m["d_real"] for m in ms]) > np.mean([m["d_fake"] for m in ms])
    assert all(np.isfinite(list(m.values())).all() for m in ms)


def test_live_learning_rates_and_beta1_reach_the_optimizers():
    lesson = make()
    lesson.set_live("g_lr", 1e-3)
    lesson.set_live("d_lr", 2e-3)
    lesson.set_live("beta1", 0.7)
    g, d = (lesson.trainer.optimizers[k].param_groups[0] for k in ("G", "D"))
    assert (g["lr"], d["lr"]) == (1e-3, 2e-3)
    assert g["betas"] == (0.7, 0.999) and d["betas"] == (0.7, 0.999)
