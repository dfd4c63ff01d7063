"""The interpretability lesson: its views for each network, live choices, bad input, the ascents."""
import numpy as np
import pytest

pytest.importorskip("torch")

from visualizer.core import model_shelf, registry  # noqa: E402
from visualizer.core.errors import LessonConfigError  # noqa: E402
from visualizer.core.lesson import LessonContext  # noqa: E402
from visualizer.core.plotdata import PLOT_KINDS, BarsData, ImageGridData  # noqa: E402

FAST = {"steps_per_octave": 5, "octaves": 2}
ONE_OFF = {"activation_grid": ImageGridData, "overlay_grid": ImageGridData, "class_bars": BarsData}   # view.py's kinds


def build(**values):
    cls = registry.get("interpretability")
    return cls(cls.hyperparameters({**FAST, **values}), LessonContext())


@pytest.fixture(scope="module")
def lesson():
    les = build()
    yield les
    les.close()


def test_every_plot_gets_data_of_its_kind(lesson):
    snap = lesson.snapshot()
    for spec in lesson.plots:
        if spec.kind == "curves":
            continue
        assert spec.id in snap, spec.id
        expected = PLOT_KINDS.get(spec.kind) or ONE_OFF[spec.kind]
        assert isinstance(snap[spec.id], expected), spec.id
    assert snap["sanity_maps"].images.shape[0] == 3 * len(snap["sanity_similarity"].col_labels)
    assert "on object" in snap["class_maps"].captions[1]


def test_a_step_is_one_ascent_step_and_the_objectives_climb(lesson):
    values = []
    for s in range(1, 11):
        lesson.train_step(s)
        values.append(lesson.flush())
    assert lesson.filter.steps == lesson.dream.steps >= 10
    assert set(values[0]) == {"filter_activation", "dream_objective"}
    assert values[-1]["filter_activation"] > values[0]["filter_activation"]
    assert values[-1]["dream_objective"] > values[0]["dream_objective"]


def test_one_shot_maps_are_cached_not_recomputed_per_step(lesson, monkeypatch):
    lesson.snapshot()
    import visualizer.probes.sanity_check as sc
    monkeypatch.setattr(sc, "cascading_randomization", lambda *a, **k: pytest.fail("recomputed"))
    lesson.train_step(99)
    lesson.snapshot()


def test_a_feature_map_click_sets_the_channel_and_restarts_the_filter(lesson):
    lesson.set_live("layer", "block1_conv1")
    assert lesson.snapshot()["activations"].images.shape[0] == 16
    lesson.set_live("channel", 3)
    assert lesson.filter.channel == 3 and lesson.filter.steps == 0
    lesson.set_live("channel", 20)                                  # wraps around the layer's 16 filters
    assert lesson.channel() == 4
    assert "filter 4" in lesson.snapshot()["filter"].captions[0]


def test_explaining_another_class_moves_the_maps(lesson):
    lesson.set_live("target_class", "predicted")
    pred = lesson.class_maps()["Grad-CAM"]
    other = next(c for c in lesson.subject.class_names if c != lesson.subject.class_names[lesson.target()])
    lesson.set_live("target_class", other)
    assert not np.allclose(lesson.class_maps()["Grad-CAM"], pred)
    lesson.set_live("target_class", "predicted")


def test_a_class_or_layer_the_network_lacks_is_refused_and_nothing_changes(lesson):
    with pytest.raises(LessonConfigError, match="no class '7'"):
        lesson.set_live("target_class", "7")
    with pytest.raises(LessonConfigError, match="no layer block5_conv3"):
        lesson.set_live("layer", "block5_conv3")
    assert lesson.hp["target_class"] == "predicted" and lesson.hp["layer"] == "block1_conv1"


def test_missing_or_damaged_shelf_models_give_a_clear_message():
    with pytest.raises(LessonConfigError, match="No trained model from 'transfer_learning'"):
        build(model="transfer_learning: your fine-tuned network")
    model_shelf.shelf_dir().mkdir(parents=True, exist_ok=True)
    (model_shelf.shelf_dir() / "cnn_scratch.npz").write_bytes(b"not a zip")
    with pytest.raises(LessonConfigError, match="previous model is kept"):
        build(model="cnn_scratch: your CNN")


