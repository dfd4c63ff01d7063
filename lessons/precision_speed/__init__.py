"""Lesson ``precision_speed``: one MLP trained in float64, float32 and float16 on NumPy, PyTorch CPU and
CUDA in lockstep: accuracy, speed, float16 overflow, loss scaling and mixed precision."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "precision_speed", "Precision and speed: float64, float32, float16", "Foundations",
    "Deep Learning from Scratch 2, ch. 1.5 (Bit precision and GPUs)",
    "The same network trained side by side in float64, float32 and float16, on NumPy, PyTorch CPU and "
    "CUDA: how much accuracy each precision keeps, how fast each runs, why float16 overflows and how "
    "loss scaling and float32 master weights (mixed precision) help.", order=60,
    pacing=Pacing(speed=1000.0, stop=10, unit="epochs"))
