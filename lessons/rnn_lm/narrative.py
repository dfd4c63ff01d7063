"""The story of the ``rnn_lm`` lesson (Saitoh, *Deep Learning from Scratch 2*, ch. 5-6; Yoon, ch. 10-11)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "A language model",
        "A **language model** gives the probability of a sentence word by word:\n\n"
        "  P(w₁ … w_T) = Π_t P(w_t | w₁ … w_{t−1})\n\n"
        "A recurrent network reads one word at a time. Each word id becomes a vector x_t (the **embedding**, a row "
        "of a V×D matrix), the recurrent cell folds it into its **hidden state** h_t, and an affine layer turns h_t "
        "into V scores, one per word of the vocabulary; softmax makes them probabilities for the *next* word. The "
        "loss at step t is the cross-entropy −log P(w_{t+1}), averaged over the batch and the T steps.\n\n"
        "The corpus here is generated English-like text (a small grammar with Zipf-distributed words, sentences "
        "separated by <eos>), so an epoch takes seconds. Before training the model samples words at random: look "
        "at **Generated text**. Press **Next** to train.",
        set_params={"dataset": "generated", "cell": "lstm", "layers": 1, "dropout": 0.0, "tie_weights": False,
                    "optimizer": "sgd", "lr": 20.0, "max_grad_norm": 0.25},
        plots=("perplexity", "generated"),
    ),
    NarrativeStep(
        "Perplexity",
        "The book measures a language model by its **perplexity**, the exponential of the mean cross-entropy:\n\n"
        "  PP = exp( −(1/N) Σ log P(w_{t+1} | w₁ … w_t) )\n\n"
        "It reads as *the number of words the model hesitates between*. A model that knows nothing spreads its "
        "probability evenly and scores PP = V (1,000 here); one that always knows the next word scores 1. We just "
        "trained 150 steps: the training perplexity (last 20 batches) and the validation perplexity (text the model "
        "never trains on) fall together. On the Penn Treebank the book's LSTM reaches about 136 after 4 epochs, its "
        "better model about 75.\n\n"
        "The generated text already follows the grammar's patterns: a determiner, then a noun, then a verb.",
        plots=("perplexity", "generated"),
        run_steps=150,
    ),
    NarrativeStep(
        "Backpropagation through time, truncated",
        "Unrolled over time, a recurrent network is a deep network with one layer per word, all sharing the same "
        "weights W_x, W_h, b. **Backpropagation through time** (BPTT) is ordinary backpropagation through this "
        "unrolled graph; the weight gradients add up over the steps.\n\n"
        "A corpus of a million words cannot be unrolled at once, so it is cut into blocks of **T** words "
        "(*BPTT length*): the backward pass stops at the block's start (**truncated BPTT**), but the forward pass "
        "does not: the last hidden state of one block is the first of the next (the layers are *stateful*). For "
        "that, the N rows of a batch read N places of the corpus evenly spaced, each continuing where it stopped.\n\n"
        "**Hidden state over time** shows h_t of the first row of the last batch (units × time steps): some units "
        "flip with every word, others hold a value for several words.",
        plots=("perplexity", "hidden"),
        run_steps=100,
    ),
    NarrativeStep(
        "Vanishing and exploding gradients",
        "For a plain RNN, h_t = tanh(x_t W_x + h_{t−1} W_h + b), the gradient travels back one step as\n\n"
        "  ∂L/∂h_{t−1} = (∂L/∂h_t ⊙ (1 − h_t²)) W_hᵀ\n\n"
        "so going back k steps multiplies it k times by W_hᵀ (and by tanh′ ≤ 1). If W_h's largest singular value "
        "is below 1 the gradient **vanishes** exponentially, above 1 it can **explode**. Then the loss of one word "
        "cannot teach the network about words far before it.\n\n"
        "We switched to the plain **rnn** cell (with learning rate 5: at 20 it does not learn). **Gradient back through time** shows ‖∂L_T/∂h_t‖: how much the last "
        "word's loss reaches each earlier step. Watch the bars fall off to the left; compare with the lstm cell "
        "later.",
        set_params={"cell": "rnn", "lr": 5.0, "grad_probe": "last_loss"},
        plots=("perplexity", "grad_time", "hidden"),
        run_steps=150,
    ),
    NarrativeStep(
        "Gradient clipping",
        "Exploding gradients have a blunt remedy (Pascanu, Mikolov & Bengio 2013): if the norm of all gradients "
        "together exceeds a threshold θ, scale them down to it:\n\n"
        "  if ‖g‖ > θ:  g ← g · θ / ‖g‖\n\n"
        "The direction is kept, only the step is shortened. The book trains its language models with SGD at the "
        "large learning rate 20 and θ = 0.25: almost every step is clipped, which makes the step length nearly "
        "fixed at 20 × 0.25 = 5.\n\n"
        "**Gradient norm before clipping** plots ‖g‖ and θ. Move the **Gradient clipping** slider while training; "
        "set it to 0 (off) with the rnn cell and the perplexity soon shoots up: the run diverges.",
        plots=("perplexity", "grad_norm", "grad_time"),
        run_steps=100,
    ),
    NarrativeStep(
        "LSTM: gates and a memory cell",
        "The LSTM (Hochreiter & Schmidhuber 1997) adds a memory c_t and three **gates** computed from x_t and "
        "h_{t−1}, each a sigmoid in (0, 1):\n\n"
        "  i, f, o = σ(x_t W_x + h_{t−1} W_h + b)  (input, forget, output)\n"
        "  g = tanh(…)  (the candidate)\n"
        "  c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)\n\n"
        "The memory is updated by *addition*, so ∂c_t/∂c_{t−1} = f: the gradient flows back through the forget "
        "gate alone, without repeated multiplication by W_h. Where f stays near 1 the memory keeps information and "
        "its gradient for many steps.\n\n"
        "**Gate activations** shows i, f, g, o of the first units at every step. The book starts every bias at 0, "
        "so f starts near σ(0) = 0.5 and the memory halves at each step: early in training **Gradient back through "
        "time** still falls steeply; it flattens where training teaches the forget gate to stay open (many "
        "implementations start the forget bias at 1 for that reason, Jozefowicz et al. 2015).",
        set_params={"cell": "lstm", "lr": 20.0, "max_grad_norm": 0.25},
        plots=("perplexity", "gates", "grad_time"),
        run_steps=150,
    ),
    NarrativeStep(
        "GRU, dropout and weight tying",
        "The **GRU** (Cho et al. 2014) keeps the gating with fewer weights and no separate memory:\n\n"
        "  r = σ(x W_xr + h W_hr + b_r),  z = σ(x W_xz + h W_hz + b_z)\n"
        "  n = tanh(x W_xn + b_n + r ⊙ (h W_hn + b_hn)),  h′ = (1 − z) ⊙ n + z ⊙ h\n\n"
        "z chooses between keeping h and taking the candidate n; r decides how much of h the candidate sees.\n\n"
        "The book's **BetterRnnlm** improves the LSTM model three ways: two stacked layers, **dropout** between the "
        "layers (not along time, Zaremba et al. 2014), and **weight tying**: the output layer reuses the embedding "
        "matrix transposed (Press & Wolf 2017), which needs D = H and removes V·H weights. Try Recurrent layers 2, "
        "Dropout 0.5 and Weight tying (then press Reset): validation perplexity gets better once the plain model "
        "starts to overfit.",
        set_params={"cell": "gru"},
        plots=("perplexity", "gates", "grad_norm"),
        run_steps=150,
    ),
    NarrativeStep(
        "Sampling text with a temperature",
        "To generate, feed the prompt, then repeatedly draw the next word from the model's distribution and feed it "
        "back in. A **temperature** τ reshapes the distribution:\n\n"
        "  p_i ∝ exp(s_i / τ)\n\n"
        "τ = 1 samples the model as it is; τ → 0 always takes the most likely word (repetitive, safe); τ > 1 "
        "flattens the distribution (surprising, soon ungrammatical).\n\n"
        "Type a **Prompt** of known words (a word the vocabulary lacks is refused, with suggestions) and move "
        "**Temperature** while training. With a Penn Treebank folder (Corpus: ptb_folder) the model learns real "
        "news English; the book's LSTM reaches a test perplexity near 136 after 4 epochs there.",
        set_params={"cell": "lstm", "temperature": 0.7},
        plots=("perplexity", "generated"),
        run_steps=100,
    ),
)
