"""The ``bert`` lesson's readouts (Qt-free): the student's sentence checked and encoded, the MLM's top-k words for
its [MASK], the attention of every head, and one word's contextual vectors compared across sentences.

Every readout is one probe forward pass under ``torch.no_grad()`` on one sentence, in evaluation mode; the
attention is recorded with ``visualizer.models.transformer_torch.record_attention`` (never during training).
Sources: Devlin et al. 2019 (masked LM); Vig 2019 (BertViz head, model and neuron views); Ogawa, *PyTorch
advanced deep learning* ch. 8 (the same word's vectors in different sentences).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.core.plotdata import AttentionData, BarsData, MatrixData
from visualizer.data.tokenize import SPECIAL_TOKENS

MASK = "[MASK]"
EXAMPLE = "the plot was [MASK] but the acting was awful"


@dataclass
class Sentence:
    """A checked, encoded sentence: ids (T,) int64 (unpadded: [CLS] words [SEP]), tokens (T,), the index of
    each [MASK], and notices for the student (unknown words, truncation)."""

    ids: np.ndarray
    tokens: list[str]
    masks: list[int]
    notices: list[str] = field(default_factory=list)


def encode_sentence(vocab, text: str, max_len: int, need_mask: bool = True) -> Sentence:
    """Encode ``text`` with [CLS] and [SEP] for a probe.  Unknown words become [UNK] and a long text is cut to
    ``max_len`` tokens, each with a notice.  Raises LessonConfigError for an empty text, or (``need_mask``) a
    text with no [MASK] among its first ``max_len`` tokens, saying where to put one."""
    if not text or not text.strip():
        raise LessonConfigError(f"The sentence is empty: type one with {MASK} where a word should be guessed, "
                                f"e.g. '{EXAMPLE}'.")
    enc = vocab.encode(text, max_len, add_cls=True, add_sep=True)
    n = enc.length
    notices = []
    if enc.unknown:
        shown = ", ".join(dict.fromkeys(enc.unknown[:8]))
        notices.append(f"{len(enc.unknown)} word(s) are not in the vocabulary and read as [UNK]: {shown}.")
    if enc.truncated:
        notices.append(f"The sentence ({len(text):,} characters) is longer than the model's {max_len} positions: "
                       f"only its first {n - 2} tokens are read.")
    masks = [i for i, t in enumerate(enc.tokens) if t == MASK]
    if need_mask and not masks:
        where = (f"within the first {n - 2} tokens (the rest is cut off)" if enc.truncated and MASK in text
                 else "in place of the word the model should guess")
        raise LessonConfigError(f"The sentence has no {MASK}: put {MASK} {where}, e.g. '{EXAMPLE}'.")
    return Sentence(enc.ids[:n].astype(np.int64), list(enc.tokens), masks, notices)


def mlm_topk(model, sentence: Sentence, vocab, k: int, device) -> BarsData:
    """The k most probable words at the first [MASK] of ``sentence`` by ``model`` (a BertForPreTraining):
    softmax over the vocabulary, special tokens excluded.  BarsData labels "word" and probabilities in [0, 1]."""
    import torch

    ids = torch.as_tensor(sentence.ids, device=device)[None]                          # (1, T)
    pos = torch.as_tensor([[sentence.masks[0]]], device=device)                        # (1, 1)
    was = model.training
    model.eval()
    with torch.no_grad():
        logits = model(ids, mlm_positions=pos)[0][0, 0].float()                       # (V,)
        logits[[vocab.stoi[t] for t in SPECIAL_TOKENS]] = float("-inf")               # never suggest [PAD] ... [MASK]
        probs = torch.softmax(logits, -1).cpu().numpy()
    model.train(was)
    top = np.argsort(-probs)[:k]
    return BarsData([vocab.itos[i] for i in top], probs[top].astype(np.float64), "probability")


def parse_head(text: str, n_layers: int, n_heads: int) -> tuple[int, int]:
    """"layer,head" (0-based, as the attention views send it; ``visualizer.probes.attention.parse_head``) ->
    (layer, head); head -1 means all heads.  Raises LessonConfigError for other text or a head the model does
    not have."""
    from visualizer.probes.attention import parse_head as parse

    try:
        layer, head = parse(text)
    except ValueError as e:
        raise LessonConfigError(f"{str(e)[0].upper()}{str(e)[1:]}.") from None
    if not (layer < n_layers and head < n_heads):
        raise LessonConfigError(f"Attention head {text!r}: this model has layers 0-{n_layers - 1} and heads "
                                f"0-{n_heads - 1} (-1: all heads).")
    return layer, head


def parse_query(text: str, n_tokens: int) -> int:
    """The query token index for the neuron view (``visualizer.probes.attention.parse_query``), clamped into the
    sentence's tokens.  Raises LessonConfigError for text that is not a token index."""
    from visualizer.probes.attention import parse_query as parse

    try:
        i = parse(str(text).strip() or "0")
    except ValueError as e:
        raise LessonConfigError(f"{str(e)[0].upper()}{str(e)[1:]} (0 = [CLS]).") from None
    return min(i, n_tokens - 1)


