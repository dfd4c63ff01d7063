"""Feature visualization by gradient ascent in the input, one step at a time: the pattern one filter responds to
most, and DeepDream.  Qt-free; imports torch inside the methods.

Filters (Erhan et al. 2009; Chollet, *Deep Learning with Python* 2e, ch. 9.4.2): start from a grey image with a
little noise and climb the gradient of the filter's mean activation (the border trimmed, as Chollet does), with
the gradient normalized so a step is in pixel units.  Two regularizers from Mordvintsev, Olah & Tyka's
"Inceptionism" (2015) and Olah et al.'s "Feature Visualization" (Distill 2017), which Chollet's DeepDream uses
too: *jitter* (the image is shifted by a random few pixels before each step, so no pixel pattern tied to the
grid survives) and *octaves* (start small, enlarge by ``octave_scale`` every few steps, so coarse structure forms
first).  DeepDream (Chollet 2e, ch. 12.2): the same ascent on a photo, maximizing the L2 norm of several layers'
activations, octave by octave, putting back at each enlargement the detail that shrinking the photo lost.

The classes keep the image between calls: :meth:`step` is one gradient-ascent step, so a lesson can advance the
picture while the learner watches.
"""
from __future__ import annotations

import numpy as np


def octave_sizes(size: int, octaves: int, scale: float, smallest: int = 8) -> list[int]:
    """Image sides from the smallest octave to ``size``: size / scale^(octaves-1), ..., size (none below
    ``smallest``)."""
    sizes = [max(smallest, round(size / scale ** i)) for i in range(octaves)][::-1]
    return sorted(set(sizes))


def _resize(img, side: int):
    import torch.nn.functional as F
    return F.interpolate(img, size=(side, side), mode="bilinear", align_corners=False)


class _Stop(Exception):
    """Raised by a hook to end a forward pass once the layers needed have run."""


def layer_outputs(model, layers, x) -> list:
    """The outputs of ``layers`` (modules) when the model runs on x, in the order they run; the forward pass stops
    after the last of them, so the layers above (a classifier that wants one input size) never run."""
    store: list = []
    want = len(layers)

    def hook(_m, _i, out):
        store.append(out)
        if len(store) == want:
            raise _Stop

    handles = [m.register_forward_hook(hook) for m in layers]
    try:
        model(x)
    except _Stop:
        pass
    finally:
        for h in handles:
            h.remove()
    return store


def layer_output(model, layer, x):
    """The output of ``layer`` when the model runs on x (the rest of the forward pass is skipped)."""
    return layer_outputs(model, [layer], x)[0]


