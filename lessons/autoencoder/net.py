"""The autoencoder of the lesson on the NumPy engine: encoder 64 → hidden → code, decoder code → hidden → 64.

x (N, D) pixels in [0, 1] -> h = act(x W₁ + b₁) (N, H) -> z = h W₂ + b₂ (N, C) -> code c (N, C) ->
g = act(c W₃ + b₃) (N, H) -> logits = g W₄ + b₄ (N, D) -> reconstruction x′ = sigmoid(logits).
The code is linear (c = z), or, for semantic hashing, c = sigmoid(z + ε) with ε ~ 𝒩(0, σ²) added
during training only, which pushes the code units towards 0 and 1 (Salakhutdinov & Hinton, *Semantic
hashing*, 2009, section 3.2).  The loss is the mean squared error of x′ or the binary cross-entropy of
the logits, averaged over all N·D pixels.

``AutoencoderNet`` holds the weights and does forward/backward, ``ReconstructionLoss`` adds the loss
(the lesson steps a scratch optimizer through the kit's NumpyTrainer); ``net_torch.AutoencoderTorch`` is
the PyTorch twin (same initial weights, same inputs, same noise: same numbers up to float rounding).
Sources: Hinton & Salakhutdinov, *Science* 313 (2006); Yoon, *Python raw-coding deep learning*, ch. 13;
Fundamentals of Deep Learning 2e, ch. 8.  Qt-free.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.scratch.init import init_weights
from visualizer.scratch.layers import Linear, Sigmoid, sigmoid
from visualizer.scratch.losses import MSE, SigmoidBinaryCrossEntropy
from visualizer.models.mlp import make_activation

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
LOSSES = ("mse", "bce")
LAYER_NAMES = ("enc1", "code", "dec1", "out")


@dataclass(frozen=True)
class AEConfig:
    """Sizes and switches of the autoencoder.  n_inputs D, hidden H, code C; binary: sigmoid code
    with training noise; loss "mse" or "bce"; dtype "float32" or "float64"."""

    n_inputs: int = 64
    hidden: int = 128
    code: int = 2
    activation: str = "relu"
    binary: bool = False
    loss: str = "bce"
    dtype: str = "float32"
    seed: int = 0

    def check(self) -> None:
        """Raises ValueError for sizes below 1, a code wider than the hidden layer, or unknown names."""
        if min(self.n_inputs, self.hidden, self.code) < 1:
            raise ValueError(f"every layer needs at least one unit, got D={self.n_inputs}, H={self.hidden}, "
                             f"C={self.code}")
        if self.code > self.hidden:
            raise ValueError(f"the code ({self.code} units) is wider than the hidden layers ({self.hidden})")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")


def initial_weights(cfg: AEConfig) -> dict[str, np.ndarray]:
    """The initial weights by name (``enc1.W`` (D, H), ``enc1.b`` (H,), ``code.W`` (H, C), ...).

    He normal before a ReLU-like layer, Xavier uniform otherwise; biases 0; drawn from a generator
    seeded with ``cfg.seed``, so both engines start from the same numbers.  Raises ValueError (see
    :meth:`AEConfig.check`)."""
    cfg.check()
    rng = np.random.default_rng(cfg.seed)
    relu_like = cfg.activation in ("relu", "leaky_relu")
    hidden_init = "he" if relu_like else "xavier"
    sizes = {"enc1": (cfg.n_inputs, cfg.hidden, hidden_init), "code": (cfg.hidden, cfg.code, "xavier"),
             "dec1": (cfg.code, cfg.hidden, hidden_init), "out": (cfg.hidden, cfg.n_inputs, "xavier")}
    weights = {}
    for name in LAYER_NAMES:
        fan_in, fan_out, scheme = sizes[name]
        weights[f"{name}.W"] = init_weights(scheme, fan_in, fan_out, rng, cfg.dtype)
        weights[f"{name}.b"] = np.zeros(fan_out, dtype=cfg.dtype)
    return weights


class AutoencoderNet:
    """The NumPy autoencoder (see the module docstring).  ``params``/``grads``: parallel lists in the
    order of ``names`` (for an optimizer)."""

    def __init__(self, cfg: AEConfig) -> None:
        w = initial_weights(cfg)
        self.cfg = cfg
        self.dtype = np.dtype(cfg.dtype)
        self.linears = {name: Linear(w[f"{name}.W"], w[f"{name}.b"]) for name in LAYER_NAMES}
        self.linears["enc1"].input_grad = False
        self.act_enc = make_activation(cfg.activation)
        self.act_dec = make_activation(cfg.activation)
        self.code_sigmoid = Sigmoid() if cfg.binary else None
        self.names = [f"{n}.{p}" for n in LAYER_NAMES for p in ("W", "b")]
        self.params = [p for n in LAYER_NAMES for p in self.linears[n].params]
        self.grads = [g for n in LAYER_NAMES for g in self.linears[n].grads]

    def encode(self, x: np.ndarray, noise: np.ndarray | None = None) -> np.ndarray:
        """Code (N, C) of images x (N, D); ``noise`` (N, C) is added before the code sigmoid (binary only)."""
        h = self.act_enc.forward(self.linears["enc1"].forward(x))             # (N, H)
        z = self.linears["code"].forward(h)                                   # (N, C)
        if self.code_sigmoid is None:
            return z
        if noise is not None:
            z = z + noise
        return self.code_sigmoid.forward(z)

    def decode_logits(self, code: np.ndarray) -> np.ndarray:
        """Output logits (N, D) of codes (N, C); the reconstruction is sigmoid(logits)."""
        g = self.act_dec.forward(self.linears["dec1"].forward(code))          # (N, H)
        return self.linears["out"].forward(g)                                 # (N, D)

    def forward(self, x: np.ndarray, noise: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(code (N, C), logits (N, D)) of x (N, D), caching what backward needs."""
        code = self.encode(x, noise)
        return code, self.decode_logits(code)

    def backward(self, dlogits: np.ndarray) -> None:
        """Write every parameter gradient from d loss / d logits (N, D)."""
        d = self.linears["out"].backward(dlogits)
        d = self.linears["dec1"].backward(self.act_dec.backward(d))           # (N, C)
        if self.code_sigmoid is not None:
            d = self.code_sigmoid.backward(d)                                 # the noise is additive: same gradient
        d = self.linears["code"].backward(d)                                  # (N, H)
        self.linears["enc1"].backward(self.act_enc.backward(d))

    def state(self) -> dict[str, np.ndarray]:
        """The live weight arrays by name (not copies)."""
        return dict(zip(self.names, self.params))

    def codes(self, x: np.ndarray) -> np.ndarray:
        """Deterministic codes (N, C) float64 of images x (N, D) (no code noise)."""
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            return self.encode(x).astype(np.float64)

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """Reconstructions sigmoid(logits) (N, D) float64 of inputs x (N, D)."""
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            return sigmoid(self.decode_logits(self.encode(x))).astype(np.float64)


