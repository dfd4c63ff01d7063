"""PyTorch twins of ``lessons.seq2seq.models`` (imports torch: load only on the torch engine's path).

The same encoder-decoder, peeky and attention models on the same weights (the scratch layout of
:func:`lessons.seq2seq.models.init_weights`): the LSTMs are ``torch.nn.LSTM`` built by
``visualizer.models.sequence_torch.recurrent_from_scratch`` (their hidden-side bias is frozen at 0, so
the one trainable bias is the scratch b), the embeddings and the affine layer are plain parameters used
as ``W[ids]`` and ``x @ W + b``.  Adam (``torch.optim.Adam`` with ε set each step to the book's, as
``lessons.seq2seq.models.BookAdam``) and
``clip_grad_norm_`` (the rule of ``visualizer.scratch.clipping.clip_grads``) make the training step match
the NumPy engine to float32 round-off.
"""
from __future__ import annotations

import numpy as np
import torch

from lessons.seq2seq.models import BOOK_ADAM_EPS, book_adam_eps, check_state
from visualizer.scratch.time_layers import TimeLSTM
from visualizer.torch_backend.device import resolve_device
from visualizer.models.sequence_torch import recurrent_from_scratch, time_attention, time_softmax_cross_entropy


def _lstm(weights: dict[str, np.ndarray], prefix: str) -> torch.nn.LSTM:
    layer = TimeLSTM(weights[f"{prefix}.Wx"], weights[f"{prefix}.Wh"], weights[f"{prefix}.b"])
    module = recurrent_from_scratch(layer)
    module.bias_hh_l0.requires_grad_(False)               # b lives in bias_ih only (scratch has one b)
    return module


class TorchSeq2seq(torch.nn.Module):
    """kind "seq2seq", "peeky" or "attention" (see the NumPy classes).  ``forward(xs (N, Tq), ts (N, Ta))``
    -> loss (scalar tensor); ``generate(xs, start_id, length)`` -> (N, length) long, and for attention
    ``attention_weights`` (N, length, Tq) in reading order."""

    def __init__(self, kind: str, weights: dict[str, np.ndarray], reverse_input: bool = False) -> None:
        super().__init__()
        self.kind = kind
        self.reverse_input = reverse_input
        P = torch.nn.Parameter
        self.enc_embed = P(torch.from_numpy(weights["encoder.embed.W"].copy()))
        self.enc_lstm = _lstm(weights, "encoder.lstm")
        self.dec_embed = P(torch.from_numpy(weights["decoder.embed.W"].copy()))
        self.dec_lstm = _lstm(weights, "decoder.lstm")
        self.aff_W = P(torch.from_numpy(weights["decoder.affine.W"].copy()))
        self.aff_b = P(torch.from_numpy(weights["decoder.affine.b"].copy()))
        self.attention_weights: torch.Tensor | None = None

    def named_scratch_params(self) -> dict[str, torch.Tensor]:
        """The trainable tensors by scratch name (LSTM weights as torch stores them: transposed)."""
        return {"encoder.embed.W": self.enc_embed, "encoder.lstm.Wx": self.enc_lstm.weight_ih_l0,
                "encoder.lstm.Wh": self.enc_lstm.weight_hh_l0, "encoder.lstm.b": self.enc_lstm.bias_ih_l0,
                "decoder.embed.W": self.dec_embed, "decoder.lstm.Wx": self.dec_lstm.weight_ih_l0,
                "decoder.lstm.Wh": self.dec_lstm.weight_hh_l0, "decoder.lstm.b": self.dec_lstm.bias_ih_l0,
                "decoder.affine.W": self.aff_W, "decoder.affine.b": self.aff_b}

    def _encode(self, xs: torch.Tensor) -> torch.Tensor:
        if self.reverse_input:
            xs = xs.flip(1)
        hs, _ = self.enc_lstm(self.enc_embed[xs])          # (N, Tq, H)
        return hs

    def _decode(self, xs: torch.Tensor, enc_hs: torch.Tensor, state):
        """Scores (N, T, V) and the LSTM state after xs (N, T); for attention also the weights."""
        e = self.dec_embed[xs]                             # (N, T, D)
        N, T = xs.shape
        h = enc_hs[:, -1, :]                               # (N, H)
        weights = None
        if self.kind == "peeky":
            hs = h[:, None, :].expand(N, T, h.shape[1])
            out, state = self.dec_lstm(torch.cat([hs, e], dim=2), state)
            feat = torch.cat([hs, out], dim=2)
        elif self.kind == "attention":
            out, state = self.dec_lstm(e, state)
            c, weights = time_attention(enc_hs, out)
            feat = torch.cat([c, out], dim=2)
        else:
            out, state = self.dec_lstm(e, state)
            feat = out
        return feat @ self.aff_W + self.aff_b, state, weights

    def _initial(self, enc_hs: torch.Tensor):
        h0 = enc_hs[:, -1, :][None].contiguous()          # (1, N, H)
        return h0, torch.zeros_like(h0)

    def forward(self, xs: torch.Tensor, ts: torch.Tensor) -> torch.Tensor:
        enc_hs = self._encode(xs)
        score, _, _ = self._decode(ts[:, :-1], enc_hs, self._initial(enc_hs))
        return time_softmax_cross_entropy(score, ts[:, 1:])

    @torch.no_grad()
    def generate(self, xs: torch.Tensor, start_id: int, length: int) -> torch.Tensor:
        enc_hs = self._encode(xs)
        state = self._initial(enc_hs)
        x = torch.full((xs.shape[0], 1), start_id, dtype=torch.long, device=xs.device)
        out, weights = [], []
        for _ in range(length):
            score, state, w = self._decode(x, enc_hs, state)
            x = score.argmax(dim=2)                        # (N, 1)
            out.append(x)
            if w is not None:
                weights.append(w)
        if weights:
            a = torch.cat(weights, dim=1)                  # (N, length, Tq)
            self.attention_weights = a.flip(2) if self.reverse_input else a
        return torch.cat(out, dim=1)


