"""Lesson video: builds on tiny data, trains both models on the same batches, evaluates, draws every view,
refuses more segments than frames, falls back to the motion clips when a folder fails, keeps torch out of the
package import."""
import subprocess
import sys

import numpy as np
import pytest

from lessons.video.lesson import LESSON
from tests.lessons.torch_helpers import Recorder, one_torch_thread  # noqa: F401
from visualizer.core.lesson import LessonConfigError
from visualizer.core.plotdata import PLOT_KINDS
from visualizer.data.download import DownloadError

TINY = {"clips": 48, "frames": 8, "segments": 4, "batch_size": 4}


def build(context=None, **values):
    return LESSON(LESSON.hyperparameters({**TINY, **values}), context)


def test_package_imports_without_torch():
    code = "import sys, lessons.video, lessons.video.lesson; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_trains_both_models_and_draws_every_view(one_torch_thread):
    lesson = build()
    try:
        eco, twin = lesson.trainer.modules["eco"], lesson.trainer.modules["twin"]
        assert eco.cfg.temporal and not twin.cfg.temporal
        before = {k: v.clone() for k, v in twin.state_dict().items()}
        for step in range(1, 4):
            lesson.train_step(step)
            m = lesson.flush()
        assert {"train_loss", "ECO_train_acc", "frame_averaging_train_loss", "frame_averaging_train_acc"} <= set(m)
        assert all(np.isfinite(v) for v in m.values())
        assert any(not np.array_equal(before[k].numpy(), v.numpy()) for k, v in twin.state_dict().items())
        ev = lesson.evaluate()
        assert 0 <= ev["ECO_val_acc"] <= 1 and 0 <= ev["frame_averaging_val_acc"] <= 1 and ev["val_loss"] > 0
        snap = lesson.snapshot()
        curves = {p.id for p in LESSON.plots if p.kind == "curves"}
        assert set(snap) | curves == {p.id for p in LESSON.plots}
        for p in LESSON.plots:
            if p.id in snap:
                assert isinstance(snap[p.id], PLOT_KINDS[p.kind]), p.id
                assert snap[p.id].table()[1]
        assert snap["clip"].sampled.tolist() == [0, 2, 4, 6]          # the middle (lower) frame of each segment
        names = {s for p in LESSON.plots for s in p.series}
        assert names <= set(m) | set(ev)
    finally:
        lesson.close()


def test_same_batch_for_both_models(one_torch_thread):
    lesson = build()
    seen = []
    for which in ("eco", "twin"):
        lesson.trainer.modules[which].register_forward_hook(lambda mod, i, o: seen.append(i[0].clone()))
    lesson.train_step(1)
    lesson.close()
    assert len(seen) == 2 and np.array_equal(seen[0].numpy(), seen[1].numpy())


def test_more_segments_than_frames_is_refused():
    with pytest.raises(LessonConfigError, match="8 frames cannot give 9 segments"):
        build(segments=9)


def test_a_folder_without_a_path_is_refused():
    with pytest.raises(LessonConfigError, match="Video folder"):
        build(dataset="folder")


def test_a_failed_load_falls_back_to_motion_clips(monkeypatch, one_torch_thread):
    import lessons.video.data as data

    def broken(*args, **kwargs):
        raise DownloadError("no network")
    fake = type(sys)("visualizer.data.kinetics")
    fake.load_kinetics_subset = broken
    monkeypatch.setitem(sys.modules, "visualizer.data.kinetics", fake)
    rec = Recorder()
    lesson = build(rec, dataset="kinetics")
    try:
        assert lesson.train_set.class_names == data.make_motion_clips(1).class_names
        assert rec.substitutions == [("dataset", "the generated motion clips")]
        assert "Kinetics" in rec.notices[0]
    finally:
        lesson.close()


def test_live_learning_rate_reaches_both_optimizers(one_torch_thread):
    lesson = build()
    lesson.set_live("lr", 1e-4)
    assert all(g["lr"] == 1e-4 for o in lesson.trainer.optimizers.values() for g in o.param_groups)
    lesson.close()


def test_a_folder_of_real_video_files_trains_and_names_skipped_files(tmp_path, one_torch_thread):
    from tests.core.test_data_video_folder import square_frames, write_video

    for cls, dx in (("right", 1), ("left", -1)):
        for i in range(3):
            write_video(tmp_path / cls / f"{i}.mp4", square_frames(10, dx=dx, start=12 if dx > 0 else 20))
    (tmp_path / "left" / "broken.mp4").write_bytes(b"not a video at all")
    rec = Recorder()
    lesson = build(rec, dataset="folder", folder=str(tmp_path))
    try:
        assert lesson.train_set.class_names == ("left", "right")
        assert len(lesson.train_set) + len(lesson.val_set) == 6
        assert lesson.train_set.size == (64, 64) and rec.substitutions == []
        assert any("broken.mp4" in n for n in rec.notices)
        lesson.train_step(1)
        assert np.isfinite(lesson.flush()["train_loss"])
    finally:
        lesson.close()