class _Ascent:
    """The shared machinery: an image (1, C, s, s) in [0, 1] growing through octaves, jittered steps."""

    def __init__(self, model, start: np.ndarray, size: int, octaves: int, octave_scale: float,
                 steps_per_octave: int, step_size: float, jitter: int, seed: int) -> None:
        import torch

        self.model = model
        self.sizes = octave_sizes(size, octaves, octave_scale)
        self.steps_per_octave = int(steps_per_octave)
        self.step_size, self.jitter = float(step_size), int(jitter)
        self.seed = int(seed)
        self.steps = 0
        self.octave = 0
        self.original = torch.as_tensor(np.asarray(start, np.float32))[None]         # (1, C, S0, S0)
        self.image = _resize(self.original, self.sizes[0]).clamp(0, 1)             # (1, C, s, s)
        self.value = float("nan")

    def objective(self, x):                    # subclasses: a scalar to maximize
        raise NotImplementedError

    def _grow(self) -> None:
        self.octave += 1
        self.image = _resize(self.image, self.sizes[self.octave]).clamp(0, 1)

    def step(self) -> float:
        """One gradient-ascent step (moving to the next octave first when this one's steps are done).
        Returns the objective before the step."""
        import torch

        if self.steps and self.steps % self.steps_per_octave == 0 and self.octave + 1 < len(self.sizes):
            self._grow()
        rng = np.random.default_rng([self.seed, self.steps])             # the shift depends on the step alone
        dx, dy = (rng.integers(-self.jitter, self.jitter + 1, 2) if self.jitter else (0, 0))
        x = torch.roll(self.image, shifts=(int(dy), int(dx)), dims=(2, 3)).requires_grad_(True)
        with torch.enable_grad():
            value = self.objective(x)
            (g,) = torch.autograd.grad(value, x)
        g = torch.roll(g, shifts=(-int(dy), -int(dx)), dims=(2, 3))
        g = g / (g.pow(2).mean().sqrt() + 1e-8)                    # unit RMS: the step is in pixel units
        self.image = (self.image + self.step_size * g).clamp(0, 1).detach()
        self.steps += 1
        self.value = float(value.detach())
        return self.value

    def state_arrays(self) -> dict[str, np.ndarray]:
        """What a checkpoint needs to go on exactly: "image" (1, C, S, S) float32 (the current octave's image in
        its top-left corner, zeros elsewhere), "steps" and "octave" () int64."""
        full = np.zeros((1, self.image.shape[1], self.sizes[-1], self.sizes[-1]), np.float32)
        s = self.image.shape[-1]
        full[..., :s, :s] = self.image.numpy()
        return {"image": full, "steps": np.array(self.steps, np.int64), "octave": np.array(self.octave, np.int64)}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_arrays` (checked by the caller for names, shapes and finite values).  Raises
        ValueError for an octave outside this ascent's octaves (nothing changes then)."""
        import torch

        octave = int(arrays["octave"])
        if not 0 <= octave < len(self.sizes):
            raise ValueError(f"octave {octave} outside 0..{len(self.sizes) - 1}")
        s = self.sizes[octave]
        self.image = torch.as_tensor(np.array(arrays["image"][..., :s, :s], np.float32)).clamp(0, 1)
        self.steps, self.octave, self.value = int(arrays["steps"]), octave, float("nan")

    def picture(self, side: int | None = None) -> np.ndarray:
        """The current image as (H, W, C) float32 in [0, 1], enlarged (bilinear) to ``side`` if given."""
        img = self.image if side is None else _resize(self.image, side)
        return img[0].permute(1, 2, 0).clamp(0, 1).numpy().astype(np.float32)


class FilterAscent(_Ascent):
    """The input that excites filter ``channel`` of ``layer`` most (Chollet 2e, 9.4.2, with jitter and octaves).

    model: torch classifier taking (1, C, S, S) in [0, 1]; layer: the module whose output (1, K, h, w) holds the
    filter; size: the final image side; channels: C.  Raises ValueError for a channel the layer does not have
    (checked on the first step)."""

    def __init__(self, model, layer, channel: int, *, size: int, channels: int = 3, octaves: int = 3,
                 octave_scale: float = 1.4, steps_per_octave: int = 20, step_size: float = 0.02,
                 jitter: int = 2, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        start = (0.5 + 0.05 * rng.standard_normal((channels, size, size))).astype(np.float32)   # grey + noise
        super().__init__(model, start, size, octaves, octave_scale, steps_per_octave, step_size, jitter, seed)
        self.layer, self.channel = layer, int(channel)

    def objective(self, x):
        a = layer_output(self.model, self.layer, x)                   # (1, K, h, w)
        if not 0 <= self.channel < a.shape[1]:
            raise ValueError(f"channel {self.channel} does not exist: the layer has {a.shape[1]} filters")
        h, w = a.shape[-2:]
        b = 1 if min(h, w) > 4 else 0                                # trim the border, as Chollet does
        return a[0, self.channel, b:h - b, b:w - b].mean()


class DeepDream(_Ascent):
    """DeepDream (Chollet 2e, 12.2): maximize Σ_l ‖a_l(x)‖² / size(a_l) over ``layers`` (modules) starting from
    ``image`` (C, S, S) in [0, 1], octave by octave; at each enlargement the detail lost by shrinking the original
    is put back.  Raises ValueError for an empty layer list."""

    def __init__(self, model, layers, image: np.ndarray, *, size: int, octaves: int = 3, octave_scale: float = 1.4,
                 steps_per_octave: int = 20, step_size: float = 0.01, jitter: int = 1, seed: int = 0) -> None:
        if not layers:
            raise ValueError("DeepDream needs at least one layer to amplify")
        import torch
        start = _resize(torch.as_tensor(np.asarray(image, np.float32))[None], size)[0].numpy()
        super().__init__(model, start, size, octaves, octave_scale, steps_per_octave, step_size, jitter, seed)
        self.layers = list(layers)

    def _grow(self) -> None:
        small = _resize(self.original, self.sizes[self.octave])
        lost = _resize(self.original, self.sizes[self.octave + 1]) - _resize(small, self.sizes[self.octave + 1])
        super()._grow()
        self.image = (self.image + lost).clamp(0, 1)

    @property
    def done(self) -> bool:
        """True once every octave has had its steps: further steps leave the dream as it is."""
        return self.steps >= len(self.sizes) * self.steps_per_octave

    def step(self) -> float:
        """One ascent step, or none once :attr:`done` (the objective is still returned)."""
        if not self.done:
            return super().step()
        import torch
        with torch.no_grad():
            self.value = float(self.objective(self.image))
        return self.value

    def objective(self, x):
        import torch

        return torch.stack([a.pow(2).mean() for a in layer_outputs(self.model, self.layers, x)]).sum()