def test_the_network_transfer_learning_published_is_opened():
    import torch

    from visualizer.data.shapes import TARGET_CLASSES
    from visualizer.models.small_vgg_torch import SmallVGGConfig, build_small_vgg, numpy_state
    from dataclasses import asdict

    cfg = SmallVGGConfig(len(TARGET_CLASSES), widths=(8, 8, 8), hidden=16)
    net = build_small_vgg(cfg, 0).eval()
    model_shelf.publish("transfer_learning", "small_vgg", asdict(cfg), numpy_state(net), step=40,
                        metrics={"val_acc": 0.5}, class_names=TARGET_CLASSES)
    les = build(model="transfer_learning: your fine-tuned network", target_class="arrow")
    assert les.subject.class_names == TARGET_CLASSES and "step 40" in les.about
    assert set(les.data.class_names) == set(TARGET_CLASSES)        # its validation images: the target shapes
    x = les.image()
    assert torch.allclose(les.subject.model(x), net(x))
    assert les.snapshot()["class_maps"].images.shape == (3, 32, 32, 3)


def test_the_cnn_cnn_scratch_publishes_is_opened_on_digits():
    cls = registry.get("cnn_scratch")
    src = cls(cls.hyperparameters({"filters1": 2, "filters2": 3, "hidden": 8, "batch_size": 8}), LessonContext())
    src.train_step(1)
    m = src.evaluate()
    assert "cnn_scratch" in model_shelf.available()
    les = build(model="cnn_scratch: your CNN", target_class="3", layer="conv1", channel=2)
    assert les.subject.channels == 1 and les.data.images.shape[1:] == (1, 8, 8)
    assert list(les.subject.layers) == ["conv0", "conv1"]
    ref = src._analysis_net()
    x = les.data.images[:4]
    assert np.allclose(les.subject.model(__import__("torch").as_tensor(x)).detach().numpy(),
                       ref.forward(x), atol=1e-4)
    snap = les.snapshot()
    assert snap["activations"].images.shape[0] == 3 and m["val_acc"] >= 0
    les.train_step(1)                          # the ascents run at 64 and 96 px on a network made for 8 px
    assert np.isfinite(les.flush()["dream_objective"])
    with pytest.raises(LessonConfigError, match="only digits"):
        build(model="cnn_scratch: your CNN", images="shapes of unseen classes")


def test_vgg16_needs_its_weights_and_uses_them_when_present(monkeypatch):
    from visualizer.data import vgg_weights
    monkeypatch.setattr(vgg_weights, "vgg_weights_present", lambda arch: False)
    with pytest.raises(LessonConfigError, match="VGG-16's ImageNet weights are not on this computer"):
        build(model="VGG-16 ImageNet")
    monkeypatch.setattr(vgg_weights, "vgg_weights_present", lambda arch: True)
    monkeypatch.setattr(vgg_weights, "load_vgg", lambda arch, download=True, progress=None:
                        vgg_weights.build_vgg("vgg16", width_div=16, hidden=16).eval())
    les = build(model="VGG-16 ImageNet", layer="block5_conv3")
    assert les.subject.image_size == 224 and les.subject.cam_layer == "block5_conv3"
    assert len(les.subject.layers) == 13 and les.subject.class_names[0] == "tench"
    assert les.activations().shape == (32, 14, 14)
    assert les.class_maps()["Grad-CAM"].shape == (224, 224)


def test_a_bad_image_file_is_refused_and_a_16_bit_grayscale_one_is_read(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(LessonConfigError, match="Cannot read broken.png"):
        build(images="your image file", image_file=str(bad))
    with pytest.raises(LessonConfigError, match="Choose an image file"):
        build(images="your image file")
    from PIL import Image
    good = tmp_path / "gray16.png"
    Image.fromarray((np.linspace(0, 65535, 300 * 200).reshape(200, 300)).astype(np.uint16)).save(good)
    les = build(images="your image file", image_file=str(good), target_class="true class")
    assert les.data.images.shape == (1, 3, 32, 32) and les.data.images.max() <= 1.0
    assert les.target() == int(np.argmax(les.probs()))               # no true class: the predicted one
    assert "your image gray16.png" in les.data.source
