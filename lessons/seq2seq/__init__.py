"""Lesson ``seq2seq``: an encoder-decoder LSTM learns addition as text; baseline, reversed input and the
peeky decoder compared (Saitoh, *Deep Learning from Scratch 2*, ch. 7).  The models (also used by the
``attention`` lesson) are in ``visualizer.models`` (``encoder_decoder``, ``peeky`` and their torch twins)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "seq2seq", "Seq2seq: learning to add", "Sequences & language",
    "Deep Learning from Scratch 2, ch. 7 (Generation with RNNs: seq2seq, reversed input, peeky)",
    "An encoder LSTM reads '16+75', a decoder LSTM writes '91'. Compare the baseline, reversed input "
    "and the peeky decoder on the accuracy curves, and watch the sample answers turn right.", order=40,
    pacing=Pacing(speed=300.0, stop=3000, unit="steps"))
