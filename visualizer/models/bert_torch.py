"""BERT in plain PyTorch (Devlin et al., "BERT: Pre-training of deep bidirectional Transformers for language
understanding", 2019; Ogawa, *PyTorch advanced deep learning* ch. 8), built on the shared blocks of
:mod:`visualizer.models.transformer_torch`: a post-norm :class:`TransformerStack` with GELU and layer-norm
eps 1e-12, as the published BERT-base.

One module per idea: :class:`BertEmbeddings` (word + learned position + token type, LayerNorm, dropout),
:class:`BertModel` (embeddings, encoder, tanh pooler of [CLS]), :class:`BertMLMHead` (masked-LM head whose
decoder is tied to the word embeddings), :class:`BertForPreTraining` (MLM + next-sentence prediction) and
:class:`BertForSequenceClassification`.  The loader of the published checkpoint format (the tensor names of
bert-base-uncased's ``pytorch_model.bin`` / ``model.safetensors``) is :mod:`visualizer.models.bert_checkpoint_torch`.

B batch, T tokens, H hidden size, V vocabulary.  Imports torch: import this module lazily.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from visualizer.models.transformer_torch import StackConfig, TransformerStack, padding_mask

_INT_FIELDS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
               "max_position_embeddings", "type_vocab_size")


@dataclass(frozen=True)
class BertConfig:
    """BERT's size, with the field names of the published ``config.json`` (BERT-base-uncased: vocab 30522,
    hidden 768, 12 layers, 12 heads, intermediate 3072, 512 positions, 2 token types, eps 1e-12, dropout 0.1).
    ``pad_token_id``: the id padding uses (0 in BERT's vocab.txt and in our word vocabularies).
    Raises ValueError for a size below 1, a hidden size not divisible by the heads or a dropout outside [0, 1)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    pad_token_id: int = 0

    def __post_init__(self) -> None:
        for name in _INT_FIELDS:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"BERT config: {name} must be a positive integer, got {v!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"BERT config: hidden_size {self.hidden_size} is not a multiple of the "
                             f"{self.num_attention_heads} attention heads")
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"BERT config: {name} must be in [0, 1), got {getattr(self, name)!r}")
        if not 0.0 < self.layer_norm_eps < 1.0:
            raise ValueError(f"BERT config: layer_norm_eps must be in (0, 1), got {self.layer_norm_eps!r}")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "BertConfig":
        """The config from a parsed ``config.json``: the fields above are read, others (``architectures``,
        ``model_type``, ...) ignored.  Raises ValueError naming a missing size field, a value of the wrong type,
        a ``hidden_act`` other than gelu, or a ``model_type`` other than bert."""
        if not isinstance(d, Mapping):
            raise ValueError(f"a BERT config is a JSON object, not {type(d).__name__}")
        if d.get("model_type", "bert") != "bert":
            raise ValueError(f"the config is for a {d['model_type']!r} model, not bert")
        if d.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"BERT config: hidden_act {d['hidden_act']!r} is not supported (only gelu)")
        missing = [n for n in _INT_FIELDS if n not in d]
        if missing:
            raise ValueError(f"BERT config: missing {', '.join(missing)}")
        kw: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in d or d[f.name] is None:
                continue
            v = d[f.name]
            want = int if f.name in _INT_FIELDS or f.name == "pad_token_id" else float
            if isinstance(v, bool) or not isinstance(v, (int, float)) or (want is int and v != int(v)):
                raise ValueError(f"BERT config: {f.name} must be {'an integer' if want is int else 'a number'}, "
                                 f"got {v!r}")
            kw[f.name] = want(v)
        return cls(**kw)

    @classmethod
    def from_json(cls, path: str | Path) -> "BertConfig":
        """:meth:`from_dict` of a ``config.json`` file.  Raises ValueError for unreadable or invalid JSON."""
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"cannot read the BERT config {path}: {e}") from e
        return cls.from_dict(d)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a ``config.json``-style dict (with ``model_type`` and ``hidden_act``)."""
        return {"model_type": "bert", "hidden_act": "gelu", **asdict(self)}

    def stack(self) -> StackConfig:
        """The encoder's :class:`StackConfig`: post-norm, GELU, eps ``layer_norm_eps``.  The shared attention
        uses one dropout rate for attention weights and sublayer outputs: ``hidden_dropout_prob``."""
        return StackConfig(self.num_hidden_layers, self.hidden_size, self.num_attention_heads,
                           self.intermediate_size, dropout=self.hidden_dropout_prob, pre_norm=False,
                           activation="gelu", eps=self.layer_norm_eps)


def init_bert_weights(module: nn.Module, std: float = 0.02) -> None:
    """BERT's initialization (Devlin et al. 2019, as in the reference code): Linear and Embedding weights
    N(0, 0.02²), biases 0, LayerNorm weight 1 and bias 0.  Apply with ``model.apply(init_bert_weights)``."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, 0.0, std)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class BertEmbeddings(nn.Module):
    """Token + learned position + token-type (segment) embeddings, summed, layer-normed, dropped out
    (Devlin et al. 2019 fig. 2; Ogawa ch. 8 ``BertEmbeddings``).
    forward(input_ids (B, T) int64, token_type_ids (B, T) int64 or None = all segment 0) -> (B, T, H).
    Raises ValueError if T exceeds ``max_position_embeddings``."""

    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.hidden_size)
        self.token_type_embeddings = nn.Embedding(cfg.type_vocab_size, cfg.hidden_size)
        self.layer_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        t = input_ids.shape[1]
        if t > self.position_embeddings.num_embeddings:
            raise ValueError(f"a sequence of {t} tokens is longer than BERT's "
                             f"{self.position_embeddings.num_embeddings} positions")
        pos = torch.arange(t, device=input_ids.device)                                # (T,)
        x = self.word_embeddings(input_ids) + self.position_embeddings(pos)[None]     # (B, T, H)
        if token_type_ids is None:
            x = x + self.token_type_embeddings.weight[0]
        else:
            x = x + self.token_type_embeddings(token_type_ids)
        return self.dropout(self.layer_norm(x))                                         # (B, T, H)


