"""Lesson ``rnn_lm``: RNN, LSTM and GRU language models trained with truncated BPTT (Qt-free).

A word-level language model reads a corpus and learns p(wₜ₊₁ | w₁ … wₜ).  The model is the book's ``Rnnlm`` /
``BetterRnnlm`` (Saitoh, *Deep Learning from Scratch 2*, ch. 5-6; Yoon, ch. 10-11), on the NumPy engine
(``network.py``) or in PyTorch (``torch_net.py``), with the same weights, batches and dropout masks.  Data: the
app's generated English-like corpus, a Penn Treebank folder the user picks, or the Penn Treebank downloaded once
(offline: a notice and the generated corpus).  Views: perplexity (train and validation), the gradient norm before
clipping, the hidden states and gate activations of one sequence, ‖∂L/∂hₜ‖ back through time, and text sampled
from a prompt with a temperature.
"""
from __future__ import annotations

import difflib
import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from lessons.rnn_lm.data import (EOS, UNK, BatchStream, LmCorpus, generated_corpus, perplexity, sample_next)
from lessons.rnn_lm.narrative import NARRATIVE
from lessons.rnn_lm.network import (CELLS, GATE_NAMES, LmConfig, NumpyLm, gate_activations, init_weights,
                                    weight_names)
from visualizer.data.download import DownloadError
from visualizer.data.ptb import PtbFormatError, fetch_ptb, load_ptb_folder, to_ids
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, PathParam, TextParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import BarsData, ImageData, ImageGridData, PlotData, PlotSpec, TextData
from visualizer.scratch.clipping import clip_grads
from visualizer.scratch.optimizers import make_optimizer
from lessons.rnn_lm import INFO

DATASETS = ("generated", "ptb_folder", "ptb_download")
MAX_UNITS = 64              # hidden units shown in the hidden-state heatmap
MAX_GATE_UNITS = 32         # hidden units shown per gate tile (tiles stay near square, captions readable)
VAL_TOKENS = 10_000         # validation slice evaluated every eval_every steps
EVAL_BATCH = 10             # the book's eval_perplexity batch size
GEN_WORDS = 40              # words generated after the prompt
GEN_EVERY = 25              # regenerate the text at most every this many steps (unless prompt/temperature change)
PPL_WINDOW = 20             # train perplexity: exp of the mean loss of the last steps (the book's eval_interval)


