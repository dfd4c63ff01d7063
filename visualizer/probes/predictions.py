"""The predictions table of a sequence-to-sequence model (Qt-free): questions, true answers and the model's
greedy answers as text, each marked right only when the whole answer matches, padding included (Saitoh,
*Deep Learning from Scratch 2*, 7.3, ``eval_seq2seq``)."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from visualizer.core.plotdata import PredictionsData


def exact_match(predicted: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """(N,) bool: row i of predicted (N, L) int ids equals row i of answers (N, L) everywhere.  Raises
    ValueError when the shapes differ."""
    predicted, answers = np.asarray(predicted), np.asarray(answers)
    if predicted.shape != answers.shape:
        raise ValueError(f"predicted {predicted.shape} and answers {answers.shape} differ in shape")
    return np.all(predicted == answers, axis=1)


def predictions_data(questions: np.ndarray, answers: np.ndarray, predicted: np.ndarray,
                     decode: Callable[[np.ndarray], Sequence[str]], *, step: int = 0,
                     accuracy: float | None = None) -> PredictionsData:
    """A :class:`PredictionsData` of K examples: questions (K, Tq), answers (K, L) and predicted (K, L) int
    ids, turned into strings by ``decode`` (ids (K, ·) -> K strings, padding stripped).  step: the training
    step the answers were decoded at; accuracy: the exact-match share of the whole test subset.  Raises
    ValueError when the shapes of answers and predicted differ or the row counts disagree."""
    correct = exact_match(predicted, answers)
    if len(questions) != len(correct):
        raise ValueError(f"{len(questions)} questions but {len(correct)} answers")
    return PredictionsData(list(decode(questions)), list(decode(answers)), list(decode(predicted)),
                           [bool(c) for c in correct], step=int(step), accuracy=accuracy)
