"""Lesson vae: the KL term, the reparameterization gradient, training, a live β, the latent grid,
posterior-collapse detection, metrics kept on the device between flushes, checkpoints and bad settings."""
import subprocess
import sys

import numpy as np
import pytest
import torch

from lessons.vae.lesson import LESSON
from lessons.vae import lesson as vae_model
from lessons.vae.latent import gaussian_kl, grid_latents, mosaic, mosaic_extent
from lessons.vae.net_torch import kl_per_dim, reparameterize, vae_losses
from visualizer.data.digits import load_digits_split
from visualizer.data.images import resize_bilinear
from visualizer.probes.vae_health import PosteriorCollapse
from visualizer.data.download import DownloadError
from visualizer.core.lesson import LessonConfigError, LessonContext
from visualizer.core.plotdata import BarsData, ImageData, ImageGridData, ScatterData


@pytest.fixture(autouse=True)
def one_thread():
    """This shared machine has 2 cores: PyTorch on one thread, restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class RecordingContext(LessonContext):
    def __init__(self):
        self.notices = []

    def notice(self, message):
        self.notices.append(message)


def build(context=None, **values):
    return LESSON(LESSON.hyperparameters(values), context)


def step(lesson):
    """One step as the session runs it on the CPU: the session's step number, then the window flushed."""
    lesson.train_step(lesson.step + 1)
    return lesson.flush()


def train(lesson, steps):
    return [step(lesson) for _ in range(steps)]


@pytest.fixture(scope="module")
def trained():
    """A lesson after 300 steps at β = 1 and the metrics of every step (read-only users)."""
    torch.set_num_threads(1)
    lesson = build(seed=0)
    first_val = lesson.evaluate()
    metrics = train(lesson, 300)
    return lesson, metrics, first_val


def test_model_module_imports_without_torch():
    code = "import sys, lessons.vae; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_kl_formula_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(50, 4))
    logvar = rng.normal(scale=1.5, size=(50, 4))
    direct = torch.distributions.kl_divergence(
        torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar))),
        torch.distributions.Normal(0.0, 1.0)).numpy()
    np.testing.assert_allclose(gaussian_kl(mu, logvar), direct, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kl_per_dim(torch.tensor(mu), torch.tensor(logvar)).numpy(), direct, rtol=1e-12)
    assert gaussian_kl(np.zeros((1, 3)), np.zeros((1, 3))).max() == 0.0        # the prior itself: KL = 0
    # Monte Carlo: E_q[log q(z) − log p(z)] for one dimension
    m, lv = 0.7, -0.8
    z = m + np.exp(0.5 * lv) * np.random.default_rng(1).normal(size=400_000)
    log_q = -0.5 * (z - m) ** 2 / np.exp(lv) - 0.5 * lv
    log_p = -0.5 * z ** 2
    assert abs(np.mean(log_q - log_p) - gaussian_kl(np.array([[m]]), np.array([[lv]]))[0, 0]) < 5e-3


def test_lesson_kl_term_is_the_formula_on_its_encoder(trained):
    lesson, _, _ = trained
    vae = lesson.vae
    with torch.no_grad():
        mu, logvar = vae.model.encode(vae.x_val)
        out = vae_losses(vae.model, vae.x_val, vae.val_eps, 1.0)
    expected = gaussian_kl(mu.numpy(), logvar.numpy()).sum(axis=1).mean()
    assert float(out["kl"]) == pytest.approx(expected, rel=1e-5)
    assert lesson.evaluate()["val_kl"] == pytest.approx(expected, rel=1e-5)


def test_reparameterization_gradient_flows_to_mu_and_sigma():
    mu = torch.tensor([[0.3, -1.0]], dtype=torch.float64, requires_grad=True)
    logvar = torch.tensor([[0.2, -0.6]], dtype=torch.float64, requires_grad=True)
    eps = torch.tensor([[1.5, -0.4]], dtype=torch.float64)
    z = reparameterize(mu, logvar, eps)
    np.testing.assert_allclose(z.detach().numpy(), (mu + torch.exp(0.5 * logvar) * eps).detach().numpy())
    z.sum().backward()
    np.testing.assert_allclose(mu.grad.numpy(), [[1.0, 1.0]])
    np.testing.assert_allclose(logvar.grad.numpy(), (0.5 * torch.exp(0.5 * logvar) * eps).detach().numpy())
    # in the lesson: with β = 0 the encoder learns only through z = μ + σ ⊙ ε
    lesson = build(beta=0.0, seed=3)
    vae = lesson.vae
    vae.model.zero_grad()
    out = vae_losses(vae.model, vae.x_train[:32], torch.randn(32, 2, dtype=torch.float32), 0.0)
    out["loss"].backward()
    first = vae.model.encoder[0].weight.grad
    assert first is not None and float(first.abs().max()) > 1e-4


