"""The base of the sequence-to-sequence lessons (``seq2seq``, ``attention``; Qt-free): the task's data
(generated, or a user's file in the book's format), mini-batches, the trainer of either engine, exact-match
evaluation on a test subset and the predictions table.

Source: Saitoh, *Deep Learning from Scratch 2*, 7.3-7.5 (toy tasks, ``eval_seq2seq``: a question counts
as right only when the whole greedy-decoded answer, padding included, equals the true one).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.core.hyperparams import FloatParam, IntParam, PathParam
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import PredictionsData
from visualizer.data.seq_tasks import SeqFormatError, decode_ids, load_seq_file, parse_seq_lines, split_seq
from visualizer.models.seq2seq_trainer import build_trainer
from visualizer.probes.predictions import exact_match, predictions_data

TASK_FILE_FILTER = "Sequence tasks (*.txt);;All files (*)"


def shared_params(default_hidden: int, default_examples: int) -> tuple:
    """Specs both lessons declare (the task file, sizes, the optimizer's live settings)."""
    return (
        PathParam("task_file", "Task file", "", TASK_FILE_FILTER,
                  tooltip="Optional: your own task in the book's format, one example per line, question and "
                          "answer split by the first '_' and padded with spaces to fixed widths (e.g. "
                          "'16+75  _91  '). Empty: the generated task."),
        IntParam("examples", "Generated examples", default_examples, 1_000, 50_000, log=True,
                 tooltip="How many examples to generate (the book's files have 50,000); 10 % are kept "
                         "aside as the test set. Ignored when a task file is chosen."),
        IntParam("hidden_size", "Hidden size H", default_hidden, 16, 512, log=True,
                 tooltip="Width of the LSTM state h (the book: 128 for addition, 256 for dates)."),
        IntParam("wordvec_size", "Embedding size D", 16, 4, 128, log=True,
                 tooltip="Width of each character's embedding vector (the book: 16)."),
        FloatParam("lr", "Learning rate", 1e-3, 1e-5, 0.1, log=True, live=True, decimals=5,
                   tooltip="Adam's step size (the book: 0.001). Applies at the next step."),
        IntParam("batch_size", "Batch size", 128, 8, 1024, live=True, log=True,
                 tooltip="Examples per update (the book: 128). Applies at the next step."),
        FloatParam("max_grad", "Gradient clipping", 5.0, 0.0, 50.0, live=True, decimals=2,
                   tooltip="Before each update the gradients are scaled down so their global norm is at most "
                           "this (the book: 5.0); 0 turns clipping off."),
        IntParam("test_examples", "Test examples per check", 500, 50, 5_000, log=True, live=True,
                 tooltip="Accuracy is measured on this many test questions (greedy decoding, exact match "
                         "of the whole answer) every few dozen steps."),
    )


class SeqTaskLesson(Lesson):
    """Base of the sequence-to-sequence lessons.  Subclasses set ``task_lines`` (the generator),
    ``sample_count`` and implement :meth:`model_choice` -> (kind, reverse_input).  Construction raises
    LessonConfigError for an unusable task file.  Questions (N, Tq) and answers (N, Ta) are int id arrays;
    the trainer (``visualizer.models.seq2seq_trainer.build_trainer``) steps on (xs, ts) batches."""

    task_lines: Callable[[int, int], list[str]]          # staticmethod(generator)
    task_name = "task"
    sample_count = 12
    eval_every = 50
    engine_comparison = True

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self._load_data()
        self.kind, self.reverse_input = self.model_choice()
        self.trainer = build_trainer(hp["engine"], self.kind, len(self.char_to_id), hp["wordvec_size"],
                                     hp["hidden_size"], hp["seed"], self.reverse_input, hp["lr"], hp["max_grad"],
                                     hp["device"])
        self.rng = np.random.default_rng(hp["seed"])
        self._order = self.rng.permutation(len(self.x_train))
        self._pos = 0
        self.last_step = 0                                           # the session's step of the last update
        self._eval: tuple[int, int, np.ndarray] | None = None       # (step, count, predictions)
        self.accuracy: float | None = None

    def model_choice(self) -> tuple[str, bool]:
        raise NotImplementedError

    # ---- data ------------------------------------------------------------------------------------
    def _load_data(self) -> None:
        hp = self.hp
        path = hp["task_file"].strip()
        try:
            if path:
                x, t, c2i, i2c = load_seq_file(path)
                self.source = path
            else:
                x, t, c2i, i2c = parse_seq_lines(self.task_lines(hp["examples"], hp["seed"]))
                self.source = f"generated {self.task_name} task"
            (self.x_train, self.t_train), (self.x_test, self.t_test) = split_seq(x, t, seed=hp["seed"])
        except SeqFormatError as e:
            raise LessonConfigError(f"Cannot use the task file: {e}") from None
        except ValueError as e:                      # too few examples to split
            raise LessonConfigError(f"Cannot use the task file: {e}") from None
        if "_" not in c2i or t.shape[1] < 2:
            raise LessonConfigError("Cannot use the task file: every answer needs at least one character "
                                    "after the '_'.")
        self.char_to_id, self.id_to_char = c2i, i2c
        self.start_id = c2i["_"]
        self.question_width = x.shape[1]
        self.answer_length = t.shape[1] - 1

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.x_train) / self.hp["batch_size"])

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """Questions (B, Tq) and answers (B, Ta) of the next shuffled mini-batch (a new order each epoch)."""
        if self._pos >= len(self._order):
            self._order = self.rng.permutation(len(self._order))
            self._pos = 0
        idx = self._order[self._pos:self._pos + self.hp["batch_size"]]
        self._pos += len(idx)
        return self.x_train[idx], self.t_train[idx]

    # ---- training --------------------------------------------------------------------------------
    def train_step(self, step: int) -> None:
        super().train_step(step)
        self.last_step = step

    def _test_predictions(self) -> np.ndarray:
        """Greedy answers (M, Ta − 1) of the first M = test_examples test questions, cached per step."""
        m = min(self.hp["test_examples"], len(self.x_test))
        if self._eval is None or self._eval[0] != self.last_step or self._eval[1] != m:
            pred = self.trainer.generate(self.x_test[:m], self.start_id, self.answer_length)
            self._eval = (self.last_step, m, pred)
        return self._eval[2]

    def evaluate(self) -> dict[str, float]:
        pred = self._test_predictions()
        self.accuracy = float(exact_match(pred, self.t_test[:len(pred), 1:]).mean())
        return {"val_acc": self.accuracy}

    # ---- views -----------------------------------------------------------------------------------
    def decode(self, ids: np.ndarray) -> list[str]:
        """ids (N, L) -> strings with trailing padding removed."""
        return [s.rstrip() for s in decode_ids(ids, self.id_to_char)]

    def predictions_data(self) -> PredictionsData:
        """The first ``sample_count`` test questions with the model's answers, right or wrong."""
        pred = self._test_predictions()[:self.sample_count]
        k = len(pred)
        return predictions_data(self.x_test[:k], self.t_test[:k, 1:], pred, self.decode, step=self.last_step,
                                accuracy=self.accuracy)

    def load_checkpoint_state(self, state: dict) -> None:
        super().load_checkpoint_state(state)
        self._eval = None

    def divergence_hint(self) -> str:
        return (f"The loss blew up: lower the learning rate ({self.hp['lr']:g}) or keep gradient clipping "
                "on (5.0), then press Reset (R).")

    def close(self) -> None:
        self._eval = None
        super().close()
