"""Lesson ``seq2seq``: an encoder-decoder LSTM learns to add numbers written as text (Qt-free).

The addition task of Saitoh, *Deep Learning from Scratch 2*, chapter 7: questions like ``"16+75"`` are
read character by character, the encoder squeezes them into one vector h, and the decoder writes the
answer ``"91"`` one character at a time.  Three improvements are compared, each run kept on the curves:
the baseline (7.3), reversed input (7.5.1, Sutskever et al. 2014) and the peeky decoder (7.5.2, after
Cho et al. 2014), and both together.  Background: Yoon, *Python raw-coding deep learning*, ch. 12.
The models and what this lesson shares with ``attention`` live in ``visualizer.models`` (``encoder_decoder``,
``peeky``, ``seq2seq_trainer``, ``seq2seq_task``).
"""
from __future__ import annotations

from lessons.seq2seq import INFO
from lessons.seq2seq.narrative import NARRATIVE
from visualizer.core.hyperparams import ChoiceParam
from visualizer.core.plotdata import PlotData, PlotSpec
from visualizer.data.seq_tasks import generate_addition
from visualizer.models.seq2seq_task import SeqTaskLesson, shared_params

VARIANTS = ("baseline", "reversed", "peeky", "peeky+reversed")


class Seq2seqLesson(SeqTaskLesson):
    """Seq2seq on the addition task: questions (N, 7) ids -> answers (N, 4) ids, greedy decoding."""

    info = INFO
    params = (
        ChoiceParam("variant", "Model variant", "baseline", VARIANTS,
                    tooltip="baseline: the plain encoder-decoder. reversed: the question is fed backwards. "
                            "peeky: the encoder's vector h goes into every decoder step, not only the first. "
                            "peeky+reversed: both (the book's best)."),
    ) + shared_params(default_hidden=128, default_examples=50_000)
    plots = (
        PlotSpec("accuracy", "Test accuracy (exact match)", "curves", series=("val_acc",), x_label="step",
                 y_label="accuracy",
                 tooltip="Share of test questions whose whole greedy-decoded answer is right. Earlier runs "
                         "(other variants) stay drawn, faded, after Reset."),
        PlotSpec("loss", "Training loss", "curves", series=("train_loss",), x_label="step",
                 y_label="cross-entropy", log_y=True,
                 tooltip="Mean cross-entropy per answer character of each mini-batch (teacher forcing)."),
        PlotSpec("predictions", "Sample answers (test set)", "predictions",
                 tooltip="The first test questions, the true sums and the model's greedy answers: green ✓ "
                         "when the whole answer is right, red ✗ otherwise. Updates while training."),
    )
    narrative = NARRATIVE
    view_params = frozenset({"test_examples"})
    task_lines = staticmethod(generate_addition)
    task_name = "addition"

    def model_choice(self) -> tuple[str, bool]:
        v = self.hp["variant"]
        return ("peeky" if v.startswith("peeky") else "seq2seq"), v.endswith("reversed")

    def snapshot(self) -> dict[str, PlotData]:
        return {"predictions": self.predictions_data()}


LESSON = Seq2seqLesson
