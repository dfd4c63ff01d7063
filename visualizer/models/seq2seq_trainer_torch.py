"""PyTorch twin of ``visualizer.models.seq2seq_trainer.Seq2seqTrainer`` (imports torch: load only on the
torch engine's path).  ``torch.optim.Adam`` with the book's ε (``visualizer.torch_backend.book_adam``) and
``clip_grad_norm_`` (the rule of ``visualizer.scratch.clipping.clip_grads``) make the step match the NumPy
engine to float32 round-off.  Source: Saitoh, *Deep Learning from Scratch 2*, ch. 7-8."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import torch

from visualizer.models.attention_seq2seq_torch import TorchAttentionSeq2seq
from visualizer.models.encoder_decoder_torch import TorchSeq2seq
from visualizer.models.peeky_torch import TorchPeekySeq2seq
from visualizer.torch_backend.book_adam import BookAdam
from visualizer.torch_backend.trainer import Phase, TorchTrainer

MODELS = {"seq2seq": TorchSeq2seq, "peeky": TorchPeekySeq2seq, "attention": TorchAttentionSeq2seq}


class TorchSeq2seqTrainer(TorchTrainer):
    """One TorchTrainer phase: the model's loss, clipped to ``max_grad`` (0 = off), BookAdam.  Batches are
    (xs, ts) int NumPy arrays, uploaded each step (nothing is read back).  Same live settings (``lr``,
    ``max_grad``), ``generate`` and ``attention_weights`` as the NumPy trainer; :meth:`gradient_arrays` in
    the scratch layout and names.  ``model`` is the module.  Raises KeyError for an unknown kind,
    LessonConfigError for an unusable device."""

    def __init__(self, kind: str, weights: dict[str, np.ndarray], reverse_input: bool = False,
                 lr: float = 1e-3, max_grad: float = 5.0, device: str = "cpu") -> None:
        model = MODELS[kind](weights, reverse_input)
        self.phase = Phase(self._losses, optimizer="adam", clip=float(max_grad) if max_grad > 0 else None)
        super().__init__({"model": model},
                         {"adam": lambda m: BookAdam([p for p in m["model"].parameters() if p.requires_grad],
                                                     lr=lr)},
                         device=device, phases=[self.phase],
                         hyper={"lr": TorchTrainer.param_group_setter("adam", "lr", lambda _, v: float(v)),
                                "max_grad": TorchSeq2seqTrainer._set_max_grad})
        self.model = self.modules["model"]

    @staticmethod
    def _set_max_grad(trainer: "TorchSeq2seqTrainer", value: float) -> None:
        trainer.phase.clip = float(value) if value > 0 else None

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.long, device=self.device)

    def _losses(self, batch: tuple[np.ndarray, np.ndarray], step: int) -> Mapping[str, torch.Tensor]:
        xs, ts = batch
        return {"train_loss": self.model(self._tensor(xs), self._tensor(ts))}

    def generate(self, xs: np.ndarray, start_id: int, length: int) -> np.ndarray:
        """Greedy answers (N, length) int64 to questions xs (N, Tq) in reading order (copied to the host)."""
        self.train(False)
        return self.model.generate(self._tensor(xs), start_id, length).cpu().numpy()

    @property
    def attention_weights(self) -> np.ndarray | None:
        a = getattr(self.model, "attention_weights", None)
        return None if a is None else a.cpu().numpy()

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        return self.model.scratch_gradients()
