"""How the golden test drives a lesson: one training step and its metrics, and validation metrics.

Before the lesson kit, ``train_step()`` returned Python floats each step.  On the kit the session passes the
step number and reads the metric window with ``flush()``; flushed after every step, the window holds exactly
that step's values, so both give the same numbers."""
from __future__ import annotations



def step_metrics(lesson, step: int) -> dict[str, float]:
    lesson.train_step(step)
    return {k: float(v) for k, v in lesson.flush().items()}


def eval_metrics(lesson) -> dict[str, float]:
    return {k: float(v) for k, v in lesson.evaluate().items()}
