"""word2vec (CBOW / skip-gram with negative sampling) in PyTorch: the twin of ``network.NumpyWord2Vec``.

The same initial W_in and W_out, ``F.embedding`` lookups, ``visualizer.models.sequence_torch.
negative_sampling_loss`` on the negatives the lesson drew, and ``torch.optim.Adam``, so that given the same
batches both engines give the same losses.  Imported only by the torch engine.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from visualizer.torch_backend.device import resolve_device
from visualizer.models.sequence_torch import negative_sampling_loss


class TorchWord2Vec:
    """See ``network.NumpyWord2Vec`` for shapes.  Raises LessonConfigError for CUDA without a GPU."""

    engine = "torch"

    def __init__(self, model: str, W_in: np.ndarray, W_out: np.ndarray, lr: float, device: str = "cpu",
                 adam: str = "dense") -> None:
        self.model = model
        self.adam = adam
        self.device = resolve_device(device)
        self.W_in = torch.nn.Parameter(torch.as_tensor(W_in.copy(), device=self.device))      # (V, H)
        self.W_out = torch.nn.Parameter(torch.as_tensor(W_out.copy(), device=self.device))    # (V, H)
        # "lazy": torch.optim.SparseAdam, fed row-sparse gradients of the looked-up rows (see train_step)
        self.opt = (torch.optim.SparseAdam if adam == "lazy" else torch.optim.Adam)([self.W_in, self.W_out], lr=lr)
        self._dense_grads: list[torch.Tensor] = []

    def set_lr(self, lr: float) -> None:
        for g in self.opt.param_groups:
            g["lr"] = float(lr)

    def _ids(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a, dtype=np.int64), device=self.device)

    def _loss(self, contexts: np.ndarray, target: np.ndarray, negatives: np.ndarray) -> torch.Tensor:
        ctx, tgt, neg = self._ids(contexts), self._ids(target), self._ids(negatives)
        if self.model == "cbow":
            h = F.embedding(ctx, self.W_in).mean(dim=1)                    # (N, H)
            return negative_sampling_loss(self.W_out, h, tgt, neg)
        c = ctx.shape[1]
        h = F.embedding(tgt, self.W_in).repeat_interleave(c, dim=0)       # (N·2w, H)
        return c * negative_sampling_loss(self.W_out, h, ctx.reshape(-1), neg)

    def loss(self, contexts, target, negatives) -> float:
        with torch.no_grad():
            return float(self._loss(contexts, target, negatives))

    def train_step(self, contexts, target, negatives) -> float:
        self.opt.zero_grad(set_to_none=False)
        loss = self._loss(contexts, target, negatives)
        loss.backward()
        if self.adam == "lazy":                            # the rows looked up, as nn.Embedding(sparse=True)
            self._dense_grads = [self.W_in.grad.clone(), self.W_out.grad.clone()]
            cbow = self.model == "cbow"
            looked_up = [np.unique(contexts if cbow else target),
                         np.unique(np.concatenate([np.asarray(target if cbow else contexts).reshape(-1),
                                                   np.asarray(negatives).reshape(-1)]))]
            for p, rows in zip((self.W_in, self.W_out), looked_up):
                r = self._ids(rows)
                p.grad = torch.sparse_coo_tensor(r[None], p.grad[r], p.shape, check_invariants=True)
        self.opt.step()
        if self.adam == "lazy":
            self.W_in.grad, self.W_out.grad = self._dense_grads
        return float(loss.detach())

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        return {"W_in": self.W_in.grad.detach().cpu().numpy().astype(np.float64),
                "W_out": self.W_out.grad.detach().cpu().numpy().astype(np.float64)}

    @property
    def W_in_numpy(self) -> np.ndarray:
        return self.W_in.detach().cpu().numpy()

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.W_in.detach().cpu().numpy().copy(), self.W_out.detach().cpu().numpy().copy()

    def load_weights(self, W_in: np.ndarray, W_out: np.ndarray) -> None:
        with torch.no_grad():
            self.W_in.copy_(torch.as_tensor(W_in))
            self.W_out.copy_(torch.as_tensor(W_out))