def attention_data(encoder, sentence: Sentence, mode: str, layer: int, head: int, query: int, device,
                   caption: str = "") -> AttentionData:
    """Every head's attention for ``sentence`` through ``encoder`` (a BertModel), with the queries and keys
    of (layer, head) for the neuron view (head -1: those of head 0).  weights (L, H, T, T)."""
    import torch

    from visualizer.models.transformer_torch import record_attention
    from visualizer.probes.attention import attention_data as shared_attention_data

    ids = torch.as_tensor(sentence.ids, device=device)[None]                          # (1, T)
    was = encoder.training
    encoder.eval()
    with torch.no_grad(), record_attention(encoder) as rec:
        encoder(ids)
    encoder.train(was)
    return shared_attention_data(rec, sentence.tokens, mode=mode, layer=layer, head=head, query_index=query,
                                 caption=caption)


def contextual_similarity(encoder, vocab, word: str, sentences: list[str], max_len: int,
                          device) -> tuple[MatrixData, list[str]]:
    """Cosine similarity between the last-layer vectors of ``word`` (its first WordPiece piece for a subword
    vocabulary) in each sentence that contains it (its first occurrence), as Ogawa ch. 8 compares one word's BERT
    vectors in different contexts.  Returns the (S, S)
    MatrixData (levels -1..1) and notices (sentences without the word are left out).  Raises
    LessonConfigError if the word is empty or unknown, or fewer than two sentences contain it."""
    import torch

    word = word.strip().lower()
    if not word:
        raise LessonConfigError("Type the word whose contextual vectors to compare, e.g. 'good'.")
    pieces = vocab.encode(word, 8, add_cls=False).tokens
    if len(pieces) != 1 and word not in vocab.stoi and pieces:
        word = pieces[0]                                                             # a subword vocabulary
    if word not in vocab.stoi or word in SPECIAL_TOKENS:
        raise LessonConfigError(f"'{word}' is not in the model's vocabulary: choose a word of the book or the "
                                "reviews, e.g. 'good'.")
    vectors, labels, notices = [], [], []
    was = encoder.training
    encoder.eval()
    for text in sentences:
        s = encode_sentence(vocab, text, max_len, need_mask=False) if text.strip() else None
        if s is None or word not in s.tokens:
            notices.append(f"'{text.strip()[:40]}' does not contain '{word}': left out.")
            continue
        with torch.no_grad():
            h, _ = encoder(torch.as_tensor(s.ids, device=device)[None])                  # (1, T, H)
        vectors.append(h[0, s.tokens.index(word)].float().cpu().numpy())
        short = f"S{len(labels) + 1} " + " ".join(s.tokens[1:-1])
        labels.append(short if len(short) <= 16 else short[:15] + "…")          # room for the cells at 1280 px
    encoder.train(was)
    if len(vectors) < 2:
        raise LessonConfigError(f"Fewer than two sentences contain '{word}': separate sentences with '|' and "
                                "use the word in at least two.")
    v = np.stack(vectors)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    cols = [lab.split(" ", 1)[0] for lab in labels]                                   # S1, S2, ...: short columns
    return MatrixData((v @ v.T).astype(np.float64), labels, cols, "sentence", "sentence", "viridis", "{:.2f}",
                      (-1.0, 1.0)), notices
