"""Lesson ``rnn_lm``: RNN, LSTM and GRU language models trained with truncated BPTT (Qt-free).

A word-level language model reads a corpus and learns p(wₜ₊₁ | w₁ … wₜ).  The model is the book's ``Rnnlm`` /
``BetterRnnlm`` (Saitoh, *Deep Learning from Scratch 2*, ch. 5-6; Yoon, ch. 10-11), on the NumPy engine
(``net.py``, stepped by a NumpyTrainer) or in PyTorch (``net_torch.py``, its TorchTrainer), with the same weights,
batches and dropout masks.  Data (``data.py``): the app's generated English-like corpus, a Penn Treebank folder the
user picks, or the Penn Treebank downloaded once (offline: a notice and the generated corpus).  Views: perplexity
(train and validation), the gradient norm before clipping, the hidden states and gate activations of one sequence,
‖∂L/∂hₜ‖ back through time (``probe.py``), and text sampled from a prompt with a temperature.
"""
from __future__ import annotations

import math

import numpy as np

from lessons.rnn_lm import INFO
from lessons.rnn_lm.data import batches, initial_prompt, load_corpus, prompt_words
from lessons.rnn_lm.narrative import NARRATIVE
from lessons.rnn_lm.net import CELLS, NumpyLm, fresh_perplexity, init_weights, make_config, make_trainer
from lessons.rnn_lm.probe import LastBatch, generate, replay, replay_views
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, PathParam, TextParam
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import PlotData, PlotSpec, TextData

DATASETS = ("generated", "ptb_folder", "ptb_download")
VAL_TOKENS = 10_000         # a longer validation split: only its first words between epoch ends
VAL_HEAD = "val_ppl_first_10k"   # their perplexity; "val_ppl" always reads the whole split
EVAL_BATCH = 10             # the book's eval_perplexity batch size
GEN_WORDS = 40              # words generated after the prompt
GEN_EVERY = 25              # regenerate the text at most every this many steps (unless prompt/temperature change)


