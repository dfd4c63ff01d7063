"""Lesson ``transformer``: a Transformer encoder classifies generated movie reviews (Qt-free; torch on the
build path only).

Ogawa, *PyTorch advanced deep learning* ch. 7: token embeddings plus a positional encoding, post-norm
Transformer blocks whose self-attention skips the padding, and a linear head on the [CLS] token
(``visualizer.models.text_classifier_torch``), trained with Adam on the generated sentiment corpus
(``visualizer.data.sentiment``), where negation and "the second clause of a contrast wins" defeat a bag of words
(its accuracy is drawn as the reference), or on IMDb (``dataset``: downloaded once, or the user's aclImdb
folder; reviews cut to 256 tokens, as in the book).  Views: loss and accuracy, BertViz's head and model views of a
sentence the student types (a probe forward under ``record_attention`` at the redraw rate), the book's
highlight of the words [CLS] attends to, the positional-encoding matrix, the embedding projector, accuracy
per phenomenon and the validation reviews it gets wrong.
"""
from __future__ import annotations

import numpy as np

from lessons.transformer import INFO
from lessons.transformer.data import LABELS, build_data, encode_sentence
from lessons.transformer.narrative import NARRATIVE
from lessons.transformer.pictures import (mistakes_picture, phenomenon_table, positional_picture,
                                          projector_picture, sentence_bars, word_classes)
from lessons.transformer.specs import DEFAULT_SENTENCE, PARAMS, PLOTS, parse_head, parse_query
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import PlotData
from visualizer.data.sentiment import PHENOMENA
from visualizer.probes.attention import attention_data, cls_highlight

N_HIGHLIGHT = 6            # validation reviews in the [CLS] highlight: one of each phenomenon


