"""Lesson ``precision_speed``: one MLP trained in float64, float32 and float16 on NumPy, PyTorch CPU and
CUDA in lockstep: accuracy, speed, float16 overflow, loss scaling and mixed precision."""
from lessons.precision_speed.model import PrecisionSpeed

LESSON = PrecisionSpeed

__all__ = ["LESSON", "PrecisionSpeed"]
