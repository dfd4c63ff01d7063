"""Lesson autoencoder: both engines in lockstep, learning, latent and code shapes, binary codes and
retrieval precision, denoising inputs vs targets, the hashing helpers, bad settings."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from lessons.autoencoder import hashing
from lessons.autoencoder.lesson import LESSON
from visualizer.core.lesson import LessonConfigError
from visualizer.core.plotdata import BarsData, ImageGridData, ScatterData

NON_CURVE = {p.id for p in LESSON.plots if p.kind != "curves"}


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """The app trains with one BLAS thread; on a shared 2-core machine more threads only contend."""
    with threadpool_limits(1):
        yield


def build(**values):
    return LESSON(LESSON.hyperparameters(values))


def step(lesson):
    """One step as the session runs it: the session's step number, then the metric window flushed."""
    lesson.train_step(lesson.step + 1)
    return lesson.flush()


def train(lesson, steps):
    return [step(lesson) for _ in range(steps)]


@pytest.fixture(scope="module")
def binary_trained(one_blas_thread):
    lesson = build(binary_codes=True, code_bits=16, seed=0)
    train(lesson, 1200)
    return lesson


# ---- engines -------------------------------------------------------------------------------------
@pytest.mark.parametrize("values", [{}, {"binary_codes": True, "code_bits": 8, "loss": "mse", "denoising": True,
                                         "activation": "tanh"}])
def test_engines_identical_over_20_steps(values):
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a = build(engine="numpy", **values)
        b = build(engine="torch", **values)
        for _ in range(20):
            ma, mb = step(a), step(b)
            assert ma.keys() == mb.keys() == {"train_loss", "train_mse"}
            assert ma["train_loss"] == pytest.approx(mb["train_loss"], rel=1e-5, abs=1e-6)
            assert ma["train_mse"] == pytest.approx(mb["train_mse"], rel=1e-5, abs=1e-6)
        ga, gb = a.gradient_arrays(), b.gradient_arrays()
        assert ga.keys() == gb.keys() and "code.W" in ga
        for k in ga:
            assert ga[k].shape == gb[k].shape and ga[k].dtype == np.float64
            assert np.max(np.abs(ga[k] - gb[k])) <= 1e-5 * max(1.0, np.max(np.abs(ga[k])))
        sa, sb = a.checkpoint_state(), b.checkpoint_state()        # NumPy names weights "param.<name>"
        for k in ga:
            np.testing.assert_allclose(sa[f"param.{k}"], sb[k], atol=1e-5)
        ea, eb = a.evaluate(), b.evaluate()
        assert ea["val_mse"] == pytest.approx(eb["val_mse"], rel=1e-5)
    finally:
        torch.set_num_threads(threads)


def test_numpy_gradients_match_finite_differences():
    from lessons.autoencoder.net import AEConfig, AutoencoderNet, ReconstructionLoss
    cfg = AEConfig(64, 12, 3, "tanh", binary=True, loss="bce", dtype="float64", seed=3)
    net = AutoencoderNet(cfg)
    rng = np.random.default_rng(0)
    x = rng.random((5, 64))
    noise = rng.standard_normal((5, 3))
    ReconstructionLoss(net, "bce")(x, x, noise)     # fills the gradients, no update
    grads = {n: g.copy() for n, g in zip(net.names, net.grads)}

    def loss():
        _, logits = net.forward(x, noise)
        return float(np.mean(np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))))

    for name, p in zip(net.names, net.params):
        for idx in [(0,) * p.ndim, tuple(s - 1 for s in p.shape)]:
            old = p[idx]
            p[idx] = old + 1e-6
            up = loss()
            p[idx] = old - 1e-6
            down = loss()
            p[idx] = old
            assert (up - down) / 2e-6 == pytest.approx(grads[name][idx], rel=1e-4, abs=1e-9), name


# ---- learning and views ----------------------------------------------------------------------------
def test_reconstruction_error_falls_and_latent_is_2d():
    lesson = build(seed=1)
    start = lesson.evaluate()["val_mse"]
    train(lesson, 600)
    end = lesson.evaluate()
    assert start > 0.1 and end["val_mse"] < 0.05
    assert end["precision_at_10"] > 0.4             # 2 numbers already separate many digits
    snap = lesson.snapshot()
    assert set(snap) == NON_CURVE
    latent = snap["latent"]
    assert isinstance(latent, ScatterData) and latent.points.shape == (360, 2) and "2-D code" in latent.title
    grid = snap["reconstructions"]
    assert isinstance(grid, ImageGridData) and grid.images.shape == (20, 8, 8) and grid.ncols == 10
    assert lesson.codes()[0].shape == (360, 2) and lesson.codes()[1].shape == (1437, 2)


def test_wider_code_shows_pca_in_title():
    lesson = build(code_size=16)
    step(lesson)
    latent = lesson.snapshot()["latent"]
    assert latent.points.shape == (360, 2) and "PCA of the 16-D code" in latent.title
    assert "PC 1" in latent.x_label


