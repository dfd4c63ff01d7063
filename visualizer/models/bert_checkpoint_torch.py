"""Load a checkpoint in the published BERT format into our :mod:`visualizer.models.bert_torch` models.

The published files (Google's BERT-base-uncased as distributed in ``pytorch_model.bin`` and
``model.safetensors``; the names Ogawa, *PyTorch advanced deep learning* ch. 8 maps by hand) name the tensors
``bert.embeddings.word_embeddings.weight``, ``bert.encoder.layer.{i}.attention.self.query.weight``,
``...attention.output.dense``, ``...attention.output.LayerNorm``, ``...intermediate.dense``, ``...output.dense``,
``...output.LayerNorm``, ``bert.pooler.dense``, ``cls.predictions.*`` (MLM head), ``cls.seq_relationship.*``
(NSP head), with or without the ``bert.`` prefix (a bare BertModel), and older files say ``gamma``/``beta``
for a LayerNorm's weight/bias.  :func:`published_to_ours` maps one name to ours.

Loading is atomic: :func:`load_bert_checkpoint` reads the whole file, maps and checks every tensor's name and
shape against the model (and that every encoder tensor is there) and only then copies them in.  A corrupt or
truncated file, an unknown name or a wrong shape raises :class:`BertCheckpointError` naming the file and the
tensor, and the model keeps its weights.  ``.safetensors`` files are read with the ``safetensors`` library,
``.bin``/``.pt``/``.pth`` files with ``torch.load(weights_only=True)``.  Imports torch: import lazily.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import torch
from torch import nn

from visualizer.core.errors import LessonConfigError
from visualizer.models.bert_torch import BertModel, encoder_of


class BertCheckpointError(LessonConfigError):
    """A BERT checkpoint that cannot be loaded (unreadable, corrupt, wrong names or shapes); the message
    names the file and the tensor.  The model it was meant for is unchanged."""


_LN = {"weight": "weight", "bias": "bias", "gamma": "weight", "beta": "bias"}
_LAYER = {
    r"attention\.self\.(query|key|value)\.(weight|bias)": lambda m: f"attn.{m[1]}.{m[2]}",
    r"attention\.output\.dense\.(weight|bias)": lambda m: f"attn.out.{m[1]}",
    r"attention\.output\.LayerNorm\.(weight|bias|gamma|beta)": lambda m: f"ln1.{_LN[m[1]]}",
    r"intermediate\.dense\.(weight|bias)": lambda m: f"ffn.fc1.{m[1]}",
    r"output\.dense\.(weight|bias)": lambda m: f"ffn.fc2.{m[1]}",
    r"output\.LayerNorm\.(weight|bias|gamma|beta)": lambda m: f"ln2.{_LN[m[1]]}",
}
_ENCODER = {
    r"embeddings\.(word|position|token_type)_embeddings\.weight": lambda m: f"embeddings.{m[1]}_embeddings.weight",
    r"embeddings\.LayerNorm\.(weight|bias|gamma|beta)": lambda m: f"embeddings.layer_norm.{_LN[m[1]]}",
    r"pooler\.dense\.(weight|bias)": lambda m: f"pooler.{m[1]}",
}
_HEADS = {
    r"cls\.predictions\.bias": lambda m: "mlm.bias",
    r"cls\.predictions\.decoder\.bias": lambda m: "mlm.bias",
    r"cls\.predictions\.transform\.dense\.(weight|bias)": lambda m: f"mlm.dense.{m[1]}",
    r"cls\.predictions\.transform\.LayerNorm\.(weight|bias|gamma|beta)": lambda m: f"mlm.layer_norm.{_LN[m[1]]}",
    r"cls\.seq_relationship\.(weight|bias)": lambda m: f"nsp.{m[1]}",
    r"classifier\.(weight|bias)": lambda m: f"classifier.{m[1]}",
}
TIED = "cls.predictions.decoder.weight"          # the MLM decoder: a copy of the word embeddings (tied)
IGNORED = re.compile(r"(bert\.)?embeddings\.position_ids")   # a buffer some files carry (0, 1, ..., 511)


def published_to_ours(name: str) -> str | None:
    """Our name for a tensor of the published format, relative to a model that holds the encoder as ``bert``
    (``"bert.encoder.blocks.3.attn.query.weight"``, ``"mlm.bias"``), or None for a name this format does not
    have.  ``"bert.encoder.layer.3.attention.self.query.weight"`` and ``"encoder.layer.3.attention.self.query.
    weight"`` map to the same name."""
    body = name[5:] if name.startswith("bert.") else name
    m = re.fullmatch(r"encoder\.layer\.(\d+)\.(.+)", body)
    if m:
        for pat, make in _LAYER.items():
            if mm := re.fullmatch(pat, m[2]):
                return f"bert.encoder.blocks.{int(m[1])}.{make(mm)}"
        return None
    for pat, make in _ENCODER.items():
        if mm := re.fullmatch(pat, body):
            return f"bert.{make(mm)}"
    if not name.startswith("bert."):
        for pat, make in _HEADS.items():
            if mm := re.fullmatch(pat, name):
                return make(mm)
    return None


