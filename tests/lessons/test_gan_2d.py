"""Lesson gan_2d: engines agree, the ring is learned, k steps and train modes, drawn targets, the two
failure detectors, snapshots and checkpoints."""
import numpy as np
import pytest

from lessons.gan_2d.field import HEATMAP_SIZE, MESH, N_ARROWS, N_DISPLAY, GanFieldData
from lessons.gan_2d.health import COLLAPSE_KEY, COLLAPSE_MIN_G_STEPS
from lessons.gan_2d.lesson import Gan2D
from lessons.gan_2d.targets import (
    EXTENT,
    MIN_DRAWN,
    format_points,
    make_target,
    parse_points,
)
from visualizer.core.lesson import LessonConfigError, LessonContext


class Recorder(LessonContext):
    def __init__(self):
        self.notices, self.pauses = [], []

    def notice(self, message):
        self.notices.append(message)

    def request_pause(self, message):
        self.pauses.append(message)


def make(ctx=None, **values):
    return Gan2D(Gan2D.hyperparameters(values), ctx)


def step(les):
    """One step as the session runs it on the CPU: the session's step number, then the window flushed."""
    les.train_step(les.step + 1)
    return les.flush()


@pytest.fixture
def one_thread():
    torch = pytest.importorskip("torch")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


RING = np.array([[1.4 * np.cos(a), 1.4 * np.sin(a)] for a in np.arange(8) * np.pi / 4])


def test_info_and_params():
    assert Gan2D.info.track == "Generative" and Gan2D.info.order == 20
    assert Gan2D.supports_engine_comparison()
    assert any(s.live for s in Gan2D.params)
    assert Gan2D.hyperparameters().spec("drawn_points").max_length >= 12 * 1500


@pytest.mark.parametrize("mode", ["both", "D only", "G only"])
def test_engines_identical(one_thread, mode):
    vals = {"d_steps": 2, "train_mode": mode, "lr_d": 3e-3, "lr_g": 3e-3, "batch_size": 32, "g_hidden": 16,
            "d_hidden": 16}
    a, b = make(**vals), make(engine="torch", **vals)
    for _ in range(25):
        ma, mb = step(a), step(b)
        assert ma.keys() == mb.keys() and ma
        for k in ma:
            assert ma[k] == pytest.approx(mb[k], rel=1e-9, abs=1e-12), k
    ga, gb = a.gradient_arrays(), b.gradient_arrays()
    assert ga.keys() == gb.keys()
    assert any(k.startswith("D.") for k in ga) == (mode != "G only")
    assert any(k.startswith("G.") for k in ga) == (mode != "D only")
    for k in ga:
        np.testing.assert_allclose(ga[k], gb[k], rtol=1e-8, atol=1e-12, err_msg=k)
    fa, fb = a.snapshot()["field"], b.snapshot()["field"]
    for name in ("heatmap", "fake", "arrows", "mesh"):
        np.testing.assert_allclose(getattr(fa, name), getattr(fb, name), rtol=1e-7, atol=1e-9, err_msg=name)
    assert a.evaluate() == pytest.approx(b.evaluate(), rel=1e-9)


def test_field_gradient_matches_autograd(one_thread):
    """The arrows are −∂ℓᵢ/∂xᵢ: compare the NumPy engine's backward to D's input with torch autograd."""
    import torch
    for loss in ("non-saturating", "minimax"):
        les = make(g_loss=loss)
        for _ in range(5):
            step(les)
        _p, fake, arrows = les.gan.field(les.field.grid[:4], les.z_display, 10, loss)
        tw = make(engine="torch", g_loss=loss)
        tw.gan.D.load_numpy_state(les.gan.D.state())
        x = torch.tensor(fake[:10], requires_grad=True)
        logit = tw.gan.D(x)[:, 0]
        ell = -torch.nn.functional.logsigmoid(logit) if loss == "non-saturating" else torch.log1p(-torch.sigmoid(logit))
        (g,) = torch.autograd.grad(ell.sum(), x)
        np.testing.assert_allclose(arrows, -g.numpy(), rtol=1e-9, atol=1e-12)


def test_ring_is_learned():
    les = make()
    js0 = les.evaluate()["js"]
    for _ in range(1250):
        step(les)
    out = les.evaluate()
    assert js0 > 0.4
    assert out["js"] < 0.2 and out["js"] < 0.35 * js0
    assert out["js_floor"] < 0.02 and out["coverage"] > 0.5 and 0.8 < out["spread"] < 1.2
    fake = les.gan.generate(les.z_eval)
    nearest = np.argmin(((fake[:, None] - RING[None]) ** 2).sum(-1), axis=1)
    assert len(np.unique(nearest)) == 8                       # every mode gets fakes
    assert np.mean(np.hypot(fake[:, 0], fake[:, 1])) == pytest.approx(1.4, abs=0.15)


