"""The ``bert`` lesson's real path (Qt-free): Google's BERT-base-uncased in the published format, fetched by
``visualizer.data.bert_weights`` (checksummed, cached), its vocab.txt read by ``visualizer.data.wordpiece`` and its
weights loaded into our BERT by ``visualizer.models.bert_checkpoint_torch`` (Ogawa ch. 8 does the same by hand).
Anything that fails (offline, a damaged file) becomes a notice and the small BERT stands in."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from visualizer.core.errors import LessonConfigError


@dataclass
class BertBase:
    """The opened files: ``vocab`` a WordPieceTokenizer, ``config`` the checked config.json as a dict, ``weights``
    the weights file's path."""

    vocab: object
    config: dict
    weights: Path


def open_bert_base(context) -> BertBase | None:
    """Fetch (or find) BERT-base-uncased and read its vocabulary and config; None, after a notice saying why and
    what stands in, when that fails."""
    from visualizer.data.bert_weights import fetch_bert_base, read_bert_config
    from visualizer.data.wordpiece import WordPieceTokenizer

    try:
        files = fetch_bert_base(progress=context.progress)
        return BertBase(WordPieceTokenizer.from_vocab(files.vocab), read_bert_config(files.config), files.weights)
    except (OSError, ValueError) as e:           # DownloadError is an OSError; LessonConfigError a ValueError
        context.notice(f"BERT-base is not available ({e}). Using the small BERT trained here instead.")
        context.substituted("variant", "the small BERT trained here")
        return None


def pretrained_bert(base: BertBase, context):
    """Our BertForPreTraining of BERT-base's config with the published weights loaded (checked first), or None
    after a notice when the config or the weights file is damaged or does not fit."""
    from visualizer.models.bert_checkpoint_torch import load_bert_checkpoint
    from visualizer.models.bert_torch import BertConfig, BertForPreTraining

    try:
        model = BertForPreTraining(BertConfig.from_dict(base.config))
        report = load_bert_checkpoint(model, base.weights)
    except (LessonConfigError, ValueError) as e:
        context.notice(f"{e} The lesson goes on with the small BERT.")
        context.substituted("variant", "the small BERT trained here")
        return None
    context.notice(f"BERT-base loaded into this lesson's BERT ({len(report.loaded)} tensors). It is pretrained "
                   "already: the two twins fine-tune from step 1, which is slow on a CPU (use CUDA).")
    return model
