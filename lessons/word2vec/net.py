"""word2vec with negative sampling in the NumPy engine: CBOW and skip-gram (Saitoh, *Deep Learning from
Scratch 2*, ch. 3-4; Mikolov et al. 2013).

Both models hold two (V, H) matrices: W_in, the input-side vectors that become the word vectors, and W_out,
the output-side vectors scored by ``NegativeSamplingLoss``.  Vectorized over the batch and the window:
- CBOW: h = mean of the 2w context rows of W_in (one ``Embedding`` lookup of the (N, 2w) context ids; the
  book keeps 2w Embedding layers), scored against the target and S negatives.
- skip-gram: h = W_in[target], repeated for each of the 2w context positions, and the (N·2w) rows scored in
  one ``NegativeSamplingLoss`` call; the loss is the book's sum over the 2w positions of the batch-mean
  losses, i.e. 2w × the mean over the N·2w rows.
The negatives are given by the caller (the lesson draws them with its own generator, so the PyTorch twin in
``net_torch.py`` scores the very same words).
"""
from __future__ import annotations

import numpy as np

from visualizer.scratch.embedding import Embedding
from visualizer.scratch.negative_sampling import NegativeSamplingLoss
from visualizer.scratch.optimizers import Optimizer, SparseAdam
from visualizer.scratch.trainer import NumpyTrainer

MODELS = ("cbow", "skipgram")
ADAM_MODES = ("dense", "lazy")