class TorchSeq2seqTrainer:
    """The PyTorch engine behind the interface of :class:`lessons.seq2seq.models.Seq2seqTrainer`
    (NumPy in, NumPy out)."""

    engine = "torch"

    def __init__(self, kind: str, weights: dict[str, np.ndarray], reverse_input: bool = False,
                 lr: float = 1e-3, max_grad_norm: float = 5.0, device: str = "cpu") -> None:
        self.device = resolve_device(device)
        self.model = TorchSeq2seq(kind, weights, reverse_input).to(self.device)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(self.params, lr=lr, eps=BOOK_ADAM_EPS)
        self._steps = 0
        self.max_grad_norm = max_grad_norm
        self.last_grad_norm = float("nan")

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for g in self.optimizer.param_groups:
            g["lr"] = float(value)

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.long, device=self.device)

    def train_step(self, xs: np.ndarray, ts: np.ndarray) -> float:
        self.optimizer.zero_grad(set_to_none=False)
        loss = self.model(self._tensor(xs), self._tensor(ts))
        loss.backward()
        if self.max_grad_norm > 0:
            self.last_grad_norm = float(torch.nn.utils.clip_grad_norm_(self.params, self.max_grad_norm))
        self._steps += 1
        for g in self.optimizer.param_groups:             # the book's ε placement (BookAdam)
            g["eps"] = book_adam_eps(self._steps, g["betas"][1])
        self.optimizer.step()
        return float(loss.detach())

    def generate(self, xs: np.ndarray, start_id: int, length: int) -> np.ndarray:
        return self.model.generate(self._tensor(xs), start_id, length).cpu().numpy()

    @property
    def attention_weights(self) -> np.ndarray | None:
        a = self.model.attention_weights
        return None if a is None else a.cpu().numpy()

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """Last step's gradients in the scratch layout, name -> float64."""
        m = self.model
        out = {}
        for prefix, lstm in (("encoder.lstm", m.enc_lstm), ("decoder.lstm", m.dec_lstm)):
            out[f"{prefix}.Wx"] = lstm.weight_ih_l0.grad.T.cpu().numpy()      # (D, 4H), the scratch layout
            out[f"{prefix}.Wh"] = lstm.weight_hh_l0.grad.T.cpu().numpy()
            out[f"{prefix}.b"] = lstm.bias_ih_l0.grad.cpu().numpy()
        for name, p in (("encoder.embed.W", m.enc_embed), ("decoder.embed.W", m.dec_embed),
                        ("decoder.affine.W", m.aff_W), ("decoder.affine.b", m.aff_b)):
            out[name] = p.grad.detach().cpu().numpy()
        order = list(m.named_scratch_params())
        return {n: out[n].astype(np.float64) for n in order}

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {}
        for n, p in self.model.named_scratch_params().items():
            a = p.detach().cpu().numpy()
            out[n] = (a.T if n.endswith((".Wx", ".Wh")) else a).copy()
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy scratch-layout weights in.  Raises ValueError naming a missing or mis-shaped array."""
        check_state(state, self.state_dict())
        with torch.no_grad():
            for n, p in self.model.named_scratch_params().items():
                a = np.asarray(state[n], dtype=np.float32)
                p.copy_(torch.from_numpy(np.ascontiguousarray(a.T if n.endswith((".Wx", ".Wh")) else a)))