class TransformerLesson(Lesson):
    """Encoder classifier on generated reviews: ids (N, T) int64 with [CLS] first -> logits (N, 2).  Raises
    LessonConfigError for d_model not a multiple of the heads, and from ``set_live`` for an empty sentence or
    a layer,head the model does not have (the previous choice stays)."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = frozenset({"sentence", "attention_head", "attention_query"})
    eval_every = 50

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        d, h = hp["d_model"], hp["n_heads"]
        if d % h:
            fits = [k for k in range(1, 9) if d % k == 0]
            raise LessonConfigError(f"d_model {d} is not a multiple of the {h} heads: each head works in "
                                    f"d_model / heads dimensions. Choose {fits[-1]} heads or fewer that divide "
                                    f"{d} ({', '.join(map(str, fits))}), or d_model {d + (-d) % h}.")
        self.head = self._initial(lambda: parse_head(hp["attention_head"], hp["n_layers"], h),
                                  (hp["n_layers"] - 1, 0))
        self.query = self._initial(lambda: parse_query(hp["attention_query"]), 0)
        self.data = build_data(hp, self.context)
        self.classes = word_classes(self.data.vocab.itos)
        self.sentence = self._initial(lambda: self._encode(hp["sentence"]),
                                      None) or self._encode(DEFAULT_SENTENCE)
        self._build(hp)
        self.last_step = 0
        self._cache: dict[str, tuple[int, object]] = {}
        self._val: dict | None = None

    def _initial(self, parse, fallback):
        try:
            return parse()
        except LessonConfigError as e:
            self.context.notice(f"{e} Using the default instead.")
            return fallback

    def _build(self, hp) -> None:
        import torch

        from visualizer.models.text_classifier_torch import ClassifierConfig, TextClassifier
        from visualizer.torch_backend.trainer import TorchTrainer

        torch.manual_seed(hp["seed"])
        cfg = ClassifierConfig(len(self.data.vocab), self.data.max_len, hp["n_layers"], hp["d_model"], hp["n_heads"],
                               2 * hp["d_model"], 0.1, hp["positional"], hp["pooling"])
        self.model = TextClassifier(cfg)
        self.trainer = TorchTrainer(self.model, lambda m: torch.optim.Adam(m["model"].parameters(), lr=hp["lr"]),
                                    device=hp["device"], seed=hp["seed"], losses=self.losses,
                                    hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})
        dev = self.trainer.device
        self.x_train, self.y_train = torch.as_tensor(self.data.x_train, device=dev), torch.as_tensor(
            self.data.y_train, device=dev)                                              # (N, T), (N,)
        self.x_val, self.y_val = torch.as_tensor(self.data.x_val, device=dev), torch.as_tensor(
            self.data.y_val, device=dev)                                                # (M, T), (M,)

    @property
    def steps_per_epoch(self) -> int:
        return -(-len(self.data.y_train) // self.hp["batch_size"])

    # ---- training ----------------------------------------------------------------------------------
    def losses(self, batch, step):
        """Cross-entropy of a random mini-batch of reviews (drawn with the trainer's generator)."""
        import torch
        import torch.nn.functional as F

        idx = torch.randint(0, len(self.y_train), (self.hp["batch_size"],), device=self.x_train.device,
                            generator=self.trainer.generator)
        logits = self.model(self.x_train[idx])                                          # (B, 2)
        y = self.y_train[idx]
        return {"train_loss": F.cross_entropy(logits, y), "train_acc": (logits.argmax(1) == y).float().mean()}

    def train_step(self, step: int) -> None:
        self.last_step = step
        self.trainer.step(None, step)

    def predict_val(self) -> dict:
        """Validation loss, accuracy, per-phenomenon accuracy and predictions (NumPy), at the current weights."""
        import torch
        import torch.nn.functional as F

        self.trainer.train(False)
        with torch.no_grad():
            logits = torch.cat([self.model(x) for x in self.x_val.split(1000)])         # (M, 2)
            loss = float(F.cross_entropy(logits, self.y_val))
            p_pos = torch.softmax(logits, 1)[:, 1].cpu().numpy()
        pred = (p_pos > 0.5).astype(np.int64)
        right = pred == self.data.y_val
        tags = np.asarray(self.data.val.phenomena)
        per = {k: float(right[tags == k].mean()) for k in PHENOMENA if np.any(tags == k)}
        return {"step": self.last_step, "loss": loss, "acc": float(right.mean()), "per": per, "pred": pred,
                "p_pos": p_pos}

    def evaluate(self) -> dict[str, float]:
        self._val = self.predict_val()
        return {"val_loss": self._val["loss"], "val_acc": self._val["acc"],
                "bag_of_words_acc": self.data.bow["val_acc"]}

    # ---- live settings -------------------------------------------------------------------------------
    def _encode(self, text: str):
        enc, notes = encode_sentence(self.data.vocab, text, self.data.max_len)          # raises for an empty sentence
        if notes:
            self.context.keyed_notice("sentence", " ".join(notes))
        else:
            self.context.clear_notice("sentence")
        return enc

    def set_live(self, name, value) -> None:
        if name == "sentence":
            self.sentence = self._encode(value)
        elif name == "attention_head":
            self.head = parse_head(value, self.hp["n_layers"], self.hp["n_heads"])
        elif name == "attention_query":
            self.query = parse_query(value)
        super().set_live(name, value)
        self._cache.clear()

    def load_checkpoint_state(self, state: dict) -> None:
        super().load_checkpoint_state(state)
        self._cache.clear()
        self._val = None

    def run_facts(self) -> dict:
        return {"vocabulary": len(self.data.vocab), "parameters": int(sum(p.numel() for p in self.model.parameters())),
                "bag_of_words_val_acc": round(self.data.bow["val_acc"], 4),
                "bag_of_words_per_phenomenon": {k: round(v, 4) for k, v in self.data.bow["per_phenomenon"].items()}}

    # ---- views ---------------------------------------------------------------------------------------
    def _cached(self, key: str, build):
        hit = self._cache.get(key)
        if hit is None or hit[0] != self.last_step:
            hit = self._cache[key] = (self.last_step, build())
        return hit[1]

    def probe(self, ids: np.ndarray):
        """A forward pass of ids (B, T) under ``record_attention``, in evaluation mode and without gradients:
        (probabilities (B, 2), AttentionRecord with weights (L, B, H, T, T) as NumPy)."""
        import torch

        from visualizer.models.transformer_torch import record_attention

        self.trainer.train(False)
        with torch.no_grad(), record_attention(self.model) as rec:
            probs = torch.softmax(self.model(torch.as_tensor(ids, device=self.x_train.device)), 1)
        return probs.cpu().numpy(), rec

    def _sentence_pictures(self) -> dict[str, PlotData]:
        enc = self.sentence
        probs, rec = self.probe(enc.ids[None, :enc.length])
        c = int(probs[0].argmax())
        caption = f"model: {LABELS[c]} ({probs[0, c]:.2f})" + (
            f"; your sentence was cut to {self.data.max_len} tokens" if enc.truncated else "")
        layer, head = self.head
        pics = {f"{mode}_view": attention_data(rec, enc.tokens, mode=mode, layer=layer, head=head,
                                               query_index=self.query, caption=caption) for mode in ("head", "model")}
        return {**pics, "your_sentence": sentence_bars(probs[0])}

    def _highlight(self):
        """The book's highlight: a validation review of each phenomenon, words shaded by [CLS] attention."""
        tags = self.data.val.phenomena
        idx = [tags.index(p) for p in PHENOMENA if p in tags]
        idx = (idx + [i for i in range(len(tags)) if i not in idx])[:N_HIGHLIGHT]
        n = (self.data.x_val[idx] != 0).sum(1)
        probs, rec = self.probe(self.data.x_val[idx, :int(n.max())])
        w = rec.weights.numpy()                                                    # (L, B, H, T, T)
        pred, truth = probs.argmax(1), self.data.y_val[idx]
        sentences = [[self.data.vocab.itos[t] for t in self.data.x_val[i, :k]] for i, k in zip(idx, n)]
        labels = [f"{tags[i]}: true {LABELS[t]}, model {LABELS[p]}" for i, t, p in zip(idx, truth, pred)]
        return cls_highlight([w[:, b] for b in range(len(idx))], sentences, labels, list(pred == truth))

    def snapshot(self) -> dict[str, PlotData]:
        out = dict(self._cached("sentence", self._sentence_pictures))
        if self._val is None:
            self._val = self.predict_val()
        v, val = self._val, self.data.val
        rows = max(self.data.x_train.shape[1], self.sentence.length)
        out.update({
            "phenomena": phenomenon_table({**v["per"], "all": v["acc"]},
                                          {**self.data.bow["per_phenomenon"], "all": self.data.bow["val_acc"]},
                                          tagged=self.data.tagged),
            "mistakes": mistakes_picture(val.texts, val.phenomena, self.data.y_val, v["pred"], v["p_pos"], v["step"]),
            "highlight": self._cached("highlight", self._highlight),
            "positional": positional_picture(self.model.positional_matrix().cpu().numpy(), self.hp["positional"], rows),
            "projector": projector_picture(self.model.embed.weight.detach().cpu().numpy(), self.data.vocab.itos,
                                           self.classes),
        })
        return out


LESSON = TransformerLesson
