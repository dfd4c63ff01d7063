"""PyTorch twins of the NumPy engine's sequence layers (``visualizer.scratch`` embedding, time_layers,
negative_sampling, attention): given a scratch layer, build the equivalent torch computation on the same
weights, and read torch's gradients back in the scratch layer's parameter layout.

Weight layout mapping (batch_first=True everywhere):
* TimeRNN [Wx (D, H), Wh (H, H), b (H,)] -> ``torch.nn.RNN``: weight_ih_l0 = Wxᵀ, weight_hh_l0 = Whᵀ,
  bias_ih_l0 = b, bias_hh_l0 = 0.
* TimeLSTM [Wx (D, 4H), Wh (H, 4H), b (4H,)], gates i, f, g, o -> ``torch.nn.LSTM`` (same gate order):
  weight_ih_l0 = Wxᵀ, weight_hh_l0 = Whᵀ, bias_ih_l0 = b, bias_hh_l0 = 0.
* TimeGRU [Wx (D, 3H), Wh (H, 3H), b (3H,), b_hn (H,)], gates r, z, n -> ``torch.nn.GRU``:
  weight_ih_l0 = Wxᵀ, weight_hh_l0 = Whᵀ, bias_ih_l0 = b, bias_hh_l0 = [0, 0, b_hn].
Since torch adds b_ih and b_hh, the gradient of the scratch b equals bias_ih_l0.grad (and the r, z parts
of bias_hh_l0.grad); b_hn's equals bias_hh_l0.grad[2H:].

Import this module only on the torch engine's code path (it imports torch).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from visualizer.scratch.time_layers import TimeGRU, TimeLSTM, TimeRNN

TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def recurrent_from_scratch(layer: TimeRNN | TimeLSTM | TimeGRU) -> torch.nn.RNNBase:
    """A one-layer, batch_first ``torch.nn.RNN`` (tanh) / ``LSTM`` / ``GRU`` holding copies of the scratch
    layer's weights, in its dtype.  Raises TypeError for another layer type."""
    Wx, Wh = layer.params[0], layer.params[1]
    D, H = Wx.shape[0], layer.H
    dtype = TORCH_DTYPES[Wx.dtype]
    if isinstance(layer, TimeLSTM):
        module = torch.nn.LSTM(D, H, batch_first=True, dtype=dtype)
        b_hh = np.zeros(4 * H, Wx.dtype)
    elif isinstance(layer, TimeGRU):
        module = torch.nn.GRU(D, H, batch_first=True, dtype=dtype)
        b_hh = np.concatenate([np.zeros(2 * H, Wx.dtype), layer.params[3]])
    elif isinstance(layer, TimeRNN):
        module = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True, dtype=dtype)
        b_hh = np.zeros(H, Wx.dtype)
    else:
        raise TypeError(f"no torch twin for {type(layer).__name__}")
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(Wx.T)))
        module.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(Wh.T)))
        module.bias_ih_l0.copy_(torch.from_numpy(layer.params[2]))
        module.bias_hh_l0.copy_(torch.from_numpy(b_hh))
    return module


def recurrent_grads_to_scratch(module: torch.nn.RNNBase) -> list[np.ndarray]:
    """The module's parameter gradients in the scratch layout: [dWx, dWh, db] (+ [db_hn] for a GRU)."""
    grads = [module.weight_ih_l0.grad.T.numpy(), module.weight_hh_l0.grad.T.numpy(),
             module.bias_ih_l0.grad.numpy()]
    if isinstance(module, torch.nn.GRU):
        H = module.hidden_size
        grads.append(module.bias_hh_l0.grad[2 * H:].numpy())
    return [g.copy() for g in grads]


def initial_state(h: np.ndarray | None, c: np.ndarray | None = None):
    """Scratch initial state(s) (N, H) as torch's (1, N, H) ``h0`` or ``(h0, c0)``; None stays None."""
    if h is None:
        return None
    h0 = torch.from_numpy(np.ascontiguousarray(h))[None]
    return h0 if c is None else (h0, torch.from_numpy(np.ascontiguousarray(c))[None])


def time_softmax_cross_entropy(logits: torch.Tensor, ts: torch.Tensor, ignore_label: int = -1) -> torch.Tensor:
    """TimeSoftmaxWithLoss in torch: logits (N, T, V), ts (N, T) long -> mean over labels ≠ ignore_label."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ts.reshape(-1), ignore_index=ignore_label)


def negative_sampling_loss(W: torch.Tensor, h: torch.Tensor, target: torch.Tensor,
                           negatives: torch.Tensor) -> torch.Tensor:
    """NegativeSamplingLoss in torch for given negatives: W (V, D), h (N, D), target (N,), negatives
    (N, S) -> (1/N) Σ binary cross-entropy (label 1 for the target column, 0 for the negatives)."""
    idx = torch.cat([target[:, None], negatives], dim=1)          # (N, 1 + S)
    scores = (F.embedding(idx, W) * h[:, None, :]).sum(-1)        # (N, 1 + S)
    labels = torch.zeros_like(scores)
    labels[:, 0] = 1
    return F.binary_cross_entropy_with_logits(scores, labels, reduction="sum") / h.shape[0]


def time_attention(hs_enc: torch.Tensor, hs_dec: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """TimeAttention in torch: hs_enc (N, Tx, H), hs_dec (N, Ty, H) -> (contexts (N, Ty, H),
    weights (N, Ty, Tx))."""
    weights = torch.softmax(hs_dec @ hs_enc.transpose(1, 2), dim=-1)
    return weights @ hs_enc, weights