def test_loss_falls(trained):
    lesson, metrics, first_val = trained
    assert set(metrics[0]) == {"train_recon", "train_kl", "train_loss"}
    assert all(isinstance(v, float) for m in metrics for v in m.values())
    assert metrics[0]["train_recon"] > 40.0                 # 64 pixels, log 2 each before training
    assert np.mean([m["train_recon"] for m in metrics[-20:]]) < 28.0
    val = lesson.evaluate()
    assert set(val) == {"val_recon", "val_kl", "val_neg_elbo", "val_loss"}
    assert val["val_loss"] == pytest.approx(val["val_neg_elbo"])                  # β = 1
    assert val["val_neg_elbo"] < first_val["val_neg_elbo"] - 15.0
    assert val["val_kl"] > 0.5                              # the code carries information


def test_beta_changes_live_and_larger_beta_lowers_kl():
    lesson = build(seed=1, latent_dim=4)
    train(lesson, 300)
    kl_at_1 = lesson.evaluate()["val_kl"]
    lesson.set_live("beta", 5.0)
    m = step(lesson)
    assert m["train_loss"] == pytest.approx(m["train_recon"] + 5.0 * m["train_kl"], rel=1e-5)
    train(lesson, 250)
    kl_at_5 = lesson.evaluate()["val_kl"]
    assert kl_at_1 > 1.0 and kl_at_5 < 0.5 * kl_at_1


def test_latent_grid_over_prior_quantiles():
    z = grid_latents(15, 2)
    assert z.shape == (225, 2) and z.dtype == np.float32
    assert z[0, 0] == pytest.approx(-1.6449, abs=1e-4) and z[0, 1] == pytest.approx(1.6449, abs=1e-4)  # top left
    assert z[-1, 0] == pytest.approx(1.6449, abs=1e-4) and z[-1, 1] == pytest.approx(-1.6449, abs=1e-4)
    assert z[7 * 15 + 7] == pytest.approx([0.0, 0.0], abs=1e-12)                                        # centre
    z5 = grid_latents(12, 5)
    assert z5.shape == (144, 5) and not z5[:, 2:].any()
    with pytest.raises(ValueError):
        grid_latents(12, 1)
    tiles = np.arange(9 * 2 * 3, dtype=float).reshape(9, 2, 3)
    big = mosaic(tiles, 3)
    assert big.shape == (6, 9)
    np.testing.assert_array_equal(big[2:4, 3:6], tiles[4])                  # row 1, column 1
    x0, x1 = mosaic_extent(15, 8)
    assert x0 < 0.05 - 0.02 and x1 > 0.95 + 0.02 and (x0 + x1) / 2 == pytest.approx(0.5)
    gapped = mosaic(tiles, 3, gap=1)
    assert gapped.shape == (8, 11) and np.isnan(gapped[2]).all() and np.isnan(gapped[:, 3]).all()
    np.testing.assert_array_equal(gapped[3:5, 4:7], tiles[4])
    x0, x1 = mosaic_extent(3, 3, gap=1, low=0.0, high=1.0)      # 11 pixels, tile centres at pixels 1, 5, 9
    px = np.linspace(x0, x1, 11)
    assert px[[1, 5, 9]] == pytest.approx([0.0, 0.5, 1.0])


def test_snapshot_kinds_and_shapes(trained):
    lesson, _, _ = trained
    snap = lesson.snapshot()
    kinds = {p.id: p.kind for p in LESSON.plots if p.kind != "curves"}
    assert set(snap) == set(kinds)
    types = {"latent_grid": ImageData, "image_grid": ImageGridData, "scatter": ScatterData, "active_units": BarsData}
    for pid, kind in kinds.items():
        assert isinstance(snap[pid], types[kind]), pid
    grid = snap["latent_grid"]
    assert grid.image.shape == (15 * 9 - 1, 15 * 9 - 1) and grid.image.dtype == np.float32   # 1-pixel gaps
    assert np.isnan(grid.image[:, 8]).all() and np.isnan(grid.image[8]).all()
    assert 0.0 <= np.nanmin(grid.image) and np.nanmax(grid.image) <= 1.0
    assert lesson.latent_grid(12).image.shape == (107, 107)
    assert snap["latent_means"].points.shape == (len(lesson.data.y_val), 2)
    assert snap["reconstructions"].images.shape == (24, 8, 8)
    np.testing.assert_array_equal(snap["reconstructions"].images[0], lesson.data.x_val[0].reshape(8, 8))
    assert snap["samples"].images.shape == (32, 8, 8)
    assert list(snap["active_units"].labels) == ["z1", "z2"] and (snap["active_units"].values > 0.1).all()
    # the grid decodes the prior's quantiles: tile (row r, col c) = decoder(z of row r, col c), row 0 at the top
    z = grid_latents(15, 2)
    tiles = lesson.vae.decode(z[[0, 224]]).reshape(2, 8, 8)
    top_down = grid.image[::-1]
    np.testing.assert_allclose(top_down[:8, :8], tiles[0], atol=1e-6)
    np.testing.assert_allclose(top_down[-8:, -8:], tiles[1], atol=1e-6)