class BertModel(nn.Module):
    """The BERT encoder: :class:`BertEmbeddings`, a post-norm :class:`TransformerStack` and the pooler
    ``tanh(W h_[CLS] + b)`` (Devlin et al. 2019 §3; Ogawa ch. 8 ``BertModel``).

    forward(input_ids (B, T) int64, token_type_ids (B, T) or None, attention_mask (B, T) with 1/True at real
    tokens and 0/False at padding, or None = every token that is not ``pad_token_id``) ->
    (sequence output (B, T, H), pooled output (B, H))."""

    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = TransformerStack(cfg.stack())
        self.pooler = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.apply(init_bert_weights)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if attention_mask is None:
            mask = padding_mask(input_ids, self.cfg.pad_token_id)                        # (B, 1, 1, T)
        else:
            mask = attention_mask.bool()[:, None, None, :]                               # (B, 1, 1, T)
        h = self.encoder(self.embeddings(input_ids, token_type_ids), mask)               # (B, T, H)
        pooled = torch.tanh(self.pooler(h[:, 0]))                                        # (B, H)
        return h, pooled


class BertMLMHead(nn.Module):
    """The masked-LM head: ``LayerNorm(gelu(dense(h)))`` then the decoder ``E^T`` tied to the word embeddings
    ``E`` (V, H) plus a bias (V,) (Devlin et al. 2019 §3.1 task #1; Ogawa ch. 8 ``MaskedWordPredictions``).
    forward(h (B, T, H)) -> logits (B, T, V)."""

    def __init__(self, cfg: BertConfig, word_embeddings: nn.Embedding) -> None:
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.layer_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))
        self.word_embeddings = [word_embeddings]      # a list: tied, not a second registered copy

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        x = self.layer_norm(F.gelu(self.dense(h)))                                       # (B, T, H)
        return F.linear(x, self.word_embeddings[0].weight, self.bias)                   # (B, T, V)


class BertForPreTraining(nn.Module):
    """BERT with its two pretraining heads (Devlin et al. 2019 §3.1): masked LM on every position and next
    sentence prediction (NSP, 2 classes: is B the sentence after A?) on the pooled [CLS].
    forward(input_ids (B, T), token_type_ids, attention_mask as :class:`BertModel`, mlm_positions (B, K) int64 or
    None) -> (mlm_logits (B, T, V), or (B, K, V) at ``mlm_positions`` only, nsp_logits (B, 2), sequence output
    (B, T, H)).  Scoring only the K masked positions (as the reference code's ``max_predictions_per_seq``)
    saves the (B, T, V) product that dominates a small model's step."""

    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.bert = BertModel(cfg)
        self.mlm = BertMLMHead(cfg, self.bert.embeddings.word_embeddings)
        self.nsp = nn.Linear(cfg.hidden_size, 2)
        self.mlm.apply(init_bert_weights)
        self.nsp.apply(init_bert_weights)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None, mlm_positions: torch.Tensor | None = None):
        h, pooled = self.bert(input_ids, token_type_ids, attention_mask)                 # (B, T, H), (B, H)
        picked = h if mlm_positions is None else h.gather(
            1, mlm_positions[..., None].expand(-1, -1, h.shape[-1]))                      # (B, K, H)
        return self.mlm(picked), self.nsp(pooled), h


