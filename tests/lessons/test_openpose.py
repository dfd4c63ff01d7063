"""Lesson openpose: imports without torch, training lowers the loss per stage, evaluation and snapshot shapes,
live thresholds change the decoding, reproducible, bad image index, the book variant builds and steps."""
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lessons.openpose.lesson import LESSON
from visualizer.core.lesson import LessonConfigError
from visualizer.core.plotdata import AnnotatedImageData, ImageGridData
from tests.lessons.torch_helpers import Recorder, one_torch_thread  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make(ctx=None, **values):
    base = {"train_images": 200, "batch_size": 8, "width": 8, "stages": 2}
    base.update(values)
    return LESSON(LESSON.hyperparameters(base), ctx)


def test_lesson_package_imports_without_torch():
    code = "import sys, lessons.openpose; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_training_metrics_per_stage_and_loss_falls():
    lesson = make(lr=3e-3)
    lesson.train_step(1)
    first = lesson.flush()
    assert set(first) == {"train_loss", "loss_stage_1", "loss_stage_2"}
    assert first["train_loss"] == pytest.approx(first["loss_stage_1"] + first["loss_stage_2"], rel=1e-5)
    for step in range(2, 41):
        lesson.train_step(step)
    later = lesson.flush()
    assert later["train_loss"] < first["train_loss"]


def test_evaluate_and_snapshot():
    lesson = make()
    ev = lesson.evaluate()
    assert set(ev) == {"val_pck", "val_oks_ap", "val_oks_ap50"}
    assert all(0.0 <= v <= 1.0 for v in ev.values())
    snap = lesson.snapshot()
    assert {p.id for p in LESSON.plots if p.kind != "curves"} == set(snap)
    for key in ("skeletons", "confidence", "paf"):
        assert isinstance(snap[key], AnnotatedImageData) and snap[key].image.shape == (64, 64, 3)
    assert snap["confidence"].heat.shape == (16, 16)
    stages = snap["stages"]
    assert isinstance(stages, ImageGridData) and stages.images.shape == (6, 16, 16) and stages.ncols == 3
    assert stages.captions == ["right shoulder / stage 1", "stage 2", "target", "|PAF| / stage 1", "stage 2",
                               "target"]
    assert snap["all_maps"].images.shape == (19, 16, 16)
    for data in snap.values():
        header, rows = data.table()
        assert header


def test_paf_arrows_and_targets_follow_the_settings():
    lesson = make()
    d = lesson.decoded()
    k = 2
    heat_t = d.targets[0]
    assert heat_t.shape == (19, 16, 16) and heat_t[k].max() > 0.5
    lesson.set_live("sigma", 6.0)
    wide = lesson.decoded().targets[0]
    assert (wide[k] > 0.1).sum() > (heat_t[k] > 0.1).sum()
    snap = lesson.snapshot()
    arrows = snap["paf"].arrows
    length = np.hypot(arrows[:, 2], arrows[:, 3])
    assert arrows.shape[1] == 4 and np.all(length >= 0.1 * 1.2 * 4 - 1e-5) and np.all(length <= 1.2 * 4 + 1e-5)


def test_live_thresholds_change_the_decoding_only():
    lesson = make()
    for step in range(1, 6):
        lesson.train_step(step)
    lesson.flush()
    lesson.set_live("peak_threshold", 0.01)
    many = sum(len(p) for p in lesson.decoded().peaks)
    lesson.set_live("peak_threshold", 0.95)
    few = sum(len(p) for p in lesson.decoded().peaks)
    assert few < many
    assert {"peak_threshold", "paf_threshold", "keypoint", "limb", "image"} <= LESSON.view_params


def test_same_seed_same_losses():
    runs = []
    for _ in range(2):
        lesson = make(seed=3)
        for step in range(1, 4):
            lesson.train_step(step)
        runs.append(lesson.flush()["train_loss"])
    assert runs[0] == runs[1]


def test_book_variant_builds_steps_and_rejects_a_missing_image():
    ctx = Recorder()
    lesson = make(ctx, variant="openpose", batch_size=1)
    assert lesson.n_stages == 6 and lesson.stride == 8 and lesson.batch_size == 1 and not ctx.notices
    lesson.train_step(1)
    m = lesson.flush()
    assert set(m) == {"train_loss"} | {f"loss_stage_{t}" for t in range(1, 7)}
    assert np.isfinite(m["train_loss"])
    with pytest.raises(LessonConfigError, match="held-out scenes"):
        lesson.set_live("image", 20)
    assert lesson.hp["image"] == 0


def test_coco_json_file_with_void_mask_and_bad_entries_named(tmp_path):
    from tests.core.test_data_coco_keypoints import coco_files

    path, img = coco_files(tmp_path)
    ctx = Recorder()
    lesson = make(ctx, dataset="COCO JSON file", coco_json=str(path), coco_images=str(img / "1.jpg"))
    assert len(lesson.data.val_images) == 1 and len(lesson.data.train_images) == 1
    assert lesson.data.train_images.shape[-1] == 64
    assert any("6 COCO entries were skipped" in n and "id 23" in n for n in ctx.notices)
    void = lesson.data.train_void if lesson.data.train_void.any() else lesson.data.val_void
    assert void.any()                                         # the crowd or the person without keypoints
    _, _, mask = lesson.targets([np.zeros((0, 18, 3), np.float32)], void[:1])
    assert mask.shape == (1, 1, 16, 16) and float(mask.min()) < 1.0 and float(mask.max()) == 1.0
    lesson.train_step(1)
    assert np.isfinite(lesson.flush()["train_loss"])
    with pytest.raises(LessonConfigError, match="held-out scenes"):
        lesson.set_live("image", 3)


def test_coco_bad_choices_and_offline_fallback(tmp_path, monkeypatch):
    with pytest.raises(LessonConfigError, match="COCO person_keypoints JSON"):
        make(dataset="COCO JSON file")
    (tmp_path / "bad.json").write_text("{\"images\": []}")
    with pytest.raises(LessonConfigError, match="bad.json"):
        make(dataset="COCO JSON file", coco_json=str(tmp_path / "bad.json"), coco_images=str(tmp_path))
    from visualizer.data import coco_keypoints
    from visualizer.data.download import DownloadError

    def offline(progress=None):
        raise DownloadError("no network")
    monkeypatch.setattr(coco_keypoints, "fetch_coco_keypoints", offline)
    ctx = Recorder()
    lesson = make(ctx, dataset="COCO 2017 val (download)")
    assert "generated" in lesson.data.source and any("generated scenes" in n for n in ctx.notices)
