"""Lesson ``bert``: a small BERT pretrained with masked LM on the shipped book and unlabelled reviews, then
fine-tuned for sentiment with and without its pretraining (PyTorch; the model is
``visualizer.models.bert_torch``)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "bert", "BERT: pretraining and fine-tuning", "Sequences & language",
    "PyTorch advanced deep learning (Ogawa), ch. 8 (BERT); Devlin et al. 2019; Deep Learning with Python 2e, "
    "ch. 11 (Transformers)",
    "A small BERT learns language by filling in masked words, then learns sentiment from 200 labelled reviews "
    "next to an identical twin that skipped pretraining: MLM predictions for your sentence, every attention "
    "head, the neuron view, one word's contextual vectors across sentences, fine-tuning curves side by side.",
    engines=("torch",), order=75,
    pacing=Pacing(speed=100.0, stop=1800, unit="steps"))
