"""Readouts of the ``gpt`` lesson (Qt-free; torch imported inside the functions): one probe forward pass over
the prompt gives every head's attention (:func:`record_attention`) and the next-character distribution;
samples are turned into the text pieces a :class:`TextData` shows.

Sampling with a temperature follows Chollet, *Deep Learning with Python* 2e ch. 12.1; the attention pictures
follow Vig's BertViz (2019), with the decoder's causal mask drawn.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons.gpt.data import NEWLINE, visible
from visualizer.core.errors import LessonConfigError
from visualizer.core.plotdata import LINE_BREAK, AttentionData, BarsData, TextData
from visualizer.probes.attention import attention_data

TOP_BARS = 15                     # characters in the next-character bars


def pieces(text: str) -> list[str]:
    """``text`` as TextData pieces joined without a separator: runs that end after a space (so the view wraps
    between words), each line break as ``LINE_BREAK``."""
    out: list[str] = []
    for i, line in enumerate(text.split(NEWLINE)):
        if i:
            out.append(LINE_BREAK)
        run = ""
        for ch in line:
            run += ch
            if ch == " ":
                out.append(run)
                run = ""
        if run:
            out.append(run)
    return out


def parse_head(text: str, n_layers: int, n_heads: int) -> tuple[int, int]:
    """'layer,head' (0-based, as the attention view numbers and sends them; '1,2' or '1 2'; 'layer,all' for every
    head of the layer in the head view) -> (layer, head), head -1 for 'all'.  Raises LessonConfigError for
    anything else or a head this model does not have."""
    parts = str(text).replace(",", " ").split()
    try:
        layer, head = int(parts[0]), -1 if parts[1].lower() == "all" else int(parts[1])
    except (ValueError, IndexError):
        raise LessonConfigError(f"Attention head: {text!r} is not 'layer,head' (for example '0,1' or '0,all')") from None
    if len(parts) > 2 or not (0 <= layer < n_layers and -1 <= head < n_heads):
        raise LessonConfigError(f"Attention head: the model has layers 0-{n_layers - 1} with heads 0-{n_heads - 1}; "
                                f"{text!r} is not one of them")
    return layer, head


@dataclass
class Probe:
    """One forward pass over the prompt: ``record`` the :class:`AttentionRecord` (weights (L, 1, H, T, T),
    queries and keys (L, 1, H, T, d_k)) and ``probs`` (V,) float32, the next-character probabilities at the
    sampling temperature and top-k."""

    record: object
    probs: np.ndarray


def probe(model, ids: np.ndarray, temperature: float, top_k: int) -> Probe:
    """Run ``model`` (a :class:`~visualizer.models.gpt_torch.GPT`) once on the prompt ``ids`` (T,) with the
    attention recorded, in evaluation mode and without gradients (the training mode is restored)."""
    import torch

    from visualizer.models.gpt_torch import sampling_probs
    from visualizer.models.transformer_torch import record_attention

    was = model.training
    model.eval()
    try:
        x = torch.as_tensor(ids, dtype=torch.int64, device=model.tok_emb.weight.device)[None]   # (1, T)
        with torch.no_grad(), record_attention(model) as rec:
            logits, _ = model(x)                                                              # (1, T, V)
        probs = sampling_probs(logits[:, -1], temperature, top_k)[0]                          # (V,)
    finally:
        model.train(was)
    return Probe(rec, probs.float().cpu().numpy())


def attention_view(p: Probe, text: str, mode: str, layer: int, head: int, query: int, caption: str) -> AttentionData:
    """The probe's attention as causal :class:`AttentionData` (the shared
    :func:`visualizer.probes.attention.attention_data`), tokens the prompt's characters with ⏎ and ␣ visible;
    query -1 is the last character."""
    tokens = [visible(c) for c in text]
    q = query if 0 <= query < len(tokens) else len(tokens) - 1
    return attention_data(p.record, tokens, mode=mode, layer=layer, head=head, query_index=q, causal=True,
                          caption=caption)


def next_char_bars(p: Probe, chars: list[str], k: int = TOP_BARS) -> BarsData:
    """The k most likely next characters, most likely first (⏎ and ␣ visible)."""
    order = np.argsort(-p.probs, kind="stable")[:k]
    return BarsData([visible(chars[i]) for i in order], p.probs[order].astype(np.float64), y_label="probability")


def sample(model, ids: np.ndarray, n: int, temperature: float, top_k: int, seed: int) -> list[int]:
    """``n`` character ids sampled after ``ids`` (T,) with the current weights; the same seed and weights give
    the same sample (its own generator: the training stream is not touched)."""
    import torch

    dev = model.tok_emb.weight.device
    g = torch.Generator(device=dev).manual_seed(int(seed))
    x = torch.as_tensor(ids, dtype=torch.int64, device=dev)[None]
    out = model.generate(x, n, temperature, top_k, generator=g)                                 # (1, T + n)
    return out[0, len(ids):].tolist()


def sample_text(prompt: str, generated: str, temperature: float, step: int, note: str) -> TextData:
    """A prompt and its continuation as character-level :class:`TextData` (pieces joined without spaces)."""
    return TextData(pieces(prompt), pieces(generated), temperature, step, note, separator="")


def how(temperature: float, top_k: int, vocab_size: int) -> str:
    """'temperature 0.8, top-k 10' in words (greedy at 0; 'all characters' when top-k is 0 or >= V)."""
    if temperature == 0:
        return "greedy (temperature 0: always the most likely character)"
    k = f"top-k {top_k}" if 0 < top_k < vocab_size else "all characters"
    return f"temperature {temperature:g}, {k}"


def history_text(history: list[tuple[int, float | None, str]], temperature_note: str) -> TextData:
    """The samples kept at steps 100, 500, 2000, …, newest first (so the latest stays in view as the list
    grows): one block per step, a header line with the step and the validation loss then, the sample below."""
    words: list[str] = []
    for step, val, text in sorted(history, key=lambda h: -h[0]):
        loss = f", val {val:.2f} nats/char" if val is not None else " (untrained)" if step == 0 else ""
        words += [f"── step {step}{loss} ──", LINE_BREAK] + pieces(text) + [LINE_BREAK, LINE_BREAK]
    return TextData([], words[:-2], step=history[-1][0] if history else 0, note=temperature_note, separator="")
