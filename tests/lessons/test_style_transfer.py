"""Lesson style_transfer: losses fall, the Gram matrix is what its formula says, every layer's style loss is
reported, live weights and layers apply at the next step, a new style loads atomically (a bad file is refused
and the previous style kept), images (bundled, generated, user files) come out right, VGG-19's layout is tapped
at Gatys's layers, and the headless CLI exports."""
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lessons.style_transfer.images import STYLE_PATTERNS, content_image, image_file, style_pattern
from lessons.style_transfer.lesson import LESSON
from visualizer.core.lesson import LessonConfigError, LessonContext


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setattr("visualizer.data.vgg_weights.vgg_weights_present", lambda arch: False)
    yield
    torch.set_num_threads(n)


class Recorder(LessonContext):
    def __init__(self):
        self.notices = []

    def notice(self, message):
        self.notices.append(message)


def make(ctx=None, **values):
    base = {"image_size": "64"}
    base.update(values)
    return LESSON(LESSON.hyperparameters(base), ctx)


def run(lesson, n, start=1):
    out = {}
    for s in range(start, start + n):
        lesson.train_step(s)
        out = lesson.flush()
    return out


def test_lesson_package_imports_without_torch():
    import subprocess
    code = "import sys, lessons.style_transfer; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_losses_decrease_and_every_layer_is_reported():
    ctx = Recorder()
    les = make(ctx)
    first = run(les, 1)
    for i in range(1, 6):
        assert f"style_layer{i}" in first and np.isfinite(first[f"style_layer{i}"])
    assert first["content_loss"] == pytest.approx(0.0, abs=1e-6)        # starts from the content photo
    last = run(les, 40, start=2)
    assert last["total_loss"] < 0.5 * first["total_loss"]
    assert last["style_loss"] < 0.5 * first["style_loss"]
    assert any("random multi-scale" in n for n in ctx.notices)           # says which features run


def test_content_only_from_noise_reconstructs_the_photo():
    les = make(objective="content only", init="noise")
    first = run(les, 1)
    last = run(les, 40, start=2)
    assert last["content_loss"] < 0.6 * first["content_loss"]
    err0 = np.abs(les.content - 0.5).mean()
    assert np.abs(les.current_image() - les.content).mean() < err0


def test_gram_matrix_matches_a_direct_computation():
    from visualizer.models.random_features_torch import gram_matrix
    rng = np.random.default_rng(0)
    f = rng.normal(size=(2, 4, 3, 5)).astype(np.float32)
    g = gram_matrix(torch.as_tensor(f)).numpy()
    direct = np.zeros((2, 4, 4))
    for n in range(2):
        for c in range(4):
            for d in range(4):
                direct[n, c, d] = sum(f[n, c, i, j] * f[n, d, i, j] for i in range(3) for j in range(5)) / 15
    np.testing.assert_allclose(g, direct, rtol=1e-5, atol=1e-6)


def test_style_loss_is_the_relative_gram_distance():
    from visualizer.models.random_features_torch import gram_matrix
    les = make()
    m = run(les, 1)
    x = torch.as_tensor(les.content).permute(2, 0, 1)[None]               # the image before the first step
    name = les.style_layers[1]
    g = gram_matrix(les.net(x)[name])[0]
    a = gram_matrix(les.net(torch.as_tensor(les.style).permute(2, 0, 1)[None])[name])[0]
    assert m["style_layer2"] == pytest.approx(float(((g - a) ** 2).sum() / (a ** 2).sum()), rel=1e-4)


def test_live_weights_and_layers_apply_at_the_next_step():
    les = make()
    run(les, 3)
    les.set_live("style_weight", 1e-3)
    les.set_live("content_weight", 1e-3)
    les.set_live("tv_weight", 1e-4)
    m = run(les, 1, start=4)
    expected = 1e-3 * m["content_loss"] + 1e-3 * m["style_loss"] + 1e-4 * m["tv_loss"]
    assert m["total_loss"] == pytest.approx(expected, rel=1e-4)
    for i in (1, 3, 4, 5):
        les.set_live(f"style_layer{i}", False)
    m = run(les, 1, start=5)
    assert m["style_loss"] == pytest.approx(m["style_layer2"], rel=1e-5)
    les.set_live("objective", "style only")
    m = run(les, 1, start=6)
    assert m["total_loss"] == pytest.approx(1e-3 * m["style_loss"] + 1e-4 * m["tv_loss"], rel=1e-4)
    les.set_live("lr", 0.5)
    assert les.trainer.optimizers["main"].param_groups[0]["lr"] == 0.5


def test_extreme_weights_never_crash_and_stay_a_picture():
    les = make(style_weight=1e4, content_weight=1e3, tv_weight=1e3, lr=1.0)
    m = run(les, 5)
    assert all(np.isfinite(v) for v in m.values())
    img = les.current_image()
    assert img.min() >= 0.0 and img.max() <= 1.0
    for i in range(1, 6):
        les.set_live(f"style_layer{i}", False)                          # no layer chosen: style counts 0
    assert run(les, 1, start=6)["style_loss"] == 0.0


