"""Lesson cnn_scratch on colour images: a tiny CIFAR-10 tarball in the real format (in the cache, so
no network), both engines in lockstep on 3 input channels, the RGB snapshots, and the offline and
damaged-file fallbacks to the embedded digits."""
import hashlib

import numpy as np
import pytest

from lessons.cnn_scratch.explainer import ExplainerSettings, luminance
from lessons.cnn_scratch.lesson import LESSON
from tests.core.test_data_cifar10 import fake_cifar10
from tests.core.test_data_download import unreachable_url
from visualizer.data import cifar10
from visualizer.core.lesson import LessonContext


class RecordingContext(LessonContext):
    def __init__(self):
        self.notices = []

    def notice(self, message):
        self.notices.append(message)


def point_source(monkeypatch, known_hash):
    """CIFAR-10 from an address where nothing answers: only a cached file with this hash can be had."""
    monkeypatch.setattr(cifar10, "SOURCE", cifar10.Cifar10Source(
        "CIFAR-10", "cifar10", (unreachable_url(),), cifar10.SOURCE.filename, known_hash))


@pytest.fixture
def cached_cifar(tmp_path, monkeypatch):
    """A fake CIFAR-10 tarball (20 training, 10 test images) already in the download cache."""
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / cifar10.SOURCE.folder
    folder.mkdir(parents=True)
    point_source(monkeypatch, fake_cifar10(folder / cifar10.SOURCE.filename, per_batch=4, n_test=10))


def build(ctx=None, **values):
    return LESSON(LESSON.hyperparameters({"dataset": "cifar10", **values}), ctx)


def step(lesson):
    """One training step as the session runs it (the step number, then the flushed metrics)."""
    lesson.n_steps = getattr(lesson, "n_steps", 0) + 1
    lesson.train_step(lesson.n_steps)
    return lesson.flush()


def test_engines_agree_on_colour_images(cached_cifar):
    ctx = RecordingContext()
    a, b = build(ctx, engine="numpy", seed=2, batch_size=8), build(ctx, engine="torch", seed=2, batch_size=8)
    assert not ctx.notices
    assert a.data.name == "CIFAR-10" and a.data.class_names == cifar10.CLASS_NAMES
    assert a.x_train.shape == (20, 3, 32, 32) and a.x_val.shape == (5, 3, 32, 32)
    assert a.cnn.input_shape == (3, 32, 32) and a.cnn.layers[0].params[0].shape == (16, 3, 3, 3)
    for _ in range(6):
        ma, mb = step(a), step(b)
        assert ma["train_loss"] == pytest.approx(mb["train_loss"], abs=1e-5)
        assert ma["train_acc"] == mb["train_acc"]
    ga, gb = a.gradient_arrays(), b.gradient_arrays()
    assert ga["conv0.W"].shape == (16, 3, 3, 3)
    for k in ga:
        np.testing.assert_allclose(ga[k], gb[k], atol=1e-5 * max(1.0, np.abs(ga[k]).max()))
    va, vb = a.evaluate(), b.evaluate()
    assert np.isfinite(va["val_loss"]) and va["val_loss"] == pytest.approx(vb["val_loss"], abs=1e-5)
    np.testing.assert_allclose(a.snapshot()["filters"].images, b.snapshot()["filters"].images, atol=1e-5)

    # saliency = max over R, G, B of |∂z_c/∂x| (Simonyan et al. 2014), checked against PyTorch autograd
    import torch

    i = b.hp["sample_index"]
    x = torch.tensor(b.x_val[i:i + 1], requires_grad=True)
    model = b.trainer.modules["model"]
    model.eval()
    z = model(x)[0]
    z[int(z.argmax())].backward()
    expected = x.grad[0].abs().amax(dim=0).numpy()                       # (H, W)
    s = b.snapshot()["saliency"].images[1]                                # (H, W, 3), grey
    np.testing.assert_allclose(s[..., 0], expected / expected.max(), atol=1e-4)


