"""The screenshot tool opens a lesson, plays it, walks its narrative and writes one PNG per stage."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from visualizer.ui import screenshots


def test_bad_size_is_refused(capsys):
    with pytest.raises(SystemExit) as e:
        screenshots.main(["--size", "big"])
    assert e.value.code == 2
    assert "--size must look like 1600x1000" in capsys.readouterr().err


def test_unknown_lesson_id_is_refused_before_any_window(capsys):
    with pytest.raises(SystemExit) as e:
        screenshots.main(["--lessons", "perceptron,no_such_lesson"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "unknown lesson id(s): no_such_lesson" in err and "perceptron" in err.split("known:")[1]


def test_one_lesson_gives_a_picture_per_stage(qapp, tmp_path):
    from visualizer.core import registry

    files = screenshots.shoot_lesson(qapp, "perceptron", (1280, 800), tmp_path, play_seconds=0.3, step_timeout=5)
    steps = registry.get("perceptron").narrative
    assert len(files) == 2 + (len(steps) - 1)          # open, play, then each step after the first
    assert files[0].name == "00_open.png" and files[1].name == "01_play.png"
    image = QImage(str(files[-1]))
    assert (image.width(), image.height()) == (1280, 800)
    colours = {image.pixel(x, y) for x in range(0, 1280, 37) for y in range(0, 800, 29)}
    assert len(colours) > 10                              # a window was drawn, not a blank image
