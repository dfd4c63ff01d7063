"""PyTorch twin of the ``rnn_lm`` language model (imports torch: load only on the torch engine's path).

Same weights as the NumPy model (``net.init_weights``), same batches, same dropout masks (drawn from the
lesson's NumPy generator in the NumPy engine's order and formula), so both engines give the same losses and
gradients up to float32 round-off.  The recurrent layers are ``torch.nn.RNN/LSTM/GRU`` built by
``visualizer.models.sequence_torch.recurrent_from_scratch``.  torch adds two biases (b_ih + b_hh) where the
scratch layers have one, so the twin freezes b_hh at zero (for a GRU, all but its b_hn part, through a gradient
mask), or the two biases would both learn and the update would double.
"""
from __future__ import annotations

from collections import deque

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lessons.rnn_lm.data import PPL_WINDOW, perplexity, train_perplexity
from lessons.rnn_lm.net import LmConfig, make_recurrent, weight_names
from visualizer.models.sequence_torch import recurrent_from_scratch
from visualizer.torch_backend.device import resolve_device
from visualizer.torch_backend.trainer import TorchTrainer


class TorchLm(nn.Module):
    """The language model in PyTorch.  xs, ts: (N, T) long -> mean cross-entropy (0-d tensor).

    weights: ``net.init_weights`` arrays (copied); rng: the numpy Generator of the dropout masks;
    device: a ``torch.device``.  Stateful like the NumPy model: the detached last (h, c) of every layer start
    the next batch."""

    def __init__(self, config: LmConfig, weights: dict[str, np.ndarray], rng: np.random.Generator,
                 device: torch.device) -> None:
        super().__init__()
        self.config = config
        self.rng = rng
        self.device = device
        self.E = nn.Parameter(torch.from_numpy(weights["embed.W"].copy()))             # (V, D)
        self.rnns = nn.ModuleList(recurrent_from_scratch(make_recurrent(config.cell, weights, k))
                                  for k in range(1, config.layers + 1))
        for m in self.rnns:
            if config.cell == "gru":
                H = config.hidden_size
                mask = torch.zeros(3 * H)
                mask[2 * H:] = 1                                     # only b_hn learns
                m.bias_hh_l0.register_hook(lambda g, mask=mask: g * mask.to(g.device))
            else:
                m.bias_hh_l0.requires_grad_(False)
        self.W = None if config.tie_weights else nn.Parameter(torch.from_numpy(weights["affine.W"].copy()))  # (H, V)
        self.b = nn.Parameter(torch.from_numpy(weights["affine.b"].copy()))              # (V,)
        self.to(device)
        self.states: list = [None] * config.layers

    def _dropout(self, x: torch.Tensor) -> torch.Tensor:
        """The NumPy engine's TimeDropout mask, drawn from the same generator: u ~ U[0, 1) of x's shape,
        mask = [u ≥ p] / (1 − p)."""
        p = self.config.dropout
        if not self.training or p == 0.0:
            return x
        u = self.rng.random(tuple(x.shape), dtype=np.float32)                         # (N, T, D)
        mask = (u >= p).astype(np.float32)
        mask *= np.float32(1.0 / (1.0 - p))
        return x * torch.from_numpy(mask).to(x.device)

    def reset_state(self) -> None:
        self.states = [None] * self.config.layers

    def forward(self, xs: torch.Tensor, ts: torch.Tensor) -> torch.Tensor:
        h = self._dropout(F.embedding(xs, self.E))                                       # (N, T, D)
        for k, rnn in enumerate(self.rnns):
            h, state = rnn(h, self.states[k])                                            # (N, T, H)
            self.states[k] = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            h = self._dropout(h)
        W = self.E.T if self.W is None else self.W
        logits = h @ W + self.b                                                          # (N, T, V)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ts.reshape(-1))

    def state_numpy(self) -> list[tuple[np.ndarray | None, np.ndarray | None]]:
        """The carried state of every layer as NumPy (N, H) arrays (h, c), c None except for an LSTM."""
        out = []
        for s in self.states:
            if s is None:
                out.append((None, None))
            elif isinstance(s, tuple):
                out.append((s[0][0].cpu().numpy().copy(), s[1][0].cpu().numpy().copy()))
            else:
                out.append((s[0].cpu().numpy().copy(), None))
        return out

    def set_state_numpy(self, state: list[tuple[np.ndarray | None, np.ndarray | None]]) -> None:
        new = []
        for h, c in state:
            if h is None:
                new.append(None)
                continue
            th = torch.from_numpy(np.ascontiguousarray(h))[None].to(self.device)
            new.append(th if c is None else (th, torch.from_numpy(np.ascontiguousarray(c))[None].to(self.device)))
        self.states = new

    # ---- scratch layout -----------------------------------------------------------------------------
    def weights_numpy(self) -> dict[str, np.ndarray]:
        """Copies of the weights in the NumPy model's layout and names (float32)."""
        with torch.no_grad():
            w = {"embed.W": self.E.cpu().numpy().copy(), "affine.b": self.b.cpu().numpy().copy()}
            if self.W is not None:
                w["affine.W"] = self.W.cpu().numpy().copy()
            H = self.config.hidden_size
            for k, m in enumerate(self.rnns, 1):
                w[f"layer{k}.Wx"] = m.weight_ih_l0.cpu().numpy().T.copy()
                w[f"layer{k}.Wh"] = m.weight_hh_l0.cpu().numpy().T.copy()
                w[f"layer{k}.b"] = m.bias_ih_l0.cpu().numpy().copy()
                if self.config.cell == "gru":
                    w[f"layer{k}.b_hn"] = m.bias_hh_l0[2 * H:].cpu().numpy().copy()
        return w

    def grads_numpy(self) -> dict[str, np.ndarray]:
        """The last backward's gradients in the NumPy layout, float64 copies."""
        g = {"embed.W": self.E.grad, "affine.b": self.b.grad}
        if self.W is not None:
            g["affine.W"] = self.W.grad
        out = {k: v.detach().cpu().double().numpy().copy() for k, v in g.items()}
        H = self.config.hidden_size
        for k, m in enumerate(self.rnns, 1):
            grads = [m.weight_ih_l0.grad.T, m.weight_hh_l0.grad.T, m.bias_ih_l0.grad]
            if self.config.cell == "gru":
                grads.append(m.bias_hh_l0.grad[2 * H:])
            for suffix, a in zip(("Wx", "Wh", "b", "b_hn"), grads):
                out[f"layer{k}.{suffix}"] = a.detach().cpu().double().numpy().copy()
        return {n: out[n] for n in weight_names(self.config)}

    def load_weights(self, w: dict[str, np.ndarray]) -> None:
        """Copy NumPy-layout weights in (shapes already checked)."""
        H = self.config.hidden_size
        with torch.no_grad():
            self.E.copy_(torch.from_numpy(w["embed.W"]))
            self.b.copy_(torch.from_numpy(w["affine.b"]))
            if self.W is not None:
                self.W.copy_(torch.from_numpy(w["affine.W"]))
            for k, m in enumerate(self.rnns, 1):
                m.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(w[f"layer{k}.Wx"].T)))
                m.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(w[f"layer{k}.Wh"].T)))
                m.bias_ih_l0.copy_(torch.from_numpy(w[f"layer{k}.b"]))
                if self.config.cell == "gru":
                    m.bias_hh_l0[2 * H:] = torch.from_numpy(w[f"layer{k}.b_hn"])