def test_colour_snapshots(cached_cifar):
    lesson = build(seed=0, sample_index=3, filter_layer=1, filter_index=5)
    for _ in range(3):
        step(lesson)
    snap = lesson.snapshot()
    i = 3
    filters = snap["filters"]
    assert filters.rgb and filters.images.shape == (16, 3, 3, 3) and filters.levels == (0.0, 1.0)
    W = lesson.cnn.layers[0].params[0]                                      # (F, C, K, K)
    f = 4
    expected = 0.5 + 0.5 * W[f] / np.abs(W[f]).max()                      # its own scale, 0 -> grey
    np.testing.assert_allclose(filters.images[f], expected.transpose(1, 2, 0), atol=1e-6)
    assert np.abs(filters.images - 0.5).max(axis=(1, 2, 3)) == pytest.approx(np.full(16, 0.5))

    assert snap["feature_maps"].images.shape == (32, 32, 32)               # per output channel, as before
    assert snap["activations"].images.shape == (16, 32, 32)                # conv 1
    assert snap["gradients"].images.shape == (16, 32, 32)

    sal = snap["saliency"]
    assert sal.rgb and sal.images.shape == (3, 32, 32, 3)
    np.testing.assert_allclose(sal.images[0], lesson.x_val[i].transpose(1, 2, 0))   # the photo, R, G, B last
    s = sal.images[1]
    assert np.all(s[..., 0] == s[..., 2]) and s.max() == pytest.approx(1.0) and s.min() >= 0
    np.testing.assert_allclose(sal.images[2], sal.images[0] * s, atol=1e-6)
    true_name = cifar10.CLASS_NAMES[int(lesson.data.y_val[i])]
    assert sal.captions[0] == f"image {i}: true {true_name}"
    assert any(sal.captions[1].endswith(name) for name in cifar10.CLASS_NAMES)

    ascent = snap["ascent"]
    assert ascent.rgb and ascent.images.shape == (1, 32, 32, 3)
    assert 0.0 <= ascent.images.min() and ascent.images.max() <= 1.0
    assert np.abs(ascent.images[0, ..., 0] - ascent.images[0, ..., 1]).max() > 0.01   # colour, not grey
    header, rows = ascent.table()
    assert header[2:5] == ["p0_0_R", "p0_0_G", "p0_0_B"] and len(rows[0]) == 2 + 32 * 32 * 3

    e = lesson.snapshot()["explainer"]
    np.testing.assert_allclose(e.images["digit"], luminance(lesson.x_val[i]))
    assert "luminance" in e.names["digit"] and true_name in e.names["digit"]
    kernel, _, name = e.kernel(ExplainerSettings(kernel="learned", filter=5))
    np.testing.assert_allclose(kernel, lesson.cnn.layers[0].params[0][5].sum(axis=0), rtol=1e-6)
    assert "R + G + B" in name


def test_luminance_weights():
    x = np.zeros((3, 2, 2))
    x[0], x[1, 0, 0], x[2, 1, 1] = 1.0, 1.0, 1.0
    np.testing.assert_allclose(luminance(x), [[0.299 + 0.587, 0.299], [0.299, 0.299 + 0.114]])


def test_offline_falls_back_to_digits_with_notice(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    point_source(monkeypatch, cifar10.SOURCE.known_hash)
    ctx = RecordingContext()
    lesson = build(ctx)
    assert len(ctx.notices) == 1
    assert ctx.notices[0].startswith("Could not download CIFAR-10 (could not connect to 127.0.0.1")
    assert ctx.notices[0].endswith("using the embedded 8×8 digits instead.")
    assert lesson.data.image_shape == (8, 8) and lesson.data.channels == 1
    step(lesson)
    assert lesson.snapshot()["filters"].images.shape == (16, 3, 3)


def test_damaged_cached_file_falls_back_with_notice(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / cifar10.SOURCE.folder
    folder.mkdir(parents=True)
    path = folder / cifar10.SOURCE.filename
    path.write_bytes(b"not a tarball at all")
    point_source(monkeypatch, "md5:" + hashlib.md5(path.read_bytes()).hexdigest())
    ctx = RecordingContext()
    lesson = build(ctx)
    assert len(ctx.notices) == 1 and ctx.notices[0].startswith("The CIFAR-10 files are damaged (")
    assert "Delete them from the cache folder" in ctx.notices[0]
    assert lesson.data.channels == 1
