"""Lesson ``attention``: a seq2seq with attention learns to rewrite dates, and shows where it looks (Qt-free).

The date task of Saitoh, *Deep Learning from Scratch 2*, chapter 8: questions such as
``"september 27, 1994"``, ``"9/27/94"`` or ``"TUESDAY, SEPTEMBER 27, 1994"`` become ``"1994-09-27"``.
The decoder scores every encoder state against its own state, turns the scores into weights with a
softmax and reads their weighted average (Bahdanau, Cho & Bengio 2015; Luong, Pham & Manning 2015); the
weights are drawn as a heatmap (input characters × output characters) for a chosen test question and for
a date the learner types.  Background: Yoon, *Python raw-coding deep learning*, ch. 14.  The model is
``visualizer.models.attention_seq2seq`` (and its torch twin); the base shared with ``seq2seq`` is
``visualizer.models.seq2seq_task``.
"""
from __future__ import annotations

import numpy as np

from lessons.attention import INFO
from lessons.attention.narrative import NARRATIVE
from visualizer.core.hyperparams import BoolParam, IntParam, TextParam
from visualizer.core.lesson import LessonConfigError
from visualizer.core.plotdata import MatrixData, PlotData, PlotSpec
from visualizer.data.seq_tasks import SeqFormatError, encode_question, generate_dates
from visualizer.models.seq2seq_task import SeqTaskLesson, shared_params

SPACE = "·"                     # how padding spaces are drawn on the heatmap's axes
DEFAULT_DATE = "Tuesday, September 27, 1994"


def axis_labels(text: str) -> list[str]:
    """One tick label per character, spaces drawn as ``·``."""
    return [SPACE if ch == " " else ch for ch in text]


class AttentionLesson(SeqTaskLesson):
    """Attention seq2seq on dates: questions (N, 29) ids -> answers (N, 10) ids; attention weights
    (N, 10, 29), each row a softmax over the question's characters."""

    info = INFO
    params = shared_params(default_hidden=256, default_examples=50_000)[:1] + (
        BoolParam("reverse_input", "Reversed input", True,
                  tooltip="Feed each question backwards to the encoder, as the book does. The heatmap is "
                          "always drawn in reading order."),
    ) + shared_params(default_hidden=256, default_examples=50_000)[1:] + (
        IntParam("example", "Test example", 0, 0, 4_999, live=True,
                 tooltip="Which test question the first heatmap shows (0 = the first)."),
        TextParam("your_date", "Your date", DEFAULT_DATE, placeholder="e.g. 9/27/94", max_length=60,
                  live=True,
                  tooltip="Type a date in any of the task's formats (at most 29 characters, letters, digits, "
                          "',', '/' and spaces); the second heatmap shows its translation and attention."),
    )
    plots = (
        PlotSpec("attention", "Attention weights (test example)", "matrix",
                 tooltip="Row t: how much the decoder, writing output character t (left), attends to each "
                         "input character (bottom). Each row sums to 1. Choose the question with 'Test "
                         "example'."),
        PlotSpec("your_attention", "Attention weights (your date)", "matrix",
                 tooltip="The same for the date typed in 'Your date': its translation reads down the left "
                         "axis."),
        PlotSpec("accuracy", "Test accuracy (exact match)", "curves", series=("val_acc",), x_label="step",
                 y_label="accuracy",
                 tooltip="Share of test questions whose whole greedy-decoded answer (YYYY-MM-DD) is right."),
        PlotSpec("loss", "Training loss", "curves", series=("train_loss",), x_label="step",
                 y_label="cross-entropy", log_y=True,
                 tooltip="Mean cross-entropy per answer character of each mini-batch (teacher forcing)."),
        PlotSpec("predictions", "Sample answers (test set)", "predictions",
                 tooltip="The first test questions, the true dates and the model's answers: green ✓ when "
                         "the whole answer is right, red ✗ otherwise."),
    )
    narrative = NARRATIVE
    view_params = frozenset({"test_examples", "example", "your_date"})
    task_lines = staticmethod(generate_dates)
    task_name = "date"
    sample_count = 10

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self._your: tuple[str, np.ndarray] | None = None
        try:
            self._your = (hp["your_date"], self._encode(hp["your_date"]))
        except LessonConfigError as e:
            self.context.notice(f"{e} The second heatmap shows the first test question instead.")
        if hp["example"] >= len(self.x_test):
            self.context.notice(f"This task has {len(self.x_test)} test questions: showing example 0.")
        self._maps: dict[str, tuple[int, MatrixData]] = {}

    def model_choice(self) -> tuple[str, bool]:
        return "attention", self.hp["reverse_input"]

    # ---- live settings ---------------------------------------------------------------------------
    def _encode(self, text: str) -> np.ndarray:
        try:
            return encode_question(text, self.char_to_id, self.question_width)
        except SeqFormatError as e:
            raise LessonConfigError(f"Your date: {e}") from None

    def set_live(self, name, value) -> None:
        if name == "your_date":
            ids = self._encode(value)              # raises before anything changes
            self._your = (value, ids)
            self._maps.pop("your_attention", None)
        elif name == "example":
            if value >= len(self.x_test):
                raise LessonConfigError(f"This task has {len(self.x_test)} test questions: choose an example "
                                        f"from 0 to {len(self.x_test) - 1}.")
            self._maps.pop("attention", None)
        super().set_live(name, value)

    def load_checkpoint_state(self, state: dict) -> None:
        super().load_checkpoint_state(state)
        self._maps.clear()                          # the heatmaps show the loaded weights

    # ---- views -----------------------------------------------------------------------------------
    def translate(self, ids: np.ndarray) -> tuple[str, np.ndarray]:
        """ids (1, Tq) -> (greedy answer (Ta − 1 characters), attention weights (Ta − 1, Tq) float64)."""
        pred = self.trainer.generate(ids, self.start_id, self.answer_length)
        weights = np.asarray(self.trainer.attention_weights[0], dtype=np.float64)
        return self.decode(pred)[0], weights

    def attention_map(self, ids: np.ndarray, truth: str | None = None) -> MatrixData:
        """The heatmap of one question: rows = output characters, columns = input characters."""
        question = self.decode(ids)[0].ljust(self.question_width)
        answer, weights = self.translate(ids)
        out = answer.ljust(self.answer_length)
        mark = "" if truth is None else ("  ✓" if answer == truth else f"  ✗ (true {truth})")
        return MatrixData(weights, axis_labels(out), axis_labels(question), row_title="output",
                          col_title=f"input: {question.rstrip()}  →  {answer}{mark}", colormap="viridis", fmt="",
                          levels=(0.0, 1.0))

    def _cached(self, key: str, build) -> MatrixData:
        hit = self._maps.get(key)
        if hit is None or hit[0] != self.last_step:
            hit = (self.last_step, build())
            self._maps[key] = hit
        return hit[1]

    def snapshot(self) -> dict[str, PlotData]:
        i = self.hp["example"] if self.hp["example"] < len(self.x_test) else 0
        example = self._cached("attention", lambda: self.attention_map(
            self.x_test[i:i + 1], self.decode(self.t_test[i:i + 1, 1:])[0]))
        ids = self._your[1] if self._your is not None else self.x_test[:1]
        yours = self._cached("your_attention", lambda: self.attention_map(ids))
        return {"attention": example, "your_attention": yours, "predictions": self.predictions_data()}


LESSON = AttentionLesson