def test_a_new_style_loads_live_and_a_bad_file_keeps_the_previous(tmp_path):
    from PIL import Image
    les = make()
    run(les, 2)
    before = les.style.copy()
    grams = {k: v.clone() for k, v in les._style_grams.items()}
    les.set_live("style", "waves")
    assert not np.allclose(les.style, before) and les.hp["style"] == "waves"
    waves = les.style.copy()
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    with pytest.raises(LessonConfigError, match="cannot be read"):
        les.set_live("style_path", str(bad))
    with pytest.raises(LessonConfigError, match="no file is chosen"):
        les.set_live("style", "file")
    assert les.hp["style"] == "waves" and np.array_equal(les.style, waves)
    assert not all(torch.equal(grams[k], les._style_grams[k]) for k in grams)
    good = tmp_path / "paint.png"
    Image.fromarray(np.full((300, 500, 3), (200, 20, 30), np.uint8)).save(good)
    les.set_live("style_path", str(good))
    les.set_live("style", "file")
    assert les.style.shape == (64, 64, 3) and les.style[..., 0].mean() == pytest.approx(200 / 255, abs=0.01)
    run(les, 1, start=3)


def test_content_file_missing_or_broken_is_a_config_error(tmp_path):
    with pytest.raises(LessonConfigError, match="does not exist"):
        make(content="file", content_path=str(tmp_path / "nope.jpg"))
    (tmp_path / "x.jpg").write_bytes(b"garbage")
    with pytest.raises(LessonConfigError, match="cannot be read"):
        make(content="file", content_path=str(tmp_path / "x.jpg"))


def test_user_images_grayscale_16bit_and_huge_are_resized(tmp_path):
    from PIL import Image
    Image.fromarray(np.linspace(0, 65535, 40 * 30).reshape(30, 40).astype(np.uint16)).save(tmp_path / "g16.png")
    Image.fromarray(np.zeros((4000, 3000, 3), np.uint8)).save(tmp_path / "big.jpg", quality=50)
    for name in ("g16.png", "big.jpg"):
        img = image_file(str(tmp_path / name), 32, "style")
        assert img.shape == (32, 32, 3) and img.dtype == np.float32
        assert 0.0 <= img.min() and img.max() <= 1.0


@pytest.mark.parametrize("name", STYLE_PATTERNS)
def test_style_patterns_are_seeded_pictures(name):
    a, b, c = style_pattern(name, 48, 0), style_pattern(name, 48, 0), style_pattern(name, 48, 1)
    assert a.shape == (48, 48, 3) and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.std() > 0.1                                                  # a pattern, not a flat colour


def test_content_images_are_bundled_photos():
    img = content_image("chelsea", 40)
    assert img.shape == (40, 40, 3) and img.std() > 0.05
    with pytest.raises(ValueError):
        content_image("mona_lisa", 40)


def test_snapshot_views_and_gram_block():
    les = make(gram_layer="5")
    run(les, 2)
    snap = les.snapshot()
    assert snap["image"].images.shape == (1, 64, 64, 3)
    assert snap["inputs"].images.shape == (2, 64, 64, 3) and "astronaut" in snap["inputs"].captions[0]
    s, c = snap["gram_style"], snap["gram_image"]
    assert s.values.shape == c.values.shape == (32, 32)                  # layer 5 has 128 channels: the block
    assert s.levels == c.levels
    les.set_live("gram_layer", "1")
    assert les.snapshot()["gram_style"].values.shape == (32, 32)


def test_vgg19_layout_is_tapped_at_gatys_layers(monkeypatch):
    from visualizer.data import vgg_weights
    from visualizer.models.random_features_torch import VGGStyleFeatures
    small = vgg_weights.build_vgg("vgg19", width_div=16, hidden=8, n_classes=3)
    monkeypatch.setattr(vgg_weights, "vgg_weights_present", lambda arch: arch == "vgg19")
    monkeypatch.setattr(vgg_weights, "load_vgg", lambda arch, download=True, progress=None: small.eval())
    ctx = Recorder()
    les = make(ctx)
    assert isinstance(les.net, VGGStyleFeatures)
    assert les.style_layers == ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
    assert les.content_layer == "conv4_2" and any("VGG-19" in n for n in ctx.notices)
    feats = les.net(torch.rand(1, 3, 64, 64))
    assert feats["conv1_1"].shape == (1, 4, 64, 64) and feats["conv5_1"].shape == (1, 32, 4, 4)
    assert feats["conv4_2"].shape == (1, 32, 8, 8)
    run(les, 2)
    with pytest.raises(ValueError):
        VGGStyleFeatures(vgg_weights.build_vgg("vgg16", width_div=16, hidden=8, n_classes=3))


def test_a_failed_vgg_download_falls_back_to_random_features(monkeypatch):
    from visualizer.data import vgg_weights
    from visualizer.data.download import DownloadError
    from visualizer.models.random_features_torch import RandomFeatures

    def offline(arch, download=True, progress=None):
        raise DownloadError("no network")
    monkeypatch.setattr(vgg_weights, "load_vgg", offline)
    ctx = Recorder()
    les = make(ctx, features="vgg19")
    assert isinstance(les.net, RandomFeatures) and any("no network" in n for n in ctx.notices)


def test_checkpoint_round_trip():
    les = make()
    run(les, 3)
    state = les.checkpoint_state()
    other = make()
    other.load_checkpoint_state(state)
    np.testing.assert_array_equal(other.current_image(), les.current_image())


def test_headless_cli_exports(tmp_path):
    from visualizer.cli import main
    code = main(["--lesson", "style_transfer", "--headless", "--steps", "5", "--set", "image_size=64",
                 "--set", "features=random", "--export", str(tmp_path)])
    assert code == 0
    names = {p.name for p in tmp_path.rglob("*")}
    assert any("losses" in n for n in names) and any("gram_image" in n for n in names)
