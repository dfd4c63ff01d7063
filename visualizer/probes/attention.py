"""Attention readouts: a recorded forward pass turned into the data of the attention pictures (Qt-free, no torch
import: the recorded tensors are read through ``np.asarray``).

- :func:`attention_data`: an :class:`~visualizer.models.transformer_torch.AttentionRecord` and the tokens of
  one batch item -> :class:`~visualizer.core.plotdata.AttentionData` for the head, model or neuron view
  (BertViz, Vig 2019);
- :func:`truncate_tokens`: the first 128 tokens and a notice for a longer input (long inputs are cut, never
  frozen on);
- :func:`cls_highlight`: the book's highlight of the words a classifier's [CLS] token attends to in the last
  layer (Ogawa, *PyTorch advanced deep learning*, ch. 7) -> :class:`~visualizer.core.plotdata.HighlightedTextData`;
- :func:`parse_head` / :func:`parse_query`: the values of the lesson parameters ``attention_head`` ("l,h") and
  ``attention_query`` ("i") that the attention view's clicks emit;
- :func:`head_tables` / :func:`write_head_csvs`: the weights as one CSV per (layer, head), a T x S matrix with
  the tokens as row and column headers.

Typical use in a lesson's snapshot (a probe forward on ONE sentence at the redraw rate, never a training step)::

    with torch.no_grad(), record_attention(model) as rec:
        model(ids[None])
    tokens, notice = truncate_tokens(tokens)
    data = attention_data(rec, tokens, mode="head", layer=l, head=h, caption=notice)
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from visualizer.core.plotdata import AttentionData, HighlightedTextData, Table

MAX_TOKENS = 128                          # the attention views show at most this many tokens
SPECIAL_TOKENS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]")   # not highlighted by :func:`cls_highlight`


def truncate_tokens(tokens: Sequence[str], max_tokens: int = MAX_TOKENS) -> tuple[list[str], str]:
    """The first ``max_tokens`` of ``tokens`` and a notice ("" when nothing was cut), e.g. "showing the first
    128 of 10000 tokens".  Raises ValueError if ``max_tokens`` < 1."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    tokens = [str(t) for t in tokens]
    if len(tokens) <= max_tokens:
        return tokens, ""
    return tokens[:max_tokens], f"showing the first {max_tokens} of {len(tokens)} tokens"