@dataclass
class CheckpointReport:
    """What :func:`load_bert_checkpoint` did: ``loaded`` our parameter names filled from the file;
    ``missing_heads`` our head parameters the file did not have (they keep their weights: e.g. a new
    classifier); ``skipped`` file tensors with no place in this model (a head it lacks, the tied decoder copy,
    ``position_ids``)."""

    loaded: list[str] = field(default_factory=list)
    missing_heads: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def read_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    """Every tensor of a checkpoint file: name -> tensor (CPU).  ``.safetensors`` through the ``safetensors``
    library, anything else through ``torch.load(weights_only=True)`` (a state dict).  Raises
    BertCheckpointError for a missing, truncated or corrupt file, or one that holds no state dict."""
    path = Path(path)
    if not path.is_file():
        raise BertCheckpointError(f"The BERT weights file {path} does not exist.")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file
            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:          # noqa: BLE001 - every reader error means the same to the user: unreadable
        raise BertCheckpointError(
            f"The BERT weights file {path.name} cannot be read: it is truncated, corrupt or not a checkpoint "
            f"({type(e).__name__}: {str(e)[:200]}). Delete it and download it again.") from e
    if isinstance(state, Mapping) and "state_dict" in state and isinstance(state["state_dict"], Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise BertCheckpointError(f"The BERT weights file {path.name} holds no state dict of tensors.")
    return dict(state)


def map_checkpoint(state: Mapping[str, torch.Tensor], model: nn.Module, source: str = "checkpoint"
                   ) -> tuple[dict[str, torch.Tensor], CheckpointReport]:
    """Map and check a published-format state dict against ``model`` (a BertModel, BertForPreTraining or
    BertForSequenceClassification): (our state-dict name -> tensor, report).  Nothing is assigned.
    Raises BertCheckpointError naming the tensor for an unknown name, a shape that does not fit, a
    non-finite value, a missing encoder tensor, or a tied decoder that differs in shape from the word
    embeddings."""
    bert = encoder_of(model)
    prefix = "" if isinstance(model, BertModel) else "bert."
    ours = model.state_dict()
    out: dict[str, torch.Tensor] = {}
    report = CheckpointReport()
    for name, tensor in state.items():
        if IGNORED.fullmatch(name):
            report.skipped.append(name)
            continue
        if name == TIED:
            want = tuple(bert.embeddings.word_embeddings.weight.shape)
            if tuple(tensor.shape) != want:
                raise BertCheckpointError(f"{source}: tensor {name} has shape {tuple(tensor.shape)}, but this "
                                          f"BERT's word embeddings are {want}.")
            report.skipped.append(name)
            continue
        mapped = published_to_ours(name)
        if mapped is None:
            raise BertCheckpointError(f"{source}: tensor {name!r} is not part of the published BERT format.")
        key = mapped[5:] if prefix == "" and mapped.startswith("bert.") else mapped
        if not mapped.startswith("bert.") and prefix == "":
            report.skipped.append(name)            # a head, but this is a bare encoder
            continue
        if key not in ours:
            report.skipped.append(name)            # a head this model does not have
            continue
        if tuple(tensor.shape) != tuple(ours[key].shape):
            raise BertCheckpointError(f"{source}: tensor {name} has shape {tuple(tensor.shape)}, but this model "
                                      f"needs {tuple(ours[key].shape)} (another BERT size? check config.json).")
        if not tensor.is_floating_point() or not torch.isfinite(tensor).all():
            raise BertCheckpointError(f"{source}: tensor {name} is not finite floating-point numbers.")
        if key in out and not torch.equal(out[key], tensor):
            raise BertCheckpointError(f"{source}: tensor {name} disagrees with another tensor for {key}.")
        out[key] = tensor
    encoder_keys = [k for k in ours if k.startswith(prefix) and not k.startswith(prefix + "pooler")] \
        if prefix else [k for k in ours if not k.startswith("pooler")]
    missing = [k for k in encoder_keys if k not in out]
    if missing:
        raise BertCheckpointError(f"{source}: {len(missing)} encoder tensors are missing, e.g. {missing[0]} "
                                  "(a file of another model, or a truncated one).")
    report.loaded = sorted(out)
    report.missing_heads = sorted(k for k in ours if k not in out)
    return out, report


def load_bert_checkpoint(model: nn.Module, path: str | Path) -> CheckpointReport:
    """Read ``path`` (:func:`read_checkpoint`), check it all against ``model`` (:func:`map_checkpoint`), then
    copy the tensors in (converted to the model's dtype and device) under ``torch.no_grad``.  Returns the
    :class:`CheckpointReport`.  Raises BertCheckpointError before changing anything if any tensor does not
    fit."""
    state = read_checkpoint(path)
    mapped, report = map_checkpoint(state, model, Path(path).name)
    params = model.state_dict()
    with torch.no_grad():
        for key, tensor in mapped.items():
            params[key].copy_(tensor.to(dtype=params[key].dtype))
    return report