@dataclass
class _LastBatch:
    """What the views replay: the last training batch (N, T) and the state each layer started it from."""

    xs: np.ndarray
    ts: np.ndarray
    state: list = field(default_factory=list)


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
                          "its folder is used, or type the folder's path."),
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
        PlotSpec("perplexity", "Perplexity", "curves", series=("train_ppl", "val_ppl"), x_label="step",
                 y_label="perplexity", log_y=True,
                 tooltip="exp(mean cross-entropy): the number of words the model hesitates between. Training: the "
                         "last 20 batches; validation: a stateful pass over the first 10,000 validation words. A "
                         "uniform guess scores the vocabulary size."),
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

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.corpus = self._load_corpus()
        V = self.corpus.vocab_size
        try:
            self.config = LmConfig(V, hp["embed_size"], hp["hidden_size"], hp["cell"], hp["layers"], hp["dropout"],
                                   hp["tie_weights"])
        except ValueError:
            raise LessonConfigError(
                f"Weight tying shares the embedding matrix (V×D) with the output layer (H×V), so it needs "
                f"Embedding size = Hidden size (now {hp['embed_size']} and {hp['hidden_size']}): set them equal "
                "or turn Weight tying off.") from None
        try:
            self.stream = BatchStream(self.corpus.train, hp["batch_size"], hp["time_size"])
        except ValueError as e:
            raise LessonConfigError(f"The training text is too short: {e}.") from None
        self.val_slice = self.corpus.valid[:VAL_TOKENS]
        if (len(self.val_slice) - 1) // (EVAL_BATCH * hp["time_size"]) < 1:
            raise LessonConfigError(f"The validation text ({len(self.val_slice):,} words) is shorter than one "
                                    f"evaluation batch of {EVAL_BATCH} × {hp['time_size']}: lower BPTT length T or "
                                    "use a larger corpus.")
        self.eval_every = int(min(100, max(10, self.stream.steps_per_epoch // 3)))
        self.t = 0
        self.drop_rng = np.random.default_rng([hp["seed"], 1])     # dropout masks (both engines draw alike)
        weights = init_weights(self.config, hp["seed"])
        self.engine = hp["engine"]
        if self.engine == "torch":
            from lessons.rnn_lm.torch_net import TorchTrainer

            self.trainer = TorchTrainer(self.config, weights, self.drop_rng, hp["optimizer"], hp["lr"], hp["device"])
            self.net = None
        else:
            self.net = NumpyLm(self.config, weights, self.drop_rng)
            self.optimizer = make_optimizer(hp["optimizer"], self.net.params, self.net.grads, hp["lr"])
        self._losses: deque[float] = deque(maxlen=PPL_WINDOW)
        xs, ts = self.stream.peek()
        self._last = _LastBatch(xs, ts, [(None, None)] * self.config.layers)
        self.prompt_words = self._initial_prompt(hp["prompt"])
        self._probe_cache: tuple | None = None
        self._text_cache: tuple | None = None

    # ---- data ---------------------------------------------------------------------------------------------
    def _load_corpus(self) -> LmCorpus:
        hp = self.hp
        name = hp["dataset"]
        if name == "ptb_folder":
            try:
                return self._ptb(load_ptb_folder(hp["ptb_folder"]), "Penn Treebank (folder)")
            except PtbFormatError as e:
                raise LessonConfigError(str(e)) from None
        if name == "ptb_download":
            try:
                folder = fetch_ptb(progress=self.context.progress)
                self.context.progress("Reading the Penn Treebank", None)
                return self._ptb(load_ptb_folder(folder), "Penn Treebank")
            except DownloadError as e:
                self.context.notice(f"Could not download the Penn Treebank ({e.reason}): using the generated "
                                    "corpus instead. To use a copy you have, choose ptb_folder.")
            except PtbFormatError as e:
                self.context.notice(f"The cached Penn Treebank is damaged ({e}): using the generated corpus.")
        try:
            return generated_corpus(hp["corpus_tokens"], hp["vocab_size"], hp["seed"])
        except ValueError as e:
            raise LessonConfigError(f"Cannot generate the corpus: {e}.") from None

    @staticmethod
    def _ptb(tokens: dict, name: str) -> LmCorpus:
        c = to_ids(tokens)
        return LmCorpus(f"{name} ({len(c.train):,} training words, {c.vocab_size:,} words)", c.train, c.valid,
                        c.test, c.word_to_id, c.id_to_word)

    @property
    def steps_per_epoch(self) -> int:
        return self.stream.steps_per_epoch

    # ---- training -----------------------------------------------------------------------------------------
    def _state(self) -> list:
        return self.trainer.model.state_numpy() if self.net is None else self.net.state()

    def train_step(self) -> dict[str, float]:
        xs, ts = self.stream.next_batch()
        max_norm = float(self.hp["max_grad_norm"])
        if self.net is None:
            self._last = _LastBatch(xs, ts, list(self.trainer.model.states))    # torch tensors, converted lazily
            loss, norm = self.trainer.step(xs, ts, max_norm)
        else:
            self._last = _LastBatch(xs, ts, self.net.state())
            loss = self.net.forward(xs, ts, train=True)
            self.net.backward()
            if max_norm > 0:
                norm = clip_grads(self.net.grads, max_norm)
            else:
                norm = math.sqrt(sum(float(np.vdot(g, g)) for g in self.net.grads))
            self.optimizer.step()
        self.t += 1
        self._losses.append(loss)
        out = {"train_loss": float(loss), "train_ppl": float(math.exp(min(np.mean(self._losses), 700.0)))
               if np.isfinite(loss) else float("nan"), "grad_norm": float(norm)}
        if max_norm > 0:
            out["clip_threshold"] = max_norm
        return out

    def evaluate(self) -> dict[str, float]:
        """Validation perplexity: a stateful pass over the validation slice from a zero state, in evaluation mode;
        the training state is kept aside and restored."""
        T = self.hp["time_size"]
        if self.net is None:
            model = self.trainer.model
            saved = model.states
            model.reset_state()
            ppl = perplexity(self.trainer.loss, self.val_slice, EVAL_BATCH, T)
            model.states = saved
        else:
            saved = self.net.state()
            self.net.reset_state()
            ppl = perplexity(lambda xs, ts: self.net.forward(xs, ts, train=False), self.val_slice, EVAL_BATCH, T)
            self.net.set_state(saved)
        return {"val_ppl": ppl, "val_loss": float(math.log(ppl))}

    def test_perplexity(self) -> float:
        """Perplexity on the whole test split (the Penn Treebank's; the validation split otherwise), from a zero
        state, batch 10, as the book reports it.  The training state is restored afterwards."""
        corpus = self.corpus.test if self.corpus.test is not None else self.corpus.valid
        T = self.hp["time_size"]
        if self.net is None:
            saved = self.trainer.model.states
            self.trainer.model.reset_state()
            ppl = perplexity(self.trainer.loss, corpus, EVAL_BATCH, T)
            self.trainer.model.states = saved
            return ppl
        saved = self.net.state()
        self.net.reset_state()
        ppl = perplexity(lambda xs, ts: self.net.forward(xs, ts, train=False), corpus, EVAL_BATCH, T)
        self.net.set_state(saved)
        return ppl

    def set_live(self, name, value) -> None:
        if name == "prompt":
            words = self.prompt_to_words(value)        # raises LessonConfigError before anything changes
            super().set_live(name, value)
            self.prompt_words = words
            return
        super().set_live(name, value)
        if name == "lr":
            if self.net is None:
                self.trainer.set_lr(value)
            else:
                self.optimizer.lr = value

    def divergence_hint(self) -> str:
        if self.hp["max_grad_norm"] == 0:
            return ("The gradients exploded: without clipping one large gradient throws the weights far away. Set "
                    "Gradient clipping to 0.25 (the book's value) or lower the learning rate, then press Reset (R).")
        return (f"The learning rate ({self.hp['lr']:g}) is too high for this model even with clipping: lower it "
                "(SGD: about 20, Adam: about 0.001) and press Reset (R).")

    # ---- prompt and generation ----------------------------------------------------------------------------
    def prompt_to_words(self, text: str) -> list[str]:
        """The prompt's words, lower-cased.  Raises LessonConfigError naming the words the vocabulary lacks, with
        close matches."""
        words = str(text).lower().split()
        vocab = self.corpus.word_to_id
        unknown = [w for w in dict.fromkeys(words) if w not in vocab]
        if not unknown:
            return words
        parts = []
        for w in unknown[:5]:
            close = difflib.get_close_matches(w, vocab.keys(), n=3, cutoff=0.6)
            parts.append(f"'{w}'" + (f" (did you mean {', '.join(close)}?)" if close else ""))
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise LessonConfigError(f"The prompt uses words the model does not know: {'; '.join(parts)}{more}. "
                                f"Use words of the {self.corpus.vocab_size:,}-word vocabulary; the previous prompt "
                                "stays.")

    def _initial_prompt(self, text: str) -> list[str]:
        try:
            return self.prompt_to_words(text)
        except LessonConfigError as e:
            known = [w for w in str(text).lower().split() if w in self.corpus.word_to_id]
            self.context.notice(f"{e} Generating from {' '.join(known) or 'a sentence start'} instead.")
            return known

    def _numpy_weights(self) -> dict[str, np.ndarray]:
        return self.trainer.model.weights_numpy() if self.net is None else self.net.weights

    def generate(self, prompt: list[str], n_words: int = GEN_WORDS, temperature: float = 1.0,
                 seed: int | None = None) -> list[str]:
        """Words sampled after ``prompt`` (words of the vocabulary; empty: start of a sentence), each fed back as
        the next input, with the current weights in evaluation mode (no dropout), from a zero state.  Deterministic
        for a given seed (default: the lesson's).  ``<unk>`` is never generated (the book skips it too)."""
        net = NumpyLm(self.config, self._numpy_weights())
        w2i, i2w = self.corpus.word_to_id, self.corpus.id_to_word
        ids = [w2i[w] for w in prompt] or [w2i.get(EOS, 0)]
        rng = np.random.default_rng(self.hp["seed"] if seed is None else seed)
        skip = (w2i[UNK],) if UNK in w2i else ()
        logits = net.logits(np.asarray([ids], dtype=np.int32))[0, -1]           # (V,)
        out = []
        for _ in range(n_words):
            nxt = sample_next(logits, temperature, rng, skip)
            out.append(i2w[nxt])
            logits = net.logits(np.asarray([[nxt]], dtype=np.int32))[0, -1]
        return out

    def _text(self) -> TextData:
        temperature = float(self.hp["temperature"])
        key = (tuple(self.prompt_words), temperature)
        if self._text_cache is None or self._text_cache[0] != key or self.t - self._text_cache[1] >= GEN_EVERY:
            words = self.generate(self.prompt_words, GEN_WORDS, temperature)
            how = "greedy: the most likely word each time" if temperature == 0 else f"sampled at temperature {temperature:g}"
            note = f"step {self.t}, {how}, {self.corpus.name}"
            self._text_cache = (key, self.t, TextData(list(self.prompt_words), words, temperature, self.t, note))
        return self._text_cache[2]

    # ---- views --------------------------------------------------------------------------------------------
    def _last_state_numpy(self) -> list:
        state = []
        for s in self._last.state:
            if s is None or (isinstance(s, tuple) and s[0] is None):
                state.append((None, None))
            elif isinstance(s, tuple) and isinstance(s[0], np.ndarray):
                state.append(s)
            elif isinstance(s, tuple):                                        # torch LSTM (h, c), (1, N, H)
                state.append((s[0][0].detach().cpu().numpy(), s[1][0].detach().cpu().numpy()))
            else:                                                             # torch RNN/GRU h, (1, N, H)
                state.append((s[0].detach().cpu().numpy(), None))
        return state

    def probe(self) -> dict[str, np.ndarray]:
        """Replay the last batch with the current weights in evaluation mode (NumPy, both engines): hidden (T, H)
        and gates (T, G·H) of the last layer for the first sequence, grad_norms (T,) = ‖∂L/∂h_t‖ of the last
        layer (see the grad_probe setting).  Cached per step and setting."""
        last_only = self.hp["grad_probe"] == "last_loss"
        key = (self.t, last_only)
        if self._probe_cache is not None and self._probe_cache[0] == key:
            return self._probe_cache[1]
        w = self._numpy_weights()
        net = NumpyLm(self.config, w)
        state = self._last_state_numpy()
        net.set_state(state)
        net.forward(self._last.xs, self._last.ts, train=False)
        norms = net.backward_probe(last_only)
        k = self.config.layers
        x, h = net.layer_inputs[-1][0], net.layer_outputs[-1][0]                 # (T, D_in), (T, H)
        h0 = state[-1][0][0] if state[-1][0] is not None else np.zeros(h.shape[1], h.dtype)
        out = {"hidden": h.copy(), "gates": gate_activations(self.config.cell, w, k, x, h, h0),
               "grad_norms": norms, "words": [self.corpus.id_to_word[int(i)] for i in self._last.xs[0]]}
        self._probe_cache = (key, out)
        return out

    def snapshot(self) -> dict[str, PlotData]:
        p = self.probe()
        T, H = p["hidden"].shape
        n = min(MAX_UNITS, H)
        hidden = ImageData(np.ascontiguousarray(p["hidden"][:, :n].T, dtype=np.float32), (1.0, float(T), 0.0, n - 1.0),
                           (-1.0, 1.0), "CET-D1", x_label="time step t", y_label="hidden unit",
                           colorbar_label="h")
        cell = self.config.cell
        n = min(MAX_GATE_UNITS, H)
        if cell == "rnn":
            tiles = p["gates"][:, :n].T[None]                                    # (1, n, T)
            captions = ["no gates: an RNN has only h = tanh(x Wx + h Wh + b)"]
        else:
            G = len(GATE_NAMES[cell])
            tiles = np.stack([p["gates"][:, g * H:g * H + n].T for g in range(G)])   # (G, n, T)
            captions = list(GATE_NAMES[cell])
        gates = ImageGridData(np.ascontiguousarray(tiles, dtype=np.float32), captions, (-1.0, 1.0), "CET-D1",
                              ncols=2 if len(tiles) == 4 else len(tiles))
        labels = [f"{t + 1}" for t in range(T)]
        norms = np.maximum(p["grad_norms"], 1e-30)
        return {
            "hidden": hidden,
            "gates": gates,
            "grad_time": BarsData(labels, norms, y_label="‖∂L/∂h_t‖"),
            "generated": self._text(),
        }

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last step's gradients (after clipping) by weight name, float64 copies (both engines)."""
        if self.net is None:
            return self.trainer.model.grads_numpy()
        return {n: g.astype(np.float64) for n, g in zip(self.net.names, self.net.grads)}

    # ---- checkpoints --------------------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self._numpy_weights().items()}

    def load_checkpoint_state(self, state: dict) -> None:
        names = weight_names(self.config)
        current = self._numpy_weights()
        problems = [n for n in names if n not in state or np.shape(state[n]) != current[n].shape]
        if problems or set(state) != set(names):
            raise LessonConfigError(
                "The checkpoint does not fit this model (cell, layers, sizes, weight tying and vocabulary must be "
                f"those it was saved with; mismatched: {', '.join(problems or sorted(set(state) ^ set(names)))}).")
        w = {n: np.asarray(state[n], dtype=np.float32) for n in names}
        if self.net is None:
            self.trainer.model.load_weights(w)
            self.trainer.model.reset_state()
        else:
            for n in names:
                self.net.weights[n][...] = w[n]
            self.net.reset_state()
        self._probe_cache = self._text_cache = None

    def close(self) -> None:
        self._probe_cache = self._text_cache = None


LESSON = RnnLanguageModel
