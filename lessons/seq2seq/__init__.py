"""Lesson ``seq2seq``: an encoder-decoder LSTM learns addition as text; baseline, reversed input and the
peeky decoder compared (Saitoh, *Deep Learning from Scratch 2*, ch. 7).  ``models`` holds the NumPy
models (also used by the ``attention`` lesson), ``torch_models`` their PyTorch twins."""
from lessons.seq2seq.model import Seq2seqLesson

LESSON = Seq2seqLesson

__all__ = ["LESSON", "Seq2seqLesson"]