class ReconstructionLoss:
    """The training loss of ``net`` on the NumPy engine, forward and backward: ``mse`` (the mean of
    (x′ − x)²) or ``bce`` (binary cross-entropy of the logits), averaged over all N·D pixels.

    ``loss(x_in, target, noise)`` with inputs x_in (N, D) (possibly corrupted), clean targets (N, D) and
    code noise (N, C) or None fills ``net.grads`` and returns (loss, mean squared reconstruction error) as
    floats, both measured before the update.  Raises ValueError for another loss name."""

    def __init__(self, net: AutoencoderNet, kind: str) -> None:
        if kind not in LOSSES:
            raise ValueError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")
        self.net, self.kind = net, kind
        self._out_sigmoid = Sigmoid()
        self._loss = MSE() if kind == "mse" else SigmoidBinaryCrossEntropy()

    def __call__(self, x_in: np.ndarray, target: np.ndarray, noise: np.ndarray | None) -> tuple[float, float]:
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            _, logits = self.net.forward(x_in, noise)                         # (N, D)
            if self.kind == "mse":
                recon = self._out_sigmoid.forward(logits)
                loss = mse = self._loss.forward(recon, target)
                dlogits = self._out_sigmoid.backward(self._loss.backward())
            else:
                loss = self._loss.forward(logits.reshape(-1), target.reshape(-1))
                dlogits = self._loss.backward().reshape(logits.shape)
                d = sigmoid(logits) - target
                mse = np.mean(d * d)
            self.net.backward(dlogits)
        return float(loss), float(mse)


def validation_losses(recon: np.ndarray, x: np.ndarray, kind: str) -> tuple[float, float]:
    """(loss, mean squared error) of reconstructions recon (M, D) of clean images x (M, D), both engines'
    outputs on the host: the loss is the mse, or the binary cross-entropy with recon clipped to [1e-7, 1 − 1e-7]."""
    d = recon - x
    mse = float(np.mean(d * d))
    if kind == "mse":
        return mse, mse
    r = np.clip(recon, 1e-7, 1 - 1e-7)
    return float(-np.mean(x * np.log(r) + (1 - x) * np.log1p(-r))), mse