def test_k_steps_and_train_modes():
    les = make(d_steps=3)
    for _ in range(4):
        m = step(les)
    assert les.gan.opt_d.t == 12 and les.gan.opt_g.t == 4
    assert {"d_loss", "d_real", "d_fake", "g_loss", "g_grad"} <= m.keys()
    g_before = {k: v.copy() for k, v in les.gan.G.state().items()}
    les.set_live("train_mode", "D only")
    m = step(les)
    assert "g_loss" not in m and les.gan.opt_d.t == 15 and les.gan.opt_g.t == 4
    assert all(np.array_equal(v, les.gan.G.state()[k]) for k, v in g_before.items())
    d_before = {k: v.copy() for k, v in les.gan.D.state().items()}
    les.set_live("train_mode", "G only")
    m = step(les)
    assert set(m) == {"g_loss", "g_grad"} and les.gan.opt_d.t == 15 and les.gan.opt_g.t == 5
    assert all(np.array_equal(v, les.gan.D.state()[k]) for k, v in d_before.items())
    les.set_live("lr_d", 0.05)
    assert les.gan.opt_d.lr == 0.05


def test_losses_at_start():
    m = step(make())
    assert 0.5 < m["d_loss"] < 3.0 and 0.2 < m["g_loss"] < 3.0
    assert 0 < m["d_real"] < 1 and 0 < m["d_fake"] < 1


def test_targets_sample_where_they_should():
    rng = np.random.default_rng(0)
    ring = make_target("ring").sample(4000, rng)
    assert np.mean(np.hypot(ring[:, 0], ring[:, 1])) == pytest.approx(1.4, abs=0.02)
    line = make_target("line").sample(2000, rng)
    assert np.allclose(np.polyfit(line[:, 0], line[:, 1], 1)[0], 2 / 3, atol=0.02)
    two = make_target("two_blobs").sample(6000, rng)
    assert np.mean(two[:, 0] > 0) == pytest.approx(2 / 3, abs=0.03)


def test_drawn_points_parsing():
    pts = np.array([[0.1, -0.2], [1.5, 3.0], [-1, 0]])
    text = format_points(pts)
    assert text == "0.10,-0.20;1.50,3.00;-1.00,0.00"
    back = parse_points(text + ";")
    np.testing.assert_allclose(back, [[0.1, -0.2], [1.5, 2.0], [-1, 0]])    # clipped to the plane
    assert parse_points("  ").shape == (0, 2)
    for bad in ("1,2;3", "a,b", "1,2,3", "1,nan"):
        with pytest.raises(LessonConfigError):
            parse_points(bad)


def test_drawn_target_needs_ten_points():
    few = format_points(np.random.default_rng(0).uniform(-1, 1, (MIN_DRAWN - 1, 2)))
    with pytest.raises(LessonConfigError, match="at least 10"):
        make(target="drawn", drawn_points=few)
    with pytest.raises(LessonConfigError, match="0 points"):
        make(target="drawn")
    les = make()
    with pytest.raises(LessonConfigError, match="at least 10"):
        les.set_live("target", "drawn")
    assert les.hp["target"] == "ring" and les.real.target.name == "ring"
    with pytest.raises(LessonConfigError, match="9 points"):
        les.set_live("drawn_points", few)
    assert les.hp["drawn_points"] == ""
    step(les)


def test_drawn_target_is_learned_from():
    shape = np.stack([np.linspace(-1.5, 1.5, 30), np.full(30, 1.0)], axis=1)      # a horizontal bar
    les = make()
    les.set_live("drawn_points", format_points(shape))
    assert les.real.target.name == "ring"                        # stored, used once the target is drawn
    les.set_live("target", "drawn")
    assert les.real.target.name == "drawn" and len(les.snapshot()["field"].drawn) == 30
    real = les.real.sample
    assert abs(np.mean(real[:, 1]) - 1.0) < 0.02 and np.std(real[:, 0]) > 0.8
    few = format_points(shape[:5])
    with pytest.raises(LessonConfigError):
        les.set_live("drawn_points", few)
    assert les.real.target.name == "drawn" and len(les.real.target.centers) == 30       # previous drawing kept
    step(les)


def far_tight_generator(les):
    """Fakes in a tight cluster at (1.8, 1.8), away from the ring: D can separate them perfectly."""
    last = les.gan.G.linears[-1]
    last.params[0] *= 0.01
    last.params[1][...] = (1.8, 1.8)


def test_discriminator_wins_pauses_under_minimax():
    ctx = Recorder()
    les = make(ctx, g_loss="minimax", lr_d=0.01, d_steps=5, lr_g=1e-5, train_mode="D only")
    far_tight_generator(les)
    for _ in range(100):
        step(les)
    assert not ctx.notices and not ctx.pauses                 # D only: winning is what was asked for
    les.set_live("train_mode", "both")
    for _ in range(60):
        m = step(les)
    assert m["d_fake"] < 1e-3 and m["g_grad"] < 0.01
    assert len(ctx.pauses) == 1 and not ctx.notices
    assert "vanished" in ctx.pauses[0] and "non-saturating" in ctx.pauses[0]
    for _ in range(40):
        step(les)
    assert len(ctx.pauses) == 1                                 # once per event


