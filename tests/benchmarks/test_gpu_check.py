"""benchmarks/gpu_check.py does not rot: without CUDA it says so and exits 0; --dry-run runs every measurement's
code on the CPU for a few steps, reports a lesson that fails and goes on."""
import pytest

from benchmarks import gpu_check
from tests.kit.tiny_torch_lesson import TinyTorchLesson


def dry_settings() -> gpu_check.Settings:
    return gpu_check.Settings("cpu", True, warmup=1, phase_s=0.0, min_steps=2, max_steps=2, rounds=1,
                              sync_steps=2, engine_steps=3, precision_steps=(2, 2), deadline=float("inf"))


def test_no_cuda_means_nothing_measured(capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    assert gpu_check.main([]) == 0
    assert "no CUDA device: nothing measured" in capsys.readouterr().out


def test_measure_lesson_on_a_kit_lesson():
    r = gpu_check.measure_lesson(TinyTorchLesson, dry_settings())
    assert r["steps"] == 2
    assert r["bare_ms"] > 0 and r["visual_ms"] > 0 and r["flushes"] >= 1
    assert r["syncs_per_step"] == 0 and r["flush_syncs"] == 0        # nothing to sync on the CPU


def test_dry_run_covers_every_section_and_survives_a_broken_lesson(capsys):
    lessons = gpu_check.torch_lessons()
    assert lessons, "no lesson trains on torch?"
    others = ",".join(x for x in gpu_check.SECTIONS if x != "ddp")     # ddp (torchrun launches): its own test
    assert gpu_check.main(["--dry-run", "--only", others, "--lessons", ",".join(lessons + ["no_such_lesson"])]) == 0
    out = capsys.readouterr().out
    summary = out[out.index("\nSummary"):]
    assert "(section)" not in summary                         # no section crashed
    for section in ("engines", "precision", "vgg"):
        assert f"\n{section} " in summary
    assert "(d) vgg on cpu: torchvision VGG-16, 224 px, batch 1" in out and "steps per phase: 1" in out
    assert "flushes of 14 maps (13 activation maps + 1 gradient map" in out     # every ReLU and Grad-CAM's
    for lesson_id in lessons:
        assert f"\nlessons    {lesson_id} " in summary
    assert "no_such_lesson" in summary and "FAILED UnknownLessonError" in summary


def test_a_book_variant_entry_reaches_the_lesson_as_its_variant(capsys):
    assert gpu_check.BOOK_VARIANTS == ("ssd@ssd300", "pspnet@pspnet50", "openpose@openpose", "video@eco_lite")
    rows = gpu_check.measure_lessons(["openpose@no_such_variant"], dry_settings())
    assert len(rows) == 1 and rows[0].verdict == "ERROR" and "no_such_variant" in rows[0].result


def test_the_eco_lite_entry_runs_at_a_tiny_size_on_the_cpu():
    """video@eco_lite's settings reach the lesson (16 segments, AMP asked for); at 2 segments of 2 frames, batch 1,
    the same path is measured on the CPU (224 px frames: the lesson's ECO-Lite resizes them)."""
    from visualizer.core import registry
    assert gpu_check.VARIANT_SETTINGS["video@eco_lite"]["segments"] == 16
    assert gpu_check.VARIANT_SETTINGS["video@eco_lite"]["amp"] is True
    r = gpu_check.measure_lesson(registry.get("video"), dry_settings(),
                                 {"variant": "eco_lite", "segments": 2, "frames": 2, "batch_size": 1, "clips": 48})
    assert r["steps"] == 2 and r["bare_ms"] > 0 and r["visual_ms"] > 0      # (one snapshot is taken before timing)


def test_the_ddp_section_launches_torchrun_on_the_cpu(capsys):
    """(f): one torchrun process (gloo on the CPU in a dry run) trains dcgan without and with --run-dir."""
    assert gpu_check.main(["--dry-run", "--only", "ddp"]) == 0
    out = capsys.readouterr().out
    summary = out[out.index("\nSummary"):]
    assert "(f) ddp: torchrun --nproc-per-node 1 (gloo), dcgan on cpu, 3 steps per run" in out
    assert "\nddp        dcgan, 1 process, gloo" in summary
    assert "steps/s without --run-dir" in summary and "dry" in summary


def test_the_atari_entry_runs_dry_on_the_cpu(capsys, monkeypatch):
    """dqn@atari: the Nature settings reach the lesson (batch 32, lr 1e-4), a dry run sets DLVIS_ATARI_ON_CPU=1
    and a small buffer, and the row reports env steps/s."""
    pytest.importorskip("ale_py")
    monkeypatch.delenv("DLVIS_ATARI_ON_CPU", raising=False)
    settings = gpu_check.SETTING_ENTRIES["dqn@atari"]
    assert settings["env"] == "atari" and settings["batch_size"] == 32 and settings["lr"] == 1e-4
    assert settings["warmup"] < 20                          # updates happen in the timed steps
    import os
    monkeypatch.setitem(os.environ, "DLVIS_ATARI_ON_CPU", "0")          # restored after the test
    assert gpu_check.main(["--dry-run", "--only", "lessons", "--lessons", "dqn@atari"]) == 0
    out = capsys.readouterr().out
    summary = out[out.index("\nSummary"):]
    assert "\nlessons    dqn@atari " in summary and "env steps/s" in summary and "FAILED" not in out
    assert os.environ["DLVIS_ATARI_ON_CPU"] == "1"
