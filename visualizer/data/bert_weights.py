"""BERT-base-uncased (Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding", NAACL 2019) in its published format: checksummed, cached downloads from the Hugging Face hub.

Ogawa, *PyTorch advanced deep learning* ch. 8, loads Google's pretrained BERT-base into a BERT written by hand
and fine-tunes it on IMDb; this module fetches the same files:

    config.json          the architecture (hidden_size 768, 12 layers, 12 heads, ...), read by
                         :func:`read_bert_config`
    vocab.txt            the WordPiece vocabulary, one token per line (30,522 lines; ids are line numbers),
                         read by :class:`visualizer.data.wordpiece.WordPieceTokenizer.from_vocab`
    model.safetensors    the weights (safetensors), or pytorch_model.bin (a torch zip checkpoint, as the book
                         uses); the state-dict names are those of ``transformers``' ``BertForPreTraining``

from the repository ``google-bert/bert-base-uncased`` at a pinned revision (then ``main`` as a second
address; the checksum decides).  Every file has a published sha256: the hub lists it for the two weights files
(their Git LFS pointers' ``oid``) and, for the two small files, the same digests are pinned by independent
public projects; the config's digest was also re-derived here by writing the published JSON out.  The
downloads go through :func:`visualizer.data.download.fetch` (pooch: stream to a temporary file, check the
hash, then move into the cache; a cached file is re-hashed on each use), so an interrupted or damaged download
never reaches the model.  Offline, or on a mismatch, :class:`~visualizer.data.download.DownloadError` says
so; lessons then fall back to their small model with a notice.  Qt-free and torch-free.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from visualizer.core.errors import LessonConfigError
from visualizer.data.download import DownloadError, ProgressCallback, cache_dir, fetch
from visualizer.data.text_file import read_bytes

BERT_REPO = "google-bert/bert-base-uncased"
# The hub commit whose files the digests below describe (the snapshot of ``main`` that public scripts pin).
BERT_REVISION = "86b5e0934494bd15c9632b12f734a8a67f723594"
BERT_MIRRORS = (f"https://huggingface.co/{BERT_REPO}/resolve/{BERT_REVISION}/",
                f"https://huggingface.co/{BERT_REPO}/resolve/main/")


@dataclass(frozen=True)
class PublishedFile:
    """One file of the hub repository: its name, ``"sha256:..."`` and size in bytes (for messages)."""

    filename: str
    known_hash: str
    size: int


# Sources of the digests (sha256 of the whole file):
# - model.safetensors, pytorch_model.bin: the hub's Git LFS pointers (``lfs.oid`` in the hub's file listing,
#   as huggingface_hub's ``model_info(..., files_metadata=True)`` reports them; also pinned with these sizes by
#   huggingface.js's tests and several public download scripts).
# - config.json: pinned by public download scripts for this revision; re-derived here: the published JSON
#   (transformers 4.6's ``to_json_string``: sorted keys, indent 2, final newline; 570 bytes) hashes to it.
# - vocab.txt: pinned by public download scripts for this revision (231,508 bytes; the same uncased vocabulary
#   ships with MobileBERT and all-MiniLM-L6-v2 under the same digest).
BERT_FILES = {
    "config": PublishedFile("config.json",
                            "sha256:7160e1553ad2ca51d8c1cb066be533db31826e12d173824c1bb0cb1a4f187d20", 570),
    "vocab": PublishedFile("vocab.txt",
                           "sha256:07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", 231_508),
    "safetensors": PublishedFile("model.safetensors",
                                 "sha256:68d45e234eb4a928074dfd868cead0219ab85354cc53d20e772753c6bb9169d3",
                                 440_449_768),
    "pytorch": PublishedFile("pytorch_model.bin",
                             "sha256:097417381d6c7230bd9e3557456d726de6e83245ec8b24f529f60198a67b203a",
                             440_473_133),
}
WEIGHT_FORMATS = ("safetensors", "pytorch")

# The keys every BERT config.json carries (transformers' BertConfig), with the type each must have.
CONFIG_INT_KEYS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size",
                   "max_position_embeddings", "type_vocab_size")
CONFIG_KEYS = CONFIG_INT_KEYS + ("layer_norm_eps", "hidden_act")
MAX_CONFIG_BYTES = 1 << 20                     # a config.json is a few hundred bytes


@dataclass(frozen=True)
class BertFiles:
    """The local paths of one BERT checkpoint in the published format: ``config`` (config.json), ``vocab``
    (vocab.txt) and ``weights`` (model.safetensors or pytorch_model.bin; ``weights.suffix`` tells which)."""

    config: Path
    vocab: Path
    weights: Path

    @property
    def weights_format(self) -> str:
        """"safetensors" for a ``.safetensors`` file, else "pytorch" (a ``torch.save`` checkpoint)."""
        return "safetensors" if self.weights.suffix == ".safetensors" else "pytorch"


def bert_folder() -> Path:
    """Where the BERT-base-uncased files are kept: ``<cache>/bert-base-uncased`` (see
    :func:`visualizer.data.download.cache_dir`; ``$DLVIS_CACHE_DIR`` moves it)."""
    return cache_dir() / "bert-base-uncased"


def _check_format(weights: str) -> None:
    if weights not in WEIGHT_FORMATS:
        raise ValueError(f"BERT weights format must be one of {', '.join(WEIGHT_FORMATS)}, got {weights!r}")


def bert_base_present(weights: str = "safetensors") -> bool:
    """True when the config, the vocabulary and the weights file (``weights``: "safetensors" or "pytorch") are
    all in :func:`bert_folder` with their published sizes.  Never downloads and does not hash (cheap enough for
    a lesson to decide whether to offer the real model); :func:`fetch_bert_base` checks the digests."""
    _check_format(weights)
    folder = bert_folder()
    for key in ("config", "vocab", weights):
        path = folder / BERT_FILES[key].filename
        if not path.is_file() or path.stat().st_size != BERT_FILES[key].size:
            return False
    return True


def fetch_bert_base(progress: ProgressCallback | None = None, weights: str = "safetensors",
                    timeout: float = 30.0) -> BertFiles:
    """The BERT-base-uncased files, downloaded once into :func:`bert_folder` and found there afterwards.

    weights: "safetensors" (model.safetensors, 440 MB, read without pickle) or "pytorch" (pytorch_model.bin,
    440 MB, the format of the book ch. 8); progress: ``callback(message, fraction)``; timeout: seconds to wait
    for the server to connect and for each chunk.  Each file's sha256 is checked (cached ones too) before its
    path is returned; the small files come first, so an offline attempt fails in a second.

    Raises ValueError for another ``weights``, and DownloadError (offline, HTTP error, checksum mismatch,
    unwritable cache) naming the file; a failed download leaves no partial file in the cache."""
    _check_format(weights)
    folder = bert_folder()
    paths = {}
    for key in ("config", "vocab", weights):
        spec = BERT_FILES[key]
        label = f"BERT-base {spec.filename}" + (f" (about {spec.size / 1e6:,.0f} MB)" if spec.size > 1e7 else "")
        paths[key] = fetch(spec.filename, spec.known_hash, BERT_MIRRORS, folder, progress=progress, label=label,
                           timeout=timeout)
    return BertFiles(config=paths["config"], vocab=paths["vocab"], weights=paths[weights])


def read_bert_config(path: Path | str) -> dict:
    """The architecture in a BERT ``config.json`` (the published format of ``transformers``' BertConfig) as a
    dict, after checking the keys a BERT needs:

    - positive ints: hidden_size, num_hidden_layers, num_attention_heads (dividing hidden_size),
      intermediate_size, vocab_size, max_position_embeddings, type_vocab_size;
    - layer_norm_eps: a positive finite number (1e-12 in BERT-base);
    - hidden_act: a string ("gelu" in BERT-base).

    Every other key of the file is kept as it is (dropout rates, pad_token_id, model_type, ...).  BERT-base
    gives hidden_size 768, 12 layers, 12 heads, intermediate_size 3072, vocab_size 30522, 512 positions, 2
    token types.

    Raises LessonConfigError (a ValueError) naming the file when it is missing, unreadable, larger than 1 MB,
    not JSON (with
    the line), not a JSON object, lacks a key, or holds a value of the wrong type or range."""
    path = Path(path).expanduser()
    raw = read_bytes(path, MAX_CONFIG_BYTES, "BERT config")
    try:
        config = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise LessonConfigError(f"The BERT config {path.name} is not UTF-8 text (damaged?).") from None
    except json.JSONDecodeError as e:
        raise LessonConfigError(f"The BERT config {path.name} is not valid JSON (line {e.lineno}, column "
                                f"{e.colno}: {e.msg}); download it again.") from None
    if not isinstance(config, dict):
        raise LessonConfigError(f"The BERT config {path.name} holds a JSON {type(config).__name__}, not an "
                                "object of settings.")
    missing = [k for k in CONFIG_KEYS if k not in config]
    if missing:
        raise LessonConfigError(f"The BERT config {path.name} lacks {', '.join(missing)} (is it a BERT "
                                "config.json?).")
    for key in CONFIG_INT_KEYS:
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise LessonConfigError(f"The BERT config {path.name} gives {key} = {value!r}; it must be a "
                                    "positive whole number.")
    eps = config["layer_norm_eps"]
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps) or eps <= 0:
        raise LessonConfigError(f"The BERT config {path.name} gives layer_norm_eps = {eps!r}; it must be a "
                                "small positive number (1e-12 in BERT-base).")
    if not isinstance(config["hidden_act"], str) or not config["hidden_act"]:
        raise LessonConfigError(f"The BERT config {path.name} gives hidden_act = {config['hidden_act']!r}; it "
                                "must name an activation (\"gelu\" in BERT-base).")
    if config["hidden_size"] % config["num_attention_heads"]:
        raise LessonConfigError(f"The BERT config {path.name} gives hidden_size {config['hidden_size']}, which "
                                f"{config['num_attention_heads']} attention heads do not divide.")
    return config


__all__ = ["BERT_FILES", "BERT_MIRRORS", "BERT_REVISION", "BertFiles", "DownloadError", "PublishedFile",
           "bert_base_present", "bert_folder", "fetch_bert_base", "read_bert_config"]