class RowSparseAdam(Optimizer):
    """Adam with ``torch.optim.Adam``'s dense semantics (every row's moments decay at every step, every row
    moves), computed in fewer passes over the (V, H) matrices by using that only the rows looked up in this
    batch have a non-zero gradient:

        m ← β₁ m;  m[rows] += (1 − β₁) g[rows];  v ← β₂ v;  v[rows] += (1 − β₂) g[rows]²
        p ← p − (lr √(1 − β₂ᵗ) / (1 − β₁ᵗ)) · m / (√v + ε √(1 − β₂ᵗ))

    the same update as torch's m / (√v / √(1 − β₂ᵗ) + ε) · lr / (1 − β₁ᵗ), rearranged (equal up to float
    round-off).  7 passes per matrix instead of the generic scratch Adam's 13: the optimizer was ~70 % of a
    CBOW step at PTB's size.  ``step(rows)``: rows[i] are the (unique) row ids of params[i] with gradients.
    Checkpoints hold the moments ``_m``, ``_v`` and the step count ``t`` (``Optimizer.state_arrays``)."""

    def __init__(self, params, grads, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, grads, lr)
        (self.beta1, self.beta2), self.eps = betas, float(eps)
        self.t = 0
        self._m = [np.zeros_like(p) for p in self.params]
        self._v = [np.zeros_like(p) for p in self.params]
        self._buf = [np.empty_like(p) for p in self.params]

    def step(self, rows: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        bc2_sqrt = np.sqrt(1 - b2 ** self.t)
        step_size = self.lr * bc2_sqrt / (1 - b1 ** self.t)
        for p, g, m, v, buf, r in zip(self.params, self.grads, self._m, self._v, self._buf, rows):
            f = p.dtype.type
            gr = g[r]                                      # (R, H) the only non-zero gradient rows
            m *= f(b1)
            m[r] += f(1 - b1) * gr
            v *= f(b2)
            v[r] += f(1 - b2) * gr * gr
            np.sqrt(v, out=buf)
            buf += f(self.eps * bc2_sqrt)
            np.divide(m, buf, out=buf)
            buf *= f(step_size)
            p -= buf


def looked_up_rows(model: str, contexts: np.ndarray, target: np.ndarray,
                   negatives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of W_in and of W_out a batch reads (sorted, unique int ids): the only rows with a non-zero
    gradient, and the rows lazy Adam updates.  CBOW reads the context rows of W_in and the target and
    negative rows of W_out; skip-gram the target rows of W_in and the context and negative rows of W_out."""
    cbow = model == "cbow"
    rows_in = np.unique(contexts if cbow else target)
    rows_out = np.unique(np.concatenate([np.asarray(target if cbow else contexts).reshape(-1),
                                         np.asarray(negatives).reshape(-1)]))
    return rows_in, rows_out


def initial_weights(vocab_size: int, hidden_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """W_in, W_out (V, H) float32 ~ 0.01 · N(0, 1), as the book (drawn from the seed)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    W_in = (0.01 * rng.standard_normal((vocab_size, hidden_size))).astype(np.float32)
    W_out = (0.01 * rng.standard_normal((vocab_size, hidden_size))).astype(np.float32)
    return W_in, W_out


class NumpyWord2Vec:
    """CBOW or skip-gram with negative sampling and Adam.  contexts (N, 2w) int, target (N,) int, negatives
    (N, S) for CBOW or (N·2w, S) for skip-gram (row n·2w + j pairs target n with its j-th context word).

    ``train_step`` returns the loss before the update; ``loss`` evaluates without updating.  ``params`` /
    ``grads``: [W_in, W_out] and their gradients, updated in place (the lesson's NumpyTrainer sees them).  adam: "dense"
    (``torch.optim.Adam``'s semantics, every row's moments decay at every step: :class:`RowSparseAdam`) or
    "lazy" (``torch.optim.SparseAdam``: only the rows the batch looked up are updated, a few hundred of
    the V rows, so a step no longer costs passes over both (V, H) matrices).  Raises ValueError for an
    unknown model name or Adam mode."""

    engine = "numpy"

    def __init__(self, model: str, W_in: np.ndarray, W_out: np.ndarray, corpus: np.ndarray, lr: float,
                 adam: str = "dense") -> None:
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}; choose cbow or skipgram")
        if adam not in ADAM_MODES:
            raise ValueError(f"unknown Adam mode {adam!r}; choose dense or lazy")
        self.adam = adam
        self.model = model
        self.embed = Embedding(W_in.copy())
        # The sampler inside is unused (negatives come from the caller); it only needs the word counts.
        self.ns_loss = NegativeSamplingLoss(W_out.copy(), corpus, 0.75, 1)
        self.params = [self.embed.params[0], self.ns_loss.params[0]]
        self.grads = [self.embed.grads[0], self.ns_loss.grads[0]]
        self.opt = (SparseAdam if adam == "lazy" else RowSparseAdam)(self.params, self.grads, lr)

    @property
    def W_in(self) -> np.ndarray:
        return self.params[0]

    def _forward(self, contexts: np.ndarray, target: np.ndarray, negatives: np.ndarray) -> float:
        if self.model == "cbow":
            h = self.embed.forward(contexts).mean(axis=1)                  # (N, H)
            return self.ns_loss.forward(h, target, negatives)
        c = contexts.shape[1]
        h = self.embed.forward(target)                                     # (N, H)
        h_rep = np.repeat(h, c, axis=0)                                    # (N·2w, H)
        return c * self.ns_loss.forward(h_rep, contexts.reshape(-1), negatives)

    def loss(self, contexts: np.ndarray, target: np.ndarray, negatives: np.ndarray) -> float:
        return float(self._forward(contexts, target, negatives))

    def train_step(self, contexts: np.ndarray, target: np.ndarray, negatives: np.ndarray) -> float:
        loss = self._forward(contexts, target, negatives)
        c = contexts.shape[1]
        rows = looked_up_rows(self.model, contexts, target, negatives)
        if self.model == "cbow":
            dh = self.ns_loss.backward(1.0)                                # (N, H)
            self.embed.backward(np.broadcast_to((dh / c)[:, None, :], dh.shape[:1] + (c,) + dh.shape[1:]))
        else:
            dh_rep = self.ns_loss.backward(float(c))                       # (N·2w, H)
            self.embed.backward(dh_rep.reshape(-1, c, dh_rep.shape[1]).sum(axis=1))     # (N, H)
        self.opt.step(list(rows))
        return float(loss)

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of W_in and W_out (V, H)."""
        return self.params[0].copy(), self.params[1].copy()


def make_trainer(net: NumpyWord2Vec) -> NumpyTrainer:
    """A NumpyTrainer stepping ``net`` on batches (contexts, target, negatives) with its Adam; the learning
    rate is live ("lr").  Arrays are named as the TorchTrainer names the twin's ("model.W_in", "model.W_out"),
    so that "Compare engines" matches them."""
    opt = net.opt
    return NumpyTrainer.from_lists(("model.W_in", "model.W_out"), net.params, net.grads,
                                   lambda batch, step: {"train_loss": net.train_step(*batch)},
                                   optimizers={"adam": opt}, hyper={"lr": lambda v: setattr(opt, "lr", v)})
