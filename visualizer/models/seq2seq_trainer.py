"""Training a sequence-to-sequence model on the kit (Qt-free): the NumPy engine's trainer and
:func:`build_trainer`, which gives it or its PyTorch twin (``visualizer.models.seq2seq_trainer_torch``).

One step, as the book trains (Saitoh, *Deep Learning from Scratch 2*, ch. 7, ``Trainer.fit(..., max_grad=5.0)``):
forward (mean cross-entropy of the answer characters under teacher forcing), backward, clip the global
gradient norm to ``max_grad`` (0 = off), Adam with the book's ε (``visualizer.scratch.book_adam``).  Both
engines start from the same :func:`visualizer.models.encoder_decoder.init_weights`, take the same batches
(xs (N, Tq), ts (N, Ta) int NumPy arrays) and report ``train_loss``; both expose
``generate(xs, start_id, length)`` -> (N, length) int64 NumPy ids and, for attention, ``attention_weights``
(N, length, Tq) float in reading order.  Gradients use the scratch names on both engines.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from visualizer.core.trainer import Trainer
from visualizer.models.attention_seq2seq import AttentionSeq2seq
from visualizer.models.encoder_decoder import Seq2seq, init_weights
from visualizer.models.peeky import PeekySeq2seq
from visualizer.scratch.book_adam import BookAdam
from visualizer.scratch.clipping import clip_grads
from visualizer.scratch.trainer import NumpyTrainer

MODELS = {"seq2seq": Seq2seq, "peeky": PeekySeq2seq, "attention": AttentionSeq2seq}


class Seq2seqTrainer(NumpyTrainer):
    """A NumPy seq2seq model (``model``: Seq2seq, PeekySeq2seq or AttentionSeq2seq), its :class:`BookAdam`
    (checkpointed as ``opt.adam.*``) and clipping.  kind: a key of :data:`MODELS`; weights: from
    ``init_weights`` (used in place).  Live settings: ``lr`` (Adam's step size), ``max_grad`` (clipping
    norm, 0 = off).  Raises KeyError for an unknown kind."""

    def __init__(self, kind: str, weights: dict[str, np.ndarray], reverse_input: bool = False,
                 lr: float = 1e-3, max_grad: float = 5.0) -> None:
        self.model = MODELS[kind](weights, reverse_input)
        self.optimizer = BookAdam(self.model.params, self.model.grads, lr=lr)
        self.max_grad = float(max_grad)
        m = self.model
        super().__init__(dict(zip(m.names, m.params)), dict(zip(m.names, m.grads)), self._update,
                         optimizers={"adam": self.optimizer},
                         hyper={"lr": lambda v: setattr(self.optimizer, "lr", float(v)),
                                "max_grad": lambda v: setattr(self, "max_grad", float(v))})

    def _update(self, batch: tuple[np.ndarray, np.ndarray], step: int) -> Mapping[str, float]:
        xs, ts = batch
        loss = self.model.forward(xs, ts)
        self.model.backward()
        if self.max_grad > 0:
            clip_grads(self.model.grads, self.max_grad)
        self.optimizer.step()
        return {"train_loss": float(loss)}

    def generate(self, xs: np.ndarray, start_id: int, length: int) -> np.ndarray:
        """Greedy answers (N, length) int64 to questions xs (N, Tq) in reading order."""
        return self.model.generate(xs, start_id, length)

    @property
    def attention_weights(self) -> np.ndarray | None:
        """(N, length, Tq) of the last ``generate`` (attention models; None otherwise or before)."""
        return getattr(self.model, "attention_weights", None)


def build_trainer(engine: str, kind: str, vocab_size: int, wordvec_size: int, hidden_size: int, seed: int,
                  reverse_input: bool = False, lr: float = 1e-3, max_grad: float = 5.0,
                  device: str = "cpu") -> Trainer:
    """A :class:`Seq2seqTrainer` (engine "numpy") or its PyTorch twin ``TorchSeq2seqTrainer`` (engine
    "torch", imported here), both starting from ``init_weights(kind, ...)`` with ``seed``.  Step it with
    ``trainer.step((xs, ts), step)`` and read ``trainer.flush()["train_loss"]``.  Raises ValueError for an
    unknown engine or kind; LessonConfigError for an unusable device."""
    weights = init_weights(kind, vocab_size, wordvec_size, hidden_size, seed)
    if engine == "numpy":
        return Seq2seqTrainer(kind, weights, reverse_input, lr, max_grad)
    if engine == "torch":
        from visualizer.models.seq2seq_trainer_torch import TorchSeq2seqTrainer
        return TorchSeq2seqTrainer(kind, weights, reverse_input, lr, max_grad, device)
    raise ValueError(f"unknown engine {engine!r}")

