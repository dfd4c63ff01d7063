"""word2vec (CBOW / skip-gram with negative sampling) in PyTorch: the twin of ``net.NumpyWord2Vec``.

The same initial W_in and W_out, ``F.embedding`` lookups, ``visualizer.models.sequence_torch.
negative_sampling_loss`` on the negatives the lesson drew, and ``torch.optim.Adam`` (dense) or
``torch.optim.SparseAdam`` fed the rows the batch looked up (lazy, :class:`LazyAdam`), so that given the same
batches both engines give the same losses.  The lesson's TorchTrainer steps it.  Imported only by the torch
engine.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from visualizer.models.sequence_torch import negative_sampling_loss


class TorchWord2Vec(nn.Module):
    """W_in, W_out (V, H) float32 parameters; ``forward(contexts, target, negatives)`` -> the mean
    negative-sampling loss (0-d tensor) with the shapes of ``net.NumpyWord2Vec`` (long tensors).  Raises
    ValueError for an unknown model name."""

    engine = "torch"

    def __init__(self, model: str, W_in: np.ndarray, W_out: np.ndarray) -> None:
        super().__init__()
        if model not in ("cbow", "skipgram"):
            raise ValueError(f"unknown model {model!r}; choose cbow or skipgram")
        self.model = model
        self.W_in = nn.Parameter(torch.as_tensor(W_in.copy()))          # (V, H)
        self.W_out = nn.Parameter(torch.as_tensor(W_out.copy()))        # (V, H)

    def forward(self, contexts: torch.Tensor, target: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        if self.model == "cbow":
            h = F.embedding(contexts, self.W_in).mean(dim=1)                      # (N, H)
            return negative_sampling_loss(self.W_out, h, target, negatives)
        c = contexts.shape[1]
        h = F.embedding(target, self.W_in).repeat_interleave(c, dim=0)           # (N·2w, H)
        return c * negative_sampling_loss(self.W_out, h, contexts.reshape(-1), negatives)

    def tensors(self, batch) -> tuple[torch.Tensor, ...]:
        """NumPy int arrays (contexts, target, negatives) as long tensors on this model's device."""
        return tuple(torch.as_tensor(a, dtype=torch.int64, device=self.W_in.device) for a in batch)

    @torch.no_grad()
    def loss(self, contexts: np.ndarray, target: np.ndarray, negatives: np.ndarray) -> float:
        """The loss of a batch without updating (one host sync: for evaluation only)."""
        return float(self(*self.tensors((contexts, target, negatives))))

    @property
    def W_in_numpy(self) -> np.ndarray:
        """W_in (V, H) as a NumPy array (a copy off the GPU)."""
        return self.W_in.detach().cpu().numpy()


class LazyAdam(torch.optim.SparseAdam):
    """``torch.optim.SparseAdam`` for parameters whose gradients are dense: before each step set ``rows``
    (one 1-D long tensor of sorted, unique row ids per parameter, the rows the batch looked up, as
    ``nn.Embedding(sparse=True)`` would give); the step hands SparseAdam those rows as a sparse gradient and
    puts the dense gradients back afterwards (for "Compare engines")."""

    rows: list[torch.Tensor] | None = None

    @torch.no_grad()
    def step(self, closure=None):
        params = [p for group in self.param_groups for p in group["params"]]
        dense = [p.grad for p in params]
        for p, r in zip(params, self.rows):       # valid by construction: no invariant check (a sync on CUDA)
            p.grad = torch.sparse_coo_tensor(r[None], p.grad[r], p.shape, check_invariants=False)
        try:
            return super().step(closure)
        finally:
            for p, g in zip(params, dense):
                p.grad = g


def make_trainer(net: TorchWord2Vec, lr: float, adam: str, device: str, seed: int):
    """A TorchTrainer stepping ``net`` with Adam ("dense") or :class:`LazyAdam` ("lazy") on batches the lesson
    draws on the host: (contexts, target, negatives) NumPy int arrays.  The learning rate is live ("lr").
    Raises LessonConfigError for CUDA without a GPU."""
    from lessons.word2vec.net import looked_up_rows
    from visualizer.torch_backend.trainer import TorchTrainer

    opt_cls = LazyAdam if adam == "lazy" else torch.optim.Adam

    def losses(batch, step: int) -> dict[str, torch.Tensor]:
        opt = trainer.optimizers["main"]
        if isinstance(opt, LazyAdam):                   # the rows the batch looks up, known on the host
            opt.rows = [torch.as_tensor(r, device=trainer.device) for r in looked_up_rows(net.model, *batch)]
        return {"train_loss": net(*net.tensors(batch))}

    trainer = TorchTrainer(net, lambda m: opt_cls(list(m["model"].parameters()), lr=lr), device=device, seed=seed,
                           losses=losses, hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})
    return trainer
