"""Lesson ``bert``: pretrain a small BERT with masked LM, then fine-tune it for sentiment next to a twin that was
not pretrained (Qt-free; torch only on the build path).

Devlin et al. (2019): BERT is a post-norm Transformer encoder (``visualizer.models.bert_torch``) pretrained on
unlabelled text by filling in masked words (15 % of the tokens; 80 % [MASK], 10 % random, 10 % kept), then
fine-tuned with a classifier on the pooled [CLS] vector (Ogawa, *PyTorch advanced deep learning* ch. 8).  Phase 1
(steps 1 .. ``pretrain_steps``): masked LM on the book's verses and unlabelled generated reviews.  Phase 2: two
classifiers, one with the pretrained encoder and one with the encoder's initial random weights, the same classifier
head, trained on the same small labelled batches.  Views: the MLM's guesses for the student's [MASK], every
attention head (head, model and neuron views), one word's contextual vectors across sentences, both phases' curves.
"""
from __future__ import annotations

import numpy as np

from lessons.bert import INFO
from lessons.bert.data import build_data, maskable, special_ids
from lessons.bert.narrative import NARRATIVE
from lessons.bert.probes import attention_data, contextual_similarity, encode_sentence, mlm_topk, parse_head, parse_query
from lessons.bert.specs import PARAMS, PLOTS
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import PlotData

N_VAL_MLM = 256            # held-out sequences masked once (the same masks at every evaluation)
N_VAL_FT = 500             # clean validation reviews for the fine-tuned twins
TWINS = ("pretrained", "scratch")
VIEW_PARAMS = ("sentence", "top_k", "attention_mode", "attention_head", "attention_query", "context_word",
               "context_sentences")