class RnnLanguageModel(Lesson):
    """A recurrent language model: word ids (N, T) -> next-word scores (N, T, V) -> cross-entropy."""

    info = INFO
    params = (
        ChoiceParam("cell", "Recurrent cell", "lstm", CELLS,
                    tooltip="lstm: gated cell with a memory c (input, forget, output gates). gru: two gates, no "
                            "separate memory. rnn: the plain Elman cell h = tanh(x Wx + h Wh + b), whose gradients "
                            "vanish or explode over long spans."),
        IntParam("layers", "Recurrent layers", 1, 1, 2,
                 tooltip="Stacked recurrent layers (the book's BetterRnnlm uses 2)."),
        IntParam("embed_size", "Embedding size D", 100, 8, 650, log=True,
                 tooltip="Width of each word vector (the book: 100 for Rnnlm, 650 for BetterRnnlm)."),
        IntParam("hidden_size", "Hidden size H", 100, 8, 650, log=True,
                 tooltip="Width of the hidden state h (and the LSTM memory c)."),
        FloatParam("dropout", "Dropout", 0.0, 0.0, 0.7, live=False, decimals=2,
                   tooltip="Probability of zeroing each unit after the embedding and after every recurrent layer "
                           "(between layers, not along time: Zaremba et al. 2014; the book uses 0.5)."),
        BoolParam("tie_weights", "Weight tying", False,
                  tooltip="The output layer reuses the embedding matrix (transposed): V·H fewer weights, often a "
                          "better perplexity (Press & Wolf 2017). Needs embedding size = hidden size."),
        IntParam("time_size", "BPTT length T", 35, 2, 100,
                 tooltip="Time steps per batch: the recurrence is unrolled and backpropagated over T words, then "
                         "cut (truncated BPTT); the hidden state still flows on to the next batch."),
        IntParam("batch_size", "Batch size N", 20, 1, 128, log=True,
                 tooltip="Parallel streams read from N evenly spaced places in the corpus."),
        ChoiceParam("optimizer", "Optimizer", "sgd", ("sgd", "adam"),
                    tooltip="sgd: plain gradient descent (the book: learning rate 20). adam: learning rate about "
                            "0.001 to 0.01."),
        FloatParam("lr", "Learning rate", 20.0, 1e-4, 100.0, log=True, live=True, decimals=4,
                   tooltip="Step size of each update (SGD: the book uses 20 with clipping 0.25). Applies at the "
                           "next step."),
        FloatParam("max_grad_norm", "Gradient clipping", 0.25, 0.0, 5.0, live=True, decimals=3,
                   tooltip="If the norm of all gradients together exceeds this, scale them down to it (Pascanu et "
                           "al. 2013). 0 turns clipping off. Applies at the next step."),
        ChoiceParam("dataset", "Corpus", "generated", DATASETS,
                    tooltip="generated: an English-like corpus made on the spot (sizes below). ptb_folder: the "
                            "Penn Treebank from the folder chosen below. ptb_download: the Penn Treebank "
                            "downloaded once (5 MB) and cached; offline, the generated corpus."),
        PathParam("ptb_folder", "Penn Treebank folder", "", "Penn Treebank (ptb.train.txt ptb.valid.txt "
                  "ptb.test.txt);;Text files (*.txt);;All files (*)",
                  tooltip="The folder holding ptb.train.txt, ptb.valid.txt and ptb.test.txt (as in "
                          "simple-examples/data). The file dialog picks files: choose any one of the three and "
                          "its folder is used, or type the folder's path.",
                  used_when=("dataset", "ptb_folder")),
        IntParam("corpus_tokens", "Generated corpus words", 50_000, 5_000, 1_000_000, log=True,
                 tooltip="Length of the generated corpus (90% training, 10% validation)."),
        IntParam("vocab_size", "Generated vocabulary", 1000, 150, 10_000, log=True,
                 tooltip="Distinct words of the generated corpus (the Penn Treebank has 10,000)."),
        TextParam("prompt", "Prompt", "the", placeholder="words to start from", max_length=200, live=True,
                  tooltip="The words the model reads before it generates. Every word must be in the "
                          "vocabulary (lower case); <eos> starts a new sentence."),
        FloatParam("temperature", "Temperature", 1.0, 0.0, 2.0, live=True, decimals=2,
                   tooltip="Sampling temperature τ: p ∝ exp(score / τ). Low τ: safe, repetitive text (0 = always "
                           "the most likely word); high τ: adventurous, ungrammatical text."),
        ChoiceParam("grad_probe", "Gradient view", "last_loss", ("last_loss", "all_losses"), live=True,
                    tooltip="last_loss: ‖∂L_T/∂h_t‖, how the loss of the last word reaches back to earlier time "
                            "steps (vanishing or exploding). all_losses: ‖∂L/∂h_t‖ for the whole batch loss."),
    )
    plots = (
        PlotSpec("perplexity", "Perplexity", "curves", series=("train_ppl", "val_ppl", VAL_HEAD),
                 x_label="step", y_label="perplexity", log_y=True,
                 tooltip="exp(mean cross-entropy): the number of words the model hesitates between. Training: the "
                         "last 20 batches. val ppl: a stateful pass over the whole validation split, at every "
                         "evaluation when it holds at most 10,000 words, else at each epoch end. val ppl first "
                         "10k: the first 10,000 words of a longer split (the Penn Treebank's: 73,760), read at the "
                         "evaluations in between because they are cheap; they read harder than the whole split, "
                         "so compare val ppl with the book. A uniform guess scores the vocabulary size."),
        PlotSpec("grad_norm", "Gradient norm before clipping", "curves", series=("grad_norm", "clip_threshold"),
                 x_label="step", y_label="‖g‖", log_y=True,
                 tooltip="Global L2 norm of all gradients at each step, before clipping, and the clipping "
                         "threshold: above it the update is scaled down."),
        PlotSpec("hidden", "Hidden state over time", "image", x_label="time step t", y_label="hidden unit",
                 tooltip="h_t of the last recurrent layer for the first sequence of the last batch (first 64 "
                         "units), as the model now computes it (no dropout). Red +1, blue −1."),
        PlotSpec("gates", "Gate activations", "image_grid",
                 tooltip="Each tile: one gate's activation (rows: the first 32 hidden units, columns: time steps) "
                         "for the same sequence. Sigmoid gates lie in (0, 1): 0 closes, 1 opens; the candidate lies in (−1, 1)."),
        PlotSpec("grad_time", "Gradient back through time ‖∂L/∂h_t‖", "bars", log_y=True,
                 tooltip="Norm of the loss gradient with respect to the last layer's hidden state at each time "
                         "step of the last batch (see 'Gradient view'). Shrinking to the left: vanishing gradients; "
                         "growing: exploding."),
        PlotSpec("generated", "Generated text", "text",
                 tooltip="The prompt (bold) and words sampled one by one from the model, each fed back as the next "
                         "input. Regenerated every 25 steps and when the prompt or temperature changes."),
    )
    narrative = NARRATIVE
    view_params = frozenset({"prompt", "temperature"})
    eval_every = 25
    engine_comparison = True

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.corpus = load_corpus(hp, self.context)
        self.config = make_config(self.corpus.vocab_size, hp)
        self.stream, self.val_slice = batches(self.corpus, hp["batch_size"], hp["time_size"], VAL_TOKENS, EVAL_BATCH)
        self.eval_every = int(min(100, max(10, self.stream.steps_per_epoch // 3)))
        drop_rng = np.random.default_rng([hp["seed"], 1])          # dropout masks (both engines draw alike)
        weights = init_weights(self.config, hp["seed"])
        if hp["engine"] == "torch":
            from lessons.rnn_lm.net_torch import LmTorchTrainer
            self.trainer = LmTorchTrainer(self.config, weights, drop_rng, hp["optimizer"], hp["lr"], hp["device"],
                                          hp["seed"])
            self.net = None
        else:
            self.net = NumpyLm(self.config, weights, drop_rng)
            self.trainer = make_trainer(self.net, hp["optimizer"], hp["lr"])
        xs, ts = self.stream.peek()
        self._last = LastBatch(xs, ts, [(None, None)] * self.config.layers)
        self.last_step = 0
        self.prompt_words = initial_prompt(hp["prompt"], self.corpus.word_to_id, self.context)
        self._probe_cache: tuple | None = None
        self._text_cache: tuple | None = None

    @property
    def steps_per_epoch(self) -> int:
        return self.stream.steps_per_epoch

    # ---- training -----------------------------------------------------------------------------------------
    def next_batch(self) -> tuple[np.ndarray, np.ndarray, float]:
        """The next truncated-BPTT batch xs, ts (N, T) and the (live) clipping threshold; remembers the batch and
        the state it starts from for the views."""
        xs, ts = self.stream.next_batch()
        state = self.net.state() if self.net is not None else list(self.trainer.model.states)   # torch: lazily
        self._last = LastBatch(xs, ts, state)
        return xs, ts, float(self.hp["max_grad_norm"])

    def train_step(self, step: int) -> None:
        self.last_step = step
        super().train_step(step)

    def _perplexity(self, words: np.ndarray) -> float:
        """Perplexity of ``words`` from a zero state in evaluation mode, batch 10; the training state is kept."""
        if self.net is None:
            return self.trainer.perplexity(words, EVAL_BATCH, self.hp["time_size"])
        return fresh_perplexity(self.net, words, EVAL_BATCH, self.hp["time_size"])

    def evaluate(self) -> dict[str, float]:
        """Validation perplexity from a zero state in evaluation mode.  ``val_ppl``/``val_loss`` read the whole split:
        every time for at most VAL_TOKENS words, else at epoch ends (PTB's 73,760 words cost about 33 training steps);
        in between, ``VAL_HEAD`` is the perplexity of the first VAL_TOKENS words, which read harder (PTB, 4 epochs:
        187 there, 135 on the test split), hence its own name."""
        out = {}
        whole_every_time = len(self.val_slice) == len(self.corpus.valid)
        if not whole_every_time:
            out[VAL_HEAD] = self._perplexity(self.val_slice)
        epoch_end = self.last_step > 0 and self.last_step % self.steps_per_epoch == 0
        if whole_every_time or epoch_end:
            ppl = self._perplexity(self.corpus.valid)
            out |= {"val_ppl": ppl, "val_loss": float(math.log(ppl))}
        return out

    def test_perplexity(self) -> float:
        """Perplexity on the whole test split (the Penn Treebank's; the validation split otherwise), as the book
        reports it."""
        return self._perplexity(self.corpus.test if self.corpus.test is not None else self.corpus.valid)

    def set_live(self, name, value) -> None:
        """The prompt is checked against the vocabulary first (LessonConfigError; the previous prompt stays)."""
        words = prompt_words(value, self.corpus.word_to_id) if name == "prompt" else None
        super().set_live(name, value)
        if words is not None:
            self.prompt_words = words

    def divergence_hint(self) -> str:
        if self.hp["max_grad_norm"] == 0:
            return ("The gradients exploded: without clipping one large gradient throws the weights far away. Set "
                    "Gradient clipping to 0.25 (the book's value) or lower the learning rate, then press Reset (R).")
        return (f"The learning rate ({self.hp['lr']:g}) is too high for this model even with clipping: lower it "
                "(SGD: about 20, Adam: about 0.001) and press Reset (R).")

    # ---- prompt, generation and views ---------------------------------------------------------------------
    def numpy_weights(self) -> dict[str, np.ndarray]:
        """The weights in the NumPy model's layout and names (the arrays themselves on the NumPy engine)."""
        return self.trainer.model.weights_numpy() if self.net is None else self.net.weights

    def generate(self, prompt: list[str], n_words: int = GEN_WORDS, temperature: float = 1.0,
                 seed: int | None = None) -> list[str]:
        """Words sampled after ``prompt`` with the current weights (``probe.generate``; seed: the lesson's)."""
        return generate(self.config, self.numpy_weights(), self.corpus, prompt, n_words, temperature,
                        self.hp["seed"] if seed is None else seed)

    def _text(self) -> TextData:
        temperature, t = float(self.hp["temperature"]), self.last_step
        key = (tuple(self.prompt_words), temperature)
        if self._text_cache is None or self._text_cache[0] != key or t - self._text_cache[1] >= GEN_EVERY:
            words = self.generate(self.prompt_words, GEN_WORDS, temperature)
            how = "greedy: the most likely word each time" if temperature == 0 else f"sampled at temperature {temperature:g}"
            note = f"step {t}, {how}, {self.corpus.name}"
            self._text_cache = (key, t, TextData(list(self.prompt_words), words, temperature, t, note))
        return self._text_cache[2]

    def probe(self) -> dict[str, np.ndarray]:
        """``probe.replay`` of the last batch (both engines, on the NumPy model), cached per step and setting."""
        key = (self.last_step, self.hp["grad_probe"] == "last_loss")
        if self._probe_cache is None or self._probe_cache[0] != key:
            self._probe_cache = (key, replay(self.config, self.numpy_weights(), self._last, key[1]))
        return self._probe_cache[1]

    def snapshot(self) -> dict[str, PlotData]:
        return replay_views(self.probe(), self.config.cell) | {"generated": self._text()}

    # ---- checkpoints --------------------------------------------------------------------------------------
    def load_checkpoint_state(self, state: dict) -> None:
        """Weights and optimizer state (checked by the trainer); the hidden state restarts from zero, and so does
        train_ppl's window (its losses were of the weights before the load)."""
        super().load_checkpoint_state(state)
        (self.trainer.model if self.net is None else self.net).reset_state()
        self.trainer.recent.clear()
        self._probe_cache = self._text_cache = None

    def close(self) -> None:
        self._probe_cache = self._text_cache = None
        super().close()


LESSON = RnnLanguageModel