def test_binary_codes_are_bits_and_retrieval_beats_chance(binary_trained):
    lesson = binary_trained
    val_codes, _ = lesson.codes()
    assert val_codes.shape == (360, 16) and np.all((val_codes >= 0) & (val_codes <= 1))
    bits = hashing.binary_codes(val_codes)
    assert bits.dtype == np.uint8 and set(np.unique(bits)) <= {0, 1}
    metrics = lesson.evaluate()
    assert metrics["saturated_codes"] > 0.8          # the code noise pushed the units to 0/1
    assert metrics["precision_at_10"] > 0.6 > 3 * lesson.chance
    snap = lesson.snapshot()
    bars = snap["precision_by_bits"]
    assert isinstance(bars, BarsData)
    assert list(bars.labels) == ["pixels (64-D)", "4 bits", "8 bits", "16 bits", "chance"]
    assert bars.values[1] < bars.values[3]           # 4 bits retrieve worse than 16
    retrieval = snap["retrieval"]
    assert retrieval.images.shape == (12, 8, 8) and retrieval.captions[0] == "query"
    assert all(c.startswith("d=") for c in retrieval.captions[1:])
    d = [int(c[2:]) for c in retrieval.captions[1:]]
    assert d == sorted(d)
    lesson.set_live("query_index", 200)
    moved = lesson.snapshot()["retrieval"]
    assert not np.array_equal(moved.images[0], retrieval.images[0])


def test_code_noise_is_what_makes_codes_binary():
    noisy = build(binary_codes=True, code_bits=8, code_noise=4.0)
    quiet = build(binary_codes=True, code_bits=8, code_noise=0.0)
    train(noisy, 400)
    train(quiet, 400)
    assert noisy.evaluate()["saturated_codes"] > quiet.evaluate()["saturated_codes"] + 0.2


def test_denoising_corrupts_inputs_not_targets():
    lesson = build(denoising=True, noise_type="masking", noise_level=0.5)
    idx = np.arange(32)
    x_in, target, noise = lesson.training_inputs(idx)
    np.testing.assert_array_equal(target, lesson.data.x_train[idx])
    assert noise is None
    inked = target > 0
    masked = (x_in == 0) & inked
    assert 0.35 < masked.sum() / inked.sum() < 0.65
    assert np.all((x_in == target) | (x_in == 0))
    lesson.set_live("noise_type", "gaussian")
    x_in, target, _ = lesson.training_inputs(idx)
    np.testing.assert_array_equal(target, lesson.data.x_train[idx])
    assert np.abs(x_in - target).mean() > 0.1 and x_in.min() >= 0 and x_in.max() <= 1
    grid = lesson.snapshot()["reconstructions"]
    assert grid.images.shape == (30, 8, 8) and grid.captions[10] == "noisy"
    assert grid.captions[0].startswith("input ") and set(grid.captions[20:]) == {"output"}    # no bare numbers
    assert not np.array_equal(grid.images[10:20], grid.images[:10])
    lesson.set_live("denoising", False)
    x_in, target, _ = lesson.training_inputs(idx)
    np.testing.assert_array_equal(x_in, target)


# ---- hashing helpers -------------------------------------------------------------------------------
def test_hamming_and_precision_helpers():
    q = np.array([[0, 0, 0, 0], [1, 1, 0, 0]], dtype=np.uint8)
    db = np.array([[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1], [1, 1, 0, 1]], dtype=np.uint8)
    d = hashing.hamming_distances(q, db)
    np.testing.assert_array_equal(d, [[0, 1, 4, 3], [2, 1, 2, 1]])
    labels_db = np.array([0, 0, 1, 1])
    assert hashing.precision_at_k(d, np.array([0, 1]), labels_db, 1) == pytest.approx((1 + 0.5) / 2)
    assert hashing.precision_at_k(d, np.array([0, 1]), labels_db, 2) == pytest.approx((1 + 0.5) / 2)
    with pytest.raises(ValueError):
        hashing.precision_at_k(d, np.array([0, 1]), labels_db, 5)
    pts, share = hashing.pca_2d(np.random.default_rng(0).standard_normal((50, 5)))
    assert pts.shape == (50, 2) and share[0] >= share[1] > 0


# ---- bad input ----------------------------------------------------------------------------------
def test_code_wider_than_hidden_layer_is_refused():
    with pytest.raises(LessonConfigError, match="Code size .*larger than the hidden layers"):
        build(code_size=32, hidden_units=16)
    with pytest.raises(LessonConfigError, match="Code bits"):
        build(binary_codes=True, code_bits=32, hidden_units=16)
    build(code_size=64, hidden_units=16, binary_codes=True, code_bits=16)     # code_size unused: fine


def test_checkpoint_round_trip_and_mismatch():
    a = build(seed=2)
    train(a, 30)
    b = build(seed=2)                              # same seed: same validation split, untrained weights
    assert b.evaluate()["val_mse"] != pytest.approx(a.evaluate()["val_mse"], rel=1e-3)
    b.load_checkpoint_state(a.checkpoint_state())
    np.testing.assert_allclose(b.evaluate()["val_mse"], a.evaluate()["val_mse"], rtol=1e-6)
    assert any(k.startswith("opt.") for k in a.checkpoint_state())      # Adam's moments travel with the weights
    with pytest.raises(LessonConfigError, match="code.W.*has shape"):
        build(code_size=3).load_checkpoint_state(a.checkpoint_state())