class LmTorchTrainer(TorchTrainer):
    """The kit's TorchTrainer for :class:`TorchLm`: a step is forward, backward, the global gradient norm before
    clipping (``clip_grad_norm_``, the rule of the NumPy ``clip_grads``; a norm of 0 turns clipping off), SGD or
    Adam.  It needs its own ``step`` because the norm before clipping is a metric and the threshold is live;
    metrics stay on the device (``train_loss``, ``grad_norm``; ``clip_threshold`` on the host) and ``flush``
    adds ``train_ppl``, exp of the mean loss of the last PPL_WINDOW steps.  Gradients come out in the NumPy
    model's layout and names (``TorchLm.grads_numpy``), so "Compare engines" matches them.

    batch: (xs, ts, max_grad_norm): ids (N, T) as NumPy ints and the clipping threshold.  The learning rate is
    live ("lr")."""

    def __init__(self, config: LmConfig, weights: dict[str, np.ndarray], rng: np.random.Generator,
                 optimizer: str, lr: float, device: str, seed: int = 0) -> None:
        dev = resolve_device(device)
        torch.manual_seed(0)                   # nothing random is drawn by torch; keep it deterministic anyway
        cls = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
        super().__init__(TorchLm(config, weights, rng, dev),
                         lambda m: cls([p for p in m["model"].parameters() if p.requires_grad], lr=lr),
                         device=dev, seed=seed, phases=[],
                         hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})
        self.model = self.modules["model"]
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.recent: deque[torch.Tensor] = deque(maxlen=PPL_WINDOW)      # the last losses, on the device

    def _ids(self, a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a.astype(np.int64)).to(self.device)

    def step(self, batch, step: int) -> None:
        """One update on (xs, ts, max_grad_norm); no host sync."""
        xs, ts, max_norm = batch
        self._pin_threads()
        self.model.train()
        opt = self.optimizers["main"]
        opt.zero_grad(set_to_none=False)
        loss = self.model(self._ids(xs), self._ids(ts))
        loss.backward()
        if max_norm > 0:
            norm = torch.nn.utils.clip_grad_norm_(self.params, max_norm, foreach=False)
        else:
            norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in self.params]))
        opt.step()
        self.recent.append(loss.detach())
        self.record({"train_loss": loss, "grad_norm": norm} | ({"clip_threshold": max_norm} if max_norm > 0 else {}))

    def flush(self) -> dict[str, float]:
        out = super().flush()
        if "train_loss" in out:
            out["train_ppl"] = train_perplexity(torch.stack(list(self.recent)).tolist())
        return out

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        return self.model.grads_numpy()

    @torch.no_grad()
    def loss(self, xs: np.ndarray, ts: np.ndarray) -> float:
        """Loss of a batch in evaluation mode (no dropout), carrying the state (one host sync: evaluation only)."""
        self.model.eval()
        return float(self.model(self._ids(xs), self._ids(ts)).item())

    def perplexity(self, words: np.ndarray, batch_size: int, time_size: int) -> float:
        """Perplexity of ``words`` from a zero state in evaluation mode; the training state is restored."""
        saved = self.model.states
        self.model.reset_state()
        try:
            return perplexity(self.loss, words, batch_size, time_size)
        finally:
            self.model.states = saved
