"""A lesson package whose plot kind 'dial' has its view in view.py (looked up lazily by the UI)."""
from visualizer.core.lesson import LessonInfo
from visualizer.core.plotdata import PlotSpec
from tests.ui.fake_lessons import VisionLesson


class DialLesson(VisionLesson):
    info = LessonInfo("dial", "Dial", "Foundations", "none", engines=("numpy",))
    plots = (PlotSpec("dial", "Dial", "dial"), PlotSpec("mystery", "Mystery", "no_such_kind"))


LESSON = DialLesson
