"""Lesson ``gpt``: a small GPT learns the shipped book one character at a time (Qt-free; torch only on the build
path).

The model is ``visualizer.models.gpt_torch.GPT`` (Radford et al. 2018/2019: token and learned position
embeddings, pre-norm Transformer blocks with the causal mask, a head tied to the token embedding), trained by a
TorchTrainer with AdamW on random windows of the book (``data.py``; nanoGPT's small CPU configuration by
default: 4 layers, 4 heads, d_model 128, block 64, batch 12).  Views (``probe.py``): training and validation loss
in nats per character, a sample at the temperature and top-k on the sliders, every head's attention over the
typed prompt (one probe forward at the redraw rate, never during a training step), the next-character
probabilities, and samples kept at steps 100, 500, 1000, 2000, … to show how the writing improves.
"""
from __future__ import annotations

import math

import numpy as np

from lessons.gpt import INFO
from lessons.gpt.data import TEXT_PARAMS, VAL_WINDOWS, load_text, read_prompt, val_starts, windows
from lessons.gpt.narrative import NARRATIVE, PLOTS
from lessons.gpt.probe import (attention_view, history_text, how, next_char_bars, parse_head, probe, sample,
                               sample_text)
from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam, TextParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import ATTENTION_MODES, PlotData

MILESTONES = (100, 500, 1000, 2000, 3000, 5000, 10_000, 20_000, 50_000)   # steps whose sample is kept
HISTORY_CHARS, HISTORY_TEMPERATURE = 160, 0.8    # the kept samples: length and temperature (top-k off)
GEN_EVERY = 200             # regenerate the live sample at least every this many steps (and sooner early on)
EVAL_BATCH = 32