def test_more_latent_dimensions_say_what_the_grid_shows():
    ctx = RecordingContext()
    lesson = build(ctx, latent_dim=5)
    assert any("z₁ and z₂ with the others at 0" in n for n in ctx.notices)
    snap = lesson.snapshot()
    assert "z₃…z5 = 0" in snap["latent_grid"].y_label
    assert len(snap["active_units"].values) == 5 and snap["latent_means"].points.shape[1] == 2


def test_large_beta_collapses_and_the_lesson_says_so():
    ctx = RecordingContext()
    lesson = build(ctx, beta=10.0, seed=2)
    lesson.collapse = PosteriorCollapse(patience=100, warmup=50)
    train(lesson, 300)
    assert lesson.last_kl_dim.max() < 0.02
    msgs = [n for n in ctx.notices if "Posterior collapse" in n]
    assert len(msgs) == 1 and "β = 10" in msgs[0] and "Lower β" in msgs[0]


def test_metrics_stay_on_the_device_until_the_flush():
    lesson = build(seed=4)
    lesson.trainer.device_metrics = True                          # the GPU path, on the CPU
    for t in range(1, 31):                                        # what the session does on a GPU: no flush
        lesson.train_step(t)
    sums = dict(lesson.trainer._sums)
    assert set(sums) == {"train_recon", "train_kl", "train_loss"} and lesson.trainer._counts["train_kl"] == 30
    assert all(isinstance(v, torch.Tensor) for v in sums.values()) and lesson._kl_steps == 30
    assert set(lesson.flush()) == set(sums) and lesson.flush() == {} and lesson._kl_steps == 0
    assert lesson.last_kl_dim.shape == (2,) and np.all(np.isfinite(lesson.last_kl_dim))


def test_window_means_equal_the_per_step_values():
    a, b = build(seed=5), build(seed=5)
    per_step = train(a, 5)
    for t in range(1, 6):
        b.train_step(t)
    window = b.flush()
    for k in window:
        assert window[k] == pytest.approx(np.mean([m[k] for m in per_step]), rel=1e-5)


def test_nan_metrics_and_the_hint():
    lesson = build(lr=0.5)
    with torch.no_grad():
        lesson.vae.model.encoder[0].weight.fill_(float("nan"))
    m = step(lesson)
    assert not np.isfinite(m["train_loss"])
    assert "learning rate (0.5)" in lesson.divergence_hint() and "Reset" in lesson.divergence_hint()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_absent_is_a_config_error():
    with pytest.raises(LessonConfigError, match="CUDA"):
        build(device="cuda")


def test_conv_architecture_and_upscaled_digits():
    lesson = build(architecture="conv", dataset="digits16", latent_dim=3)
    assert lesson.data.x_train.shape[1] == 256 and lesson.image_shape == (16, 16)
    train(lesson, 20)
    snap = lesson.snapshot()
    assert snap["latent_grid"].image.shape == (15 * 17 - 1, 15 * 17 - 1)
    assert snap["samples"].images.shape == (32, 16, 16)
    small = load_digits_split(0.2, 0, "float32").x_val[:3]         # the shared resize, clipped to [0, 1]
    np.testing.assert_array_equal(lesson.data.x_val[:3].reshape(3, 16, 16),
                                  resize_bilinear(small.reshape(3, 8, 8), 16, clip=(0.0, 1.0)))
    x = lesson.data.x_train
    assert x.dtype == np.float32 and 0.0 <= x.min() <= x.max() <= 1.0


def test_mnist_offline_falls_back_to_digits(monkeypatch):
    def offline(*args, **kwargs):
        raise DownloadError("no network", "no network")

    monkeypatch.setattr(vae_model, "load_idx_split", offline)
    ctx = RecordingContext()
    lesson = build(ctx, dataset="mnist")
    assert lesson.image_shape == (8, 8)
    assert any("Could not download MNIST (no network)" in n for n in ctx.notices)


def test_checkpoint_round_trip_and_wrong_shape():
    a = build(seed=6)
    train(a, 50)
    b = build(seed=7)
    b.load_checkpoint_state(a.checkpoint_state())
    z = grid_latents(5, 2)
    np.testing.assert_allclose(b.vae.decode(z), a.vae.decode(z), atol=1e-6)
    assert any(k.startswith("opt.main.") for k in a.checkpoint_state())    # Adam's moments travel too
    with pytest.raises(LessonConfigError, match="has shape"):
        build(latent_dim=3).load_checkpoint_state(a.checkpoint_state())


def test_builds_and_trains_without_dynamo():
    code = ("import sys, torch; from lessons.vae.lesson import LESSON; l = LESSON(LESSON.hyperparameters({})); "
            "l.train_step(1); l.flush(); assert 'torch._dynamo' not in sys.modules, 'slow import'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