def test_discriminator_wins_notice_under_non_saturating_loss():
    ctx = Recorder()
    les = make(ctx, lr_d=0.01, d_steps=5, lr_g=1e-5, train_mode="D only", auto_pause=True)
    far_tight_generator(les)
    for _ in range(100):
        step(les)
    les.set_live("train_mode", "both")
    for _ in range(40):
        m = step(les)
    assert m["g_grad"] > 0.1                                  # −log D keeps a gradient
    assert not ctx.pauses and len(ctx.notices) == 1 and "still get a gradient" in ctx.notices[0]


def test_collapse_notice():
    ctx = Recorder()
    les = make(ctx)
    far_tight_generator(les)
    les.g_steps = COLLAPSE_MIN_G_STEPS
    for _ in range(5):
        out = les.evaluate()
    assert out["spread"] < 0.05 and out["coverage"] < 0.05
    assert len(ctx.notices) == 1 and "Mode collapse" in ctx.notices[0] and "spread" in ctx.notices[0]
    # collapsed onto one mode of the ring: the spread is small too, coverage says which modes are missing
    les2 = make(Recorder())
    les2.gan.G.linears[-1].params[0] *= 0.05
    les2.gan.G.linears[-1].params[1][...] = RING[0]
    les2.g_steps = COLLAPSE_MIN_G_STEPS
    for _ in range(3):
        out = les2.evaluate()
    assert out["coverage"] < 0.2 and len(les2.context.notices) == 1


def test_collapse_notice_is_withdrawn_when_the_fakes_spread_out_again():
    class Clearing(Recorder):
        def __init__(self):
            super().__init__()
            self.keys, self.cleared = [], []

        def keyed_notice(self, key, message):
            self.keys.append(key)
            self.notice(message)

        def clear_notice(self, key):
            self.cleared.append(key)

    ctx = Clearing()
    les = make(ctx)
    ctx.cleared.clear()                                     # building clears whatever an earlier game said
    far_tight_generator(les)
    les.g_steps = COLLAPSE_MIN_G_STEPS
    for _ in range(3):
        les.evaluate()
    assert len(ctx.notices) == 1 and ctx.keys == [COLLAPSE_KEY] and ctx.cleared == []
    les.evaluate()                                          # still collapsed: the notice stays
    assert ctx.cleared == []
    les.watch.evaluation(les.step, les.g_steps, spread=0.9, cov=0.9)    # the ring is covered again
    assert ctx.cleared == [COLLAPSE_KEY] and len(ctx.notices) == 1
    les.watch.evaluation(les.step, les.g_steps, spread=0.9, cov=0.9)    # withdrawn once
    assert ctx.cleared == [COLLAPSE_KEY]


def test_no_collapse_notice_early():
    ctx = Recorder()
    les = make(ctx)
    far_tight_generator(les)
    for _ in range(5):
        les.evaluate()
    assert not ctx.notices


def test_snapshot_shapes_and_table():
    les = make(noise="gaussian")
    step(les)
    f = les.snapshot()["field"]
    assert isinstance(f, GanFieldData)
    assert f.heatmap.shape == (HEATMAP_SIZE, HEATMAP_SIZE) and f.heatmap.dtype == np.float32
    assert 0 <= f.heatmap.min() and f.heatmap.max() <= 1
    assert f.real.shape == (N_DISPLAY, 2) and f.fake.shape == (N_DISPLAY, 2)
    assert f.arrows.shape == (N_ARROWS, 2) and f.arrows_from.shape == (N_ARROWS, 2)
    assert f.mesh.shape == (MESH, MESH, 2) and f.extent == EXTENT and f.step == 1
    header, rows = f.table()
    assert header[0] == "kind" and len(rows) == 2 * N_DISPLAY + HEATMAP_SIZE ** 2 + MESH ** 2


def test_heatmap_orientation():
    """Row 0 of the heatmap is y = y_min: D trained to call the upper half real says so at the top."""
    les = make(train_mode="D only", lr_d=0.01, target="line")
    les.set_live("drawn_points", format_points(np.stack([np.linspace(-1.8, 1.8, 20), np.full(20, 1.7)], 1)))
    les.set_live("target", "drawn")
    for _ in range(150):
        step(les)
    heat = les.snapshot()["field"].heatmap
    assert heat[-1].mean() > heat[0].mean() + 0.3


def test_checkpoint_roundtrip():
    a = make()
    for _ in range(5):
        step(a)
    state = a.checkpoint_state()
    b = make(seed=3)
    b.load_checkpoint_state(state)
    np.testing.assert_array_equal(a.gan.generate(a.z_display), b.gan.generate(a.z_display))
    assert any(k.startswith("opt.D.") for k in state)          # the optimizers' state travels too
    with pytest.raises(LessonConfigError):
        make(g_hidden=8).load_checkpoint_state(state)


def test_divergence_hint_and_cuda_on_numpy():
    assert "learning rates" in make().divergence_hint()
    with pytest.raises(LessonConfigError):
        make(device="cuda")
