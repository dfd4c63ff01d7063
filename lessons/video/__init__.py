"""Lesson ``video``: ECO on clips whose class is told by motion only, next to a frame-averaging twin (PyTorch)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "video", "Video classification with ECO", "Vision",
    "PyTorch advanced deep learning (Ogawa), ch. 9 (video classification with ECO)",
    "A 2D network on one frame of each segment, a 3D network over their stacked feature maps: ECO learns "
    "motions a single frame cannot show, while its frame-averaging twin stays near chance. The clip with its "
    "sampled frames, per-frame feature maps, 3D activations over time, Grad-CAM over time.",
    engines=("torch",), order=90,
    pacing=Pacing(speed=30.0, stop=2000, unit="steps"))