class GPTLesson(Lesson):
    """A character-level GPT.  Batches x, y (B, block) int64; logits (B, block, V); loss in nats per character."""

    info = INFO
    params = (
        IntParam("n_layers", "Layers", 4, 1, 8, tooltip="Transformer blocks (GPT-2 small has 12)."),
        IntParam("n_heads", "Heads", 4, 1, 8,
                 tooltip="Attention heads per block; d_model must be a multiple of the heads."),
        IntParam("d_model", "d_model", 128, 16, 512, log=True,
                 tooltip="Width of every token vector (embeddings, attention, residual stream). The feed-forward "
                         "layer is 4 × d_model wide."),
        IntParam("block_size", "Block size (context)", 64, 8, 256, log=True,
                 tooltip="How many characters the model sees at once: it trains on windows of this length and "
                         "reads at most this many characters of the prompt."),
        FloatParam("dropout", "Dropout", 0.0, 0.0, 0.5, live=False, decimals=2,
                   tooltip="Dropout in the embeddings, attention and feed-forward layers (nanoGPT's small "
                           "configuration uses none: a small model on a big text does not overfit)."),
        *TEXT_PARAMS,
        IntParam("batch_size", "Batch size", 12, 1, 128, log=True, live=True,
                 tooltip="Windows of the book per update. Applies at the next step."),
        FloatParam("lr", "Learning rate", 1e-3, 1e-5, 1e-1, log=True, live=True, decimals=5,
                   tooltip="AdamW step size (β = 0.9, 0.99, weight decay 0.1 on the matrices, gradients clipped "
                           "to norm 1). Applies at the next step."),
        TextParam("prompt", "Prompt", "And Jesus said unto them", placeholder="text the model continues",
                  max_length=20_000, live=True,
                  tooltip="The model reads your text and continues it; its attention and next-character "
                          "probabilities are drawn for it. Only the last block-size characters are read; "
                          "characters the text never uses are dropped (a notice names them); empty: a line break."),
        FloatParam("temperature", "Temperature", 0.8, 0.0, 2.0, live=True, decimals=2,
                   tooltip="Sampling temperature τ: p ∝ exp(logit / τ). Low: safe, repetitive text (0 = always "
                           "the most likely character); high: adventurous text with invented words."),
        IntParam("top_k", "Top-k", 0, 0, 100, live=True,
                 tooltip="Sample only among the k most likely characters (0: all of them)."),
        IntParam("sample_chars", "Sample length", 120, 20, 1000, log=True, live=True,
                 tooltip="Characters generated for the sample view (each costs one forward pass)."),
        ChoiceParam("attention_mode", "Attention view", "model", ATTENTION_MODES, live=True,
                    tooltip="model: every layer × head as a small heat map. head: lines from each character to "
                            "the ones it attends to. neuron: queries, keys and q·k of one head for one character."),
        TextParam("attention_head", "Attention head", "0,0", placeholder="layer,head (from 0) or layer,all",
                  max_length=20, live=True,
                  tooltip="The layer and head (counted from 0) the head and neuron views show; a click on a map "
                          "of the model view sets it. 'layer,all': every head of the layer in the head view."),
        TextParam("attention_query", "Attention query", "", placeholder="character index (empty: the last)",
                  max_length=10, live=True,
                  tooltip="The character (0-based) whose query the neuron view explains; empty: the last one."),
    )
    plots = PLOTS
    narrative = NARRATIVE
    view_params = frozenset({"prompt", "temperature", "top_k", "sample_chars", "attention_mode", "attention_head",
                             "attention_query"})
    eval_every = 100

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        if hp["d_model"] % hp["n_heads"]:
            raise LessonConfigError(f"d_model ({hp['d_model']}) must be a multiple of the heads ({hp['n_heads']}): "
                                    f"try {hp['d_model'] // hp['n_heads'] * hp['n_heads'] or hp['n_heads']}.")
        self.block = int(hp["block_size"])
        self.text = load_text(hp, self.context)
        self.val_starts = val_starts(len(self.text.val), self.block)
        self.rng = np.random.default_rng(hp["seed"])
        self.prompt = self._read_prompt(hp["prompt"])
        try:
            self.head = parse_head(hp["attention_head"], hp["n_layers"], hp["n_heads"])
        except LessonConfigError as e:
            self.context.notice(f"{e}; showing layer 0, head 0.")
            self.head = (0, 0)
        self.query = self._parse_query(hp["attention_query"])
        self._build(hp)
        self.last_step = 0
        self._probe_cache = self._sample_cache = None
        self.history: list[tuple[int, float | None, str]] = []
        self._keep_sample(0)

    def _build(self, hp) -> None:
        import torch

        from visualizer.models.gpt_torch import GPT, GPTConfig
        from visualizer.torch_backend.trainer import Phase, TorchTrainer

        torch.manual_seed(hp["seed"])
        cfg = GPTConfig(self.text.vocab_size, self.block, hp["n_layers"], hp["n_heads"], hp["d_model"], hp["dropout"])
        self.model = GPT(cfg)

        def adamw(mods):
            return torch.optim.AdamW(mods["model"].param_groups(0.1), lr=hp["lr"], betas=(0.9, 0.99))

        self.trainer = TorchTrainer(self.model, adamw, device=hp["device"], seed=hp["seed"],
                                    phases=[Phase(self.losses, clip=1.0)],
                                    hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})

    @property
    def steps_per_epoch(self) -> int:
        """Steps to read as many characters as the training text holds (windows are drawn at random)."""
        return math.ceil(len(self.text.train) / (self.hp["batch_size"] * self.block))

    # ---- training -------------------------------------------------------------------------------------------
    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """batch_size random windows of the training text: x, y (B, block) int64 (y is x shifted by one)."""
        starts = self.rng.integers(0, len(self.text.train) - self.block - 1, int(self.hp["batch_size"]))
        return windows(self.text.train, starts, self.block)

    def losses(self, batch, step):
        import torch

        dev = self.trainer.device
        x, y = (torch.as_tensor(a, device=dev) for a in batch)
        _, loss = self.trainer.modules["model"](x, y)                  # mean cross-entropy, nats per character
        return {"train_loss": loss}

    def train_step(self, step: int) -> None:
        self.last_step = step
        super().train_step(step)
        if step in MILESTONES:
            self._keep_sample(step)

    def val_loss(self) -> float:
        """Mean cross-entropy (nats per character) over the fixed validation windows, in evaluation mode."""
        import torch

        model, dev = self.trainer.modules["model"], self.trainer.device
        was = model.training
        model.eval()
        total = 0.0
        with torch.no_grad():
            for i in range(0, len(self.val_starts), EVAL_BATCH):
                x, y = windows(self.text.val, self.val_starts[i:i + EVAL_BATCH], self.block)
                _, loss = model(torch.as_tensor(x, device=dev), torch.as_tensor(y, device=dev))
                total += float(loss) * len(x)
        model.train(was)
        return total / len(self.val_starts)

    def evaluate(self) -> dict[str, float]:
        return {"val_loss": self.val_loss()}

    def run_facts(self) -> dict:
        return {"vocabulary": self.text.vocab_size, "train_chars": int(len(self.text.train)),
                "val_chars": int(len(self.text.val)), "val_windows": VAL_WINDOWS,
                "parameters": int(sum(p.numel() for p in self.model.parameters())),
                "uniform_loss_nats": math.log(self.text.vocab_size)}

    # ---- the student's settings ------------------------------------------------------------------------------
    def _read_prompt(self, raw: str):
        p = read_prompt(raw, self.text.vocab, self.block)
        if p.notes:
            self.context.keyed_notice("prompt", " ".join(p.notes) + " Your text is kept as you typed it.")
        else:
            self.context.clear_notice("prompt")
        return p

    def _parse_query(self, text: str) -> int:
        """'' -> -1 (the last character), '5' -> 5; LessonConfigError for anything else."""
        s = str(text).strip()
        if s and not s.isdigit():
            raise LessonConfigError(f"Attention query: {text!r} is not a character index (0, 1, 2, …)")
        return int(s) if s else -1

    def set_live(self, name, value) -> None:
        """Checks the attention head and query first (LessonConfigError; the previous one stays); a prompt is
        always usable (see ``data.read_prompt``)."""
        head = parse_head(value, self.model.cfg.n_layers, self.model.cfg.n_heads) if name == "attention_head" else None
        query = self._parse_query(value) if name == "attention_query" else None
        super().set_live(name, value)
        if name == "prompt":
            self.prompt = self._read_prompt(value)
        elif head is not None:
            self.head = head
        elif query is not None:
            self.query = query

    # ---- views ---------------------------------------------------------------------------------------------
    def _keep_sample(self, step: int) -> None:
        """Keep a sample from a line break at this step (fixed temperature and seed, so steps compare)."""
        nl = read_prompt("", self.text.vocab, self.block).ids
        ids = sample(self.model, nl, HISTORY_CHARS, HISTORY_TEMPERATURE, 0, self.hp["seed"])
        val = self.val_loss() if step else None
        self.history = [h for h in self.history if h[0] != step] + [(step, val, self.text.vocab.decode(ids))]

    def _probe(self):
        t, k = float(self.hp["temperature"]), int(self.hp["top_k"])
        key = (self.last_step, tuple(self.prompt.ids.tolist()), t, k)
        if self._probe_cache is None or self._probe_cache[0] != key:
            self._probe_cache = (key, probe(self.model, self.prompt.ids, t, k))
        return self._probe_cache[1]

    def _sample(self):
        t, k, n = float(self.hp["temperature"]), int(self.hp["top_k"]), int(self.hp["sample_chars"])
        key = (tuple(self.prompt.ids.tolist()), t, k, n)
        c = self._sample_cache
        # early training changes fast: regenerate at steps 1, 2, 4, 8, ..., then every GEN_EVERY steps
        if c is None or c[0] != key or self.last_step - c[1] >= min(GEN_EVERY, max(1, c[1])):
            ids = sample(self.model, self.prompt.ids, n, t, k, self.hp["seed"] + self.last_step)
            note = f"step {self.last_step}, {how(t, k, self.text.vocab_size)}; the prompt in bold"
            data = sample_text(self.prompt.text, self.text.vocab.decode(ids), t, self.last_step, note)
            self._sample_cache = c = (key, self.last_step, data)
        return c[2]

    def snapshot(self) -> dict[str, PlotData]:
        p = self._probe()
        layer, head = self.head
        caption = f"prompt: {len(self.prompt.ids)} characters"
        hist_note = (f"Samples kept during training, each from a line break at temperature {HISTORY_TEMPERATURE}, "
                     f"the same seed every time")
        return {"samples": self._sample(),
                "attention": attention_view(p, self.prompt.text, self.hp["attention_mode"], layer, head, self.query,
                                            caption),
                "next_char": next_char_bars(p, self.text.chars),
                "history": history_text(self.history, hist_note)}

    def load_checkpoint_state(self, state: dict) -> None:
        """Weights and optimizer state (checked by the trainer); the kept samples belonged to the run before, so
        they are cleared, and the views recompute."""
        super().load_checkpoint_state(state)
        self.history = []
        self._probe_cache = self._sample_cache = None


LESSON = GPTLesson
