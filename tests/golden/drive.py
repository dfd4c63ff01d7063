"""How the golden test drives a lesson: one training step and its metrics, and validation metrics.

Before the lesson kit, a lesson's ``train_step`` returned Python floats each step (torch lessons on the CPU
copied every step)."""
from __future__ import annotations


def step_metrics(lesson, step: int) -> dict[str, float]:
    return {k: float(v) for k, v in lesson.train_step().items()}


def eval_metrics(lesson) -> dict[str, float]:
    return {k: float(v) for k, v in lesson.evaluate().items()}
