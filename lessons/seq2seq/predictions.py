"""Sample predictions of a sequence-to-sequence model, for the ``predictions`` plot kind (Qt-free)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from visualizer.core.plotdata import Table


@dataclass
class PredictionsData:
    """K examples: questions, true answers and the model's greedy answers (strings, padding stripped) and
    whether each prediction matches its answer exactly (correct, K bools).  ``step`` is the training step
    they were decoded at.  Raises ValueError if the four sequences differ in length."""

    questions: Sequence[str]
    answers: Sequence[str]
    predictions: Sequence[str]
    correct: Sequence[bool]
    step: int = 0
    accuracy: float | None = None                # exact-match accuracy on the whole test subset
    columns: tuple[str, str, str] = field(default=("question", "answer", "prediction"))

    def __post_init__(self) -> None:
        n = len(self.questions)
        if not (len(self.answers) == len(self.predictions) == len(self.correct) == n):
            raise ValueError("questions, answers, predictions and correct must have one entry per example")

    def table(self) -> Table:
        header = [*self.columns, "correct"]
        rows = [[q, a, p, bool(c)] for q, a, p, c in zip(self.questions, self.answers, self.predictions,
                                                        self.correct)]
        return header, rows