class BertForSequenceClassification(nn.Module):
    """BERT fine-tuned for a sentence label (Devlin et al. 2019 §4.1; Ogawa ch. 8 ``BertForIMDb``): dropout
    and a linear classifier on the pooled [CLS] output.
    forward(input_ids (B, T), token_type_ids, attention_mask as :class:`BertModel`) -> logits (B, num_labels).
    Raises ValueError for fewer than 2 labels."""

    def __init__(self, cfg: BertConfig, num_labels: int = 2) -> None:
        super().__init__()
        if num_labels < 2:
            raise ValueError(f"a classifier needs at least 2 labels, got {num_labels}")
        self.cfg = cfg
        self.bert = BertModel(cfg)
        self.dropout = nn.Dropout(cfg.hidden_dropout_prob)
        self.classifier = nn.Linear(cfg.hidden_size, num_labels)
        self.classifier.apply(init_bert_weights)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        _, pooled = self.bert(input_ids, token_type_ids, attention_mask)                # (B, H)
        return self.classifier(self.dropout(pooled))                                    # (B, num_labels)


def mlm_mask(ids: torch.Tensor, maskable: torch.Tensor, *, mask_id: int, vocab_size: int,
             generator: torch.Generator | None = None, p: float = 0.15, random_low: int = 0,
             max_predictions: int | None = None):
    """BERT's masked-LM corruption (Devlin et al. 2019 §3.1 and appendix A.1): in each sequence ``round(p ·
    n)`` of its n maskable tokens (at least 1 if it has any) are chosen at random; of those, 80 % become
    [MASK], 10 % a random token from [random_low, vocab_size), 10 % stay as they are; the model must predict
    the original token at every chosen position.

    ids (B, T) int64; maskable (B, T) bool (False at [CLS], [SEP], padding, [UNK]).  K = ``max_predictions``
    (default ceil(p · T)) positions per sequence, as the reference code's fixed-size ``max_predictions_per_seq``,
    so that no step needs a host sync.  Returns (inputs (B, T) the corrupted ids, positions (B, K) int64,
    labels (B, K) the original ids there, valid (B, K) bool: False for padding entries of short sequences)."""
    b, t = ids.shape
    k = max_predictions or max(1, math.ceil(p * t))
    dev = ids.device
    scores = torch.rand(b, t, generator=generator, device=dev).masked_fill(~maskable, 2.0)   # (B, T)
    positions = scores.argsort(dim=1)[:, :k]                                                 # (B, K)
    n_real = maskable.sum(1)                                                                 # (B,)
    n_pred = torch.minimum((n_real.float() * p).round().long().clamp(min=1, max=k), n_real)
    valid = torch.arange(k, device=dev)[None] < n_pred[:, None]                              # (B, K)
    labels = ids.gather(1, positions)                                                        # (B, K)
    r = torch.rand(b, k, generator=generator, device=dev)
    random_tokens = torch.randint(random_low, vocab_size, (b, k), generator=generator, device=dev)
    new = torch.where(r < 0.8, torch.full_like(labels, mask_id), torch.where(r < 0.9, random_tokens, labels))
    inputs = ids.clone().scatter_(1, positions, torch.where(valid, new, labels))
    return inputs, positions, labels, valid


def masked_lm_scores(logits: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor):
    """(mean cross-entropy, accuracy) over the valid masked positions, as 0-d tensors (no host sync).
    logits (B, K, V), labels (B, K) int64, valid (B, K) bool (see :func:`mlm_mask`)."""
    ce = F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), reduction="none")     # (B·K,)
    w = valid.flatten().float()
    n = w.sum().clamp(min=1.0)
    acc = ((logits.argmax(-1).flatten() == labels.flatten()).float() * w).sum() / n
    return (ce * w).sum() / n, acc


def encoder_of(model: nn.Module) -> BertModel:
    """The :class:`BertModel` inside ``model`` (itself, or its ``bert``).  Raises TypeError otherwise."""
    if isinstance(model, BertModel):
        return model
    bert = getattr(model, "bert", None)
    if isinstance(bert, BertModel):
        return bert
    raise TypeError(f"{type(model).__name__} is not a BERT model")