def parse_head(text: str) -> tuple[int, int]:
    """The value of the ``attention_head`` parameter ("l,h", as the attention view's clicks emit it; "l,-1" is
    every head of layer l in the head view) -> (layer, head).  Raises ValueError with a message for the user."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        layer, head = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"attention head must be 'layer,head' (e.g. '1,2'), not {text!r}") from None
    if layer < 0 or head < -1:
        raise ValueError(f"attention head {text!r}: the layer must be >= 0 and the head >= 0 (or -1 for all)")
    return layer, head


def parse_query(text: str) -> int:
    """The value of the ``attention_query`` parameter (a token index "i") -> i.  Raises ValueError."""
    try:
        i = int(str(text).strip())
    except ValueError:
        raise ValueError(f"attention query must be a token index (e.g. '3'), not {text!r}") from None
    if i < 0:
        raise ValueError(f"attention query must be >= 0, not {i}")
    return i


def _array(x, name: str) -> np.ndarray:
    if x is None:
        raise ValueError(f"the attention record has no {name}: was a forward pass run inside record_attention?")
    if hasattr(x, "detach"):              # a torch tensor (CPU, as record_attention stores it)
        x = x.detach()
    return np.asarray(x, dtype=np.float32)  # a view: callers copy the slice they keep


def attention_data(record, tokens: Sequence[str], *, batch: int = 0, key_tokens: Sequence[str] = (),
                   mode: str = "head", layer: int = 0, head: int = 0, query_index: int = 0, causal: bool = False,
                   caption: str = "", max_tokens: int = MAX_TOKENS) -> AttentionData:
    """The attention of batch item ``batch`` of ``record`` as :class:`AttentionData`.

    record: an ``AttentionRecord`` (weights (L, B, H, T, S), queries (L, B, H, T, d_k), keys (L, B, H, S, d_k))
    or any object with those arrays; tokens: the item's real query tokens, T' <= T (padding after them is cut
    off; for self-attention the keys are cut the same way); key_tokens: the key tokens of cross-attention (()
    for self-attention).  More than ``max_tokens`` tokens are cut to the first ``max_tokens`` (the weights
    too) and the caption says so.  mode, layer, head (-1: every head, head view only), query_index, causal,
    caption: as in :class:`AttentionData`.  The arrays are copies of the item's slices (the record may be reused).
    The queries and keys of the selected head are included for the neuron view (of head 0 when ``head`` is -1).
    Layer, head and query index out of range are clamped (a lesson's control may outlive a smaller model).
    Raises ValueError when the record is empty, ``batch`` is outside it, or there are more tokens than
    positions."""
    weights = _array(record.weights, "weights")
    if weights.ndim != 5:
        raise ValueError(f"record.weights must be (layers, batch, heads, T, S), got {weights.shape}")
    n_layers, n_batch, n_heads, t_all, s_all = weights.shape
    if not 0 <= batch < n_batch:
        raise ValueError(f"batch item {batch} is outside the recorded batch of {n_batch}")
    tokens = [str(t) for t in tokens]
    keys = [str(t) for t in key_tokens] if len(key_tokens) else None
    if len(tokens) > t_all or (keys is not None and len(keys) > s_all):
        raise ValueError(f"{len(tokens)} tokens but the record has {t_all} query positions"
                         + (f" and {s_all} key positions for {len(keys)} key tokens" if keys is not None else ""))
    notices = []
    tokens, cut = truncate_tokens(tokens, max_tokens)
    if cut:
        notices.append(cut)
    if keys is not None:
        keys, cut_k = truncate_tokens(keys, max_tokens)
        if cut_k:
            notices.append(f"keys: {cut_k}")
    t = len(tokens)
    s = len(keys) if keys is not None else t
    w = np.array(weights[:, batch, :, :t, :s], dtype=np.float32)          # (L, H, T', S'), a copy of its own
    layer = int(np.clip(layer, 0, n_layers - 1))
    head = -1 if head < 0 and mode == "head" else int(np.clip(head, 0, n_heads - 1))
    query_index = int(np.clip(query_index, 0, max(t - 1, 0)))
    queries = keys_arr = None
    if record.queries is not None and record.keys is not None:
        hq = max(head, 0)
        queries = np.array(_array(record.queries, "queries")[layer, batch, hq, :t])   # (T', d_k)
        keys_arr = np.array(_array(record.keys, "keys")[layer, batch, hq, :s])        # (S', d_k)
    text = " · ".join(x for x in [caption, *notices] if x)
    return AttentionData(tokens=tokens, weights=w, key_tokens=keys or (), mode=mode,
                         layer=layer, head=head, queries=queries, keys=keys_arr, query_index=query_index,
                         causal=causal, caption=text)


def cls_scores(weights: np.ndarray, tokens: Sequence[str], *, layer: int = -1, head: int | None = None,
               query: int = 0, skip: Sequence[str] = SPECIAL_TOKENS) -> np.ndarray:
    """How much query ``query`` (the [CLS] token, position 0) attends to each token, scaled so the largest is 1
    (the book's highlight, Ogawa ch. 7).

    weights: (L, H, T, S) of one input; tokens: its S' <= S real key tokens; layer: which layer (-1 the last);
    head: one head, or None for the mean over the heads.  Tokens in ``skip`` ([CLS], [SEP], [PAD], [MASK]) get 0
    and do not set the scale.  Returns (S',) float32 in [0, 1] (all 0 when no token has weight).
    Raises ValueError for a layer, head or query outside the weights or more tokens than keys."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 4:
        raise ValueError(f"weights must be (layers, heads, T, S), got {w.shape}")
    L, H, T, S = w.shape
    if not -L <= layer < L or (head is not None and not 0 <= head < H) or not 0 <= query < T:
        raise ValueError(f"layer {layer}, head {head}, query {query} outside weights of shape {w.shape}")
    if len(tokens) > S:
        raise ValueError(f"{len(tokens)} tokens but only {S} keys")
    row = w[layer, :, query, :len(tokens)]                                  # (H, S')
    row = row.mean(axis=0) if head is None else row[head]
    row = np.where(np.isfinite(row), np.clip(row, 0.0, None), 0.0)
    row[[str(t) in skip for t in tokens]] = 0.0
    top = row.max() if row.size else 0.0
    return (row / top if top > 0 else row).astype(np.float32)


def cls_highlight(weights: Sequence[np.ndarray], sentences: Sequence[Sequence[str]], labels: Sequence[str] = (),
                  correct: Sequence[bool] = (), *, layer: int = -1, head: int | None = None, query: int = 0,
                  caption: str = "") -> HighlightedTextData:
    """The book's highlight (Ogawa ch. 7) of several sentences: ``weights[n]`` (L, H, T, S) of sentence n (e.g.
    ``record.weights[:, n]`` of a recorded batch), ``sentences[n]`` its real tokens; scores by
    :func:`cls_scores` (``layer`` -1 the last; ``head`` None the mean over heads).  labels / correct: a text and
    a verdict per sentence (() for none).  Raises ValueError as :func:`cls_scores` and when the counts differ."""
    if len(weights) != len(sentences):
        raise ValueError(f"{len(weights)} weight arrays for {len(sentences)} sentences")
    scores = [cls_scores(np.asarray(w), toks, layer=layer, head=head, query=query)
              for w, toks in zip(weights, sentences)]
    which = "mean over heads" if head is None else f"head {head}"
    note = f"[CLS] attention, {'last layer' if layer == -1 else f'layer {layer}'}, {which}; deeper colour = more"
    return HighlightedTextData([[str(t) for t in s] for s in sentences], scores, labels=list(labels),
                               correct=list(correct), caption=" · ".join(x for x in (caption, note) if x))


def head_tables(data: AttentionData) -> dict[tuple[int, int], Table]:
    """One table per (layer, head): header ``["query \\ key", key tokens...]`` and a row per query token
    (its text, then its S weights): the issue's "attention weights as CSV per layer and head"."""
    w = np.asarray(data.weights, dtype=np.float64)
    header = ["query \\ key", *[str(k) for k in data.keys_text]]
    return {(l, h): (header, [[str(q), *map(float, w[l, h, i])] for i, q in enumerate(data.tokens)])
            for l in range(w.shape[0]) for h in range(w.shape[1])}


def write_head_csvs(data: AttentionData, folder: Path | str, stem: str = "attention") -> list[Path]:
    """Write :func:`head_tables` as ``<stem>_layer<l>_head<h>.csv`` into ``folder`` (created); returns the
    paths.  Raises ExportError (visualizer.core.export) when a file cannot be written."""
    from visualizer.core.export import write_csv

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for (l, h), table in head_tables(data).items():
        path = folder / f"{stem}_layer{l}_head{h}.csv"
        write_csv(table, path)
        paths.append(path)
    return paths