class BertLesson(Lesson):
    """Masked-LM pretraining, then fine-tuning twins.  Ids (B, T) int64, MLM positions (B, K), logits (B, K, V)
    and (B, 2)."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = frozenset(VIEW_PARAMS)
    eval_every = 25

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        h = int(hp["hidden"])
        if h % hp["heads"]:
            raise LessonConfigError(f"Hidden size {h} is not a multiple of the {hp['heads']} attention heads: "
                                    "choose 1, 2, 4 or 8 heads (or another size).")
        base = pre = None
        if hp["variant"] == "bert_base":
            from lessons.bert.real import open_bert_base, pretrained_bert
            base = open_bert_base(self.context)
            pre = pretrained_bert(base, self.context) if base is not None else None
            if pre is not None:
                hp.set("pretrain_steps", 0)                    # pretrained already: fine-tuning from step 1
        self.data = build_data(hp["max_len"], hp["n_unlabelled"], hp["n_labelled"], N_VAL_FT, hp["seed"],
                               base.vocab if pre is not None else None)
        self.vocab = self.data.vocab
        self.mask_id, self.low = self.vocab.stoi["[MASK]"], max(special_ids(self.vocab)) + 1   # random words: >= low
        self.sentence = self._check_sentence(hp["sentence"])
        self.finetuning = False
        self.last_step = 0
        self._build(hp, h, pre)
        parse_head(hp["attention_head"], self.cfg.num_hidden_layers, self.cfg.num_attention_heads)
        parse_query(hp["attention_query"], len(self.sentence.tokens))

    def _build(self, hp, h: int, pre) -> None:
        """The MLM model (seed s, or BERT-base's ``pre``) and two classifiers with equal heads whose encoders start
        from the MLM model's initial weights (BERT-base: fresh random ones); AdamW for each; data and the fixed
        validation masks on the device."""
        import torch

        from visualizer.models.bert_torch import (BertConfig, BertForPreTraining, BertForSequenceClassification,
                                                  mlm_mask)
        from visualizer.torch_backend.trainer import Phase, TorchTrainer

        torch.manual_seed(hp["seed"])
        self.cfg = pre.cfg if pre is not None else BertConfig(
            vocab_size=len(self.vocab), hidden_size=h, num_hidden_layers=hp["layers"], num_attention_heads=hp["heads"],
            intermediate_size=4 * h, max_position_embeddings=hp["max_len"])
        small = pre is None
        pre = pre or BertForPreTraining(self.cfg)
        scratch = BertForSequenceClassification(self.cfg)
        if small:
            scratch.bert.load_state_dict(pre.bert.state_dict())   # "without pretraining": where pretraining began
        pretrained = BertForSequenceClassification(self.cfg)
        pretrained.load_state_dict(scratch.state_dict())

        def adamw(name, lr):          # masked LM alone leaves the pooler and NSP head untrained: not optimized
            return lambda m: torch.optim.AdamW([p for n, p in m[name].named_parameters()
                                                if name != "pre" or not n.startswith(("bert.pooler", "nsp"))],
                                               lr=lr, weight_decay=0.01)

        def set_ft_lr(trainer, value):
            for name in TWINS:
                TorchTrainer.param_group_setter(name)(trainer, value)

        self.trainer = TorchTrainer(
            {"pre": pre, "pretrained": pretrained, "scratch": scratch},
            {"mlm": adamw("pre", hp["lr"]), "pretrained": adamw("pretrained", hp["ft_lr"]),
             "scratch": adamw("scratch", hp["ft_lr"])},
            phases=[Phase(self.mlm_losses, "mlm_loss", "mlm", clip=1.0)], device=hp["device"], seed=hp["seed"] + 3,
            hyper={"lr": TorchTrainer.param_group_setter("mlm"), "ft_lr": set_ft_lr})
        self.mlm_phases = self.trainer.phases
        self.ft_phases = [Phase(self._ft_losses(n), f"ft_loss_{n}", n, clip=1.0) for n in TWINS]
        dev = self.trainer.device
        d = self.data
        self.mlm_ids = torch.as_tensor(d.mlm_train, device=dev)                       # (N, T)
        self.ft_ids, self.ft_y = torch.as_tensor(d.ft_train, device=dev), torch.as_tensor(d.ft_train_labels, device=dev)
        self.val_ids, self.val_y = torch.as_tensor(d.ft_val, device=dev), torch.as_tensor(d.ft_val_labels, device=dev)
        pick = np.random.default_rng(hp["seed"] + 5).permutation(len(d.mlm_val))[:N_VAL_MLM]   # verses and reviews
        val = torch.as_tensor(d.mlm_val[np.sort(pick)], device=dev)
        g = torch.Generator(device=dev).manual_seed(hp["seed"] + 5)
        self.val_mlm = mlm_mask(val, maskable(val, self.vocab), mask_id=self.mask_id, vocab_size=len(self.vocab),
                                generator=g, random_low=self.low)


    @property
    def steps_per_epoch(self) -> int:
        return max(1, len(self.data.mlm_train) // self.hp["batch_size"])

    # ---- training ------------------------------------------------------------------------------------------
    def _mlm_scores(self, model, batch):
        """(loss, accuracy) of ``model`` on a masked batch (inputs, positions, labels, valid), no host sync."""
        from visualizer.models.bert_torch import masked_lm_scores

        inputs, positions, labels, valid = batch
        return masked_lm_scores(model(inputs, mlm_positions=positions)[0], labels, valid)        # (B, K, V) logits

    def mlm_losses(self, batch, step):
        """Masked LM on a batch of verses and reviews (BERT's 80/10/10 corruption of 15 % of the words)."""
        import torch

        from visualizer.models.bert_torch import mlm_mask

        gen = self.trainer.generator
        ids = self.mlm_ids[torch.randint(0, len(self.mlm_ids), (self.hp["batch_size"],), device=gen.device,
                                         generator=gen)]                                   # (B, T)
        masked = mlm_mask(ids, maskable(ids, self.vocab), mask_id=self.mask_id, vocab_size=len(self.vocab),
                          generator=gen, random_low=self.low)
        loss, acc = self._mlm_scores(self.trainer.modules["pre"], masked)
        return {"mlm_loss": loss, "mlm_acc": acc}

    def _ft_losses(self, name):
        def losses(batch, step):
            import torch.nn.functional as F

            logits = self.trainer.modules[name](self.ft_ids[self._ft_idx])                  # (B, 2)
            y = self.ft_y[self._ft_idx]
            return {f"ft_loss_{name}": F.cross_entropy(logits, y),
                    f"ft_acc_{name}": (logits.argmax(1) == y).float().mean()}
        return losses

    def train_step(self, step: int) -> None:
        import torch

        self.last_step = step
        if step > self.hp["pretrain_steps"] and not self.finetuning:
            self._start_finetuning()
        if self.finetuning:          # both twins read the same batch
            self._ft_idx = torch.randint(0, len(self.ft_ids), (self.hp["batch_size"],), device=self.ft_ids.device,
                                         generator=self.trainer.generator)
        self.trainer.step(None, step)

    def _start_finetuning(self) -> None:
        """Copy the pretrained encoder into the "pretrained" twin and switch to the fine-tuning phases."""
        m = self.trainer.modules
        m["pretrained"].bert.load_state_dict(m["pre"].bert.state_dict())
        self.finetuning = True
        self.trainer.phases = self.ft_phases

    def evaluate(self) -> dict[str, float]:
        """Masked LM on the held-out sequences (fixed masks); once fine-tuning runs, both twins' accuracy."""
        import torch

        self.trainer.train(False)
        with torch.no_grad():
            if not self.finetuning:              # the MLM model stops learning when fine-tuning starts
                loss, acc = self._mlm_scores(self.trainer.modules["pre"], self.val_mlm)
                return {"val_mlm_loss": float(loss), "val_mlm_acc": float(acc)}
            out = {}
            for name in TWINS:
                pred = torch.cat([self.trainer.modules[name](x).argmax(1) for x in self.val_ids.split(256)])
                out[f"val_acc_{name}"] = float((pred == self.val_y).float().mean())
        return out

    # ---- live settings and checkpoints ---------------------------------------------------------------------
    def _check_sentence(self, text: str):
        s = encode_sentence(self.vocab, text, self.hp["max_len"])
        if s.notices:
            self.context.keyed_notice("sentence", " ".join(s.notices))
        else:
            self.context.clear_notice("sentence")
        return s

    def set_live(self, name, value) -> None:
        if name == "sentence":
            self.sentence = self._check_sentence(value)
        elif name == "attention_head":
            parse_head(value, self.cfg.num_hidden_layers, self.cfg.num_attention_heads)
        elif name == "attention_query":
            parse_query(value, len(self.sentence.tokens))
        elif name in ("context_word", "context_sentences"):
            hp = {**{k: self.hp[k] for k in ("context_word", "context_sentences")}, name: value}
            self._contextual(hp["context_word"], hp["context_sentences"])
        elif name == "pretrain_steps" and self.finetuning:
            raise LessonConfigError("Fine-tuning has already begun: press Reset (R) to pretrain for another number "
                                    "of steps.")
        super().set_live(name, value)

    def load_checkpoint_state(self, state: dict) -> None:
        """Restore weights and optimizers; a checkpoint with the twins' optimizer state was saved while
        fine-tuning, so fine-tuning goes on from it (without copying the encoder again)."""
        super().load_checkpoint_state(state)
        self.finetuning = any(k.startswith("opt.pretrained.") for k in state)
        self.trainer.phases = self.ft_phases if self.finetuning else self.mlm_phases

    # ---- views ---------------------------------------------------------------------------------------------
    def _encoder(self):
        """The encoder the attention and contextual views read: the MLM model while it pretrains, then the
        pretrained twin being fine-tuned."""
        m = self.trainer.modules
        return (m["pretrained"] if self.finetuning else m["pre"]).bert

    def _contextual(self, word: str, sentences: str):
        return contextual_similarity(self._encoder(), self.vocab, word, [s for s in sentences.split("|")],
                                     self.hp["max_len"], self.trainer.device)

    def snapshot(self) -> dict[str, PlotData]:
        hp, dev, cfg = self.hp, self.trainer.device, self.cfg
        layer, head = parse_head(hp["attention_head"], cfg.num_hidden_layers, cfg.num_attention_heads)
        who = "the pretrained twin, fine-tuning" if self.finetuning else "the masked-LM model"
        out: dict[str, PlotData] = {
            "mlm_topk": mlm_topk(self.trainer.modules["pre"], self.sentence, self.vocab, hp["top_k"], dev),
            "attention": attention_data(self._encoder(), self.sentence, hp["attention_mode"], layer, head,
                                        parse_query(hp["attention_query"], len(self.sentence.tokens)), dev,
                                        f"{who}, step {self.last_step}"),
        }
        try:
            out["contextual"], _ = self._contextual(hp["context_word"], hp["context_sentences"])
        except LessonConfigError:
            pass                     # set_live already told the student; the picture keeps its last state
        return out

    def run_facts(self) -> dict:
        n = sum(p.numel() for p in self.trainer.modules["pre"].parameters())
        return {"vocab_size": len(self.vocab), "parameters": int(n), **self.data.counts}


LESSON = BertLesson
