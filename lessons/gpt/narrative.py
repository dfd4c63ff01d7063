"""The plots and the story of the ``gpt`` lesson (Radford et al. 2018/2019; Chollet, *Deep Learning with Python*
2e ch. 12.1; Vaswani et al. 2017 for the attention)."""
from visualizer.core.lesson import NarrativeStep
from visualizer.core.plotdata import PlotSpec

PLOTS = (
    PlotSpec("attention", "Attention over the prompt (causal)", "attention", main="tall",
             tooltip="Every head's attention weights for the prompt, from one forward pass with the current "
                     "weights. Row i: how much character i attends to each character j. The causal mask hides "
                     "every j > i, so the upper triangle is empty: a character never sees the future. Click a "
                     "small map to pick a layer and head."),
    PlotSpec("loss", "Loss (nats per character)", "curves", series=("train_loss", "val_loss"), x_label="step",
             y_label="cross-entropy (nats/char)", y_range=(),
             tooltip="Mean cross-entropy −ln p(next character): train, the batches since the last redraw; val, 64 "
                     "fixed windows of the held-out last 10% of the book. Divide by ln 2 = 0.693 for bits per "
                     "character; e^loss is the perplexity. Guessing uniformly among the 71 characters scores "
                     "ln 71 = 4.26."),
    PlotSpec("samples", "Sample at the temperature and top-k", "text",
             tooltip="The prompt (bold) continued by the model one character at a time, each sampled from "
                     "p ∝ exp(logit / τ) over the top-k characters and fed back. Regenerated when a setting "
                     "changes and every 200 steps."),
    PlotSpec("next_char", "Next-character probabilities", "bars", x_label="character (␣ space, ⏎ line break)",
             y_label="probability", y_range=(0.0, 1.0),
             tooltip="The model's probabilities for the character after the prompt, at the temperature and top-k "
                     "of the sampler (the 15 most likely). Temperature 0 puts everything on one character."),
    PlotSpec("history", "Samples as it trains", "text",
             tooltip="A sample kept at steps 0, 100, 500, 1000, 2000, 3000, 5000, …, newest first, each from a line "
                     "break with the same seed and temperature 0.8, with the validation loss at that step."),
)

NARRATIVE = (
    NarrativeStep(
        "A GPT that writes one character at a time",
        "A **GPT** (Radford et al. 2018, 2019) is a stack of Transformer blocks that predicts the next token from "
        "the ones before it. Here a token is one character of the four Gospels (King James Version, 437,514 "
        "characters, 71 distinct ones); the last 10% is held out for validation.\n\n"
        "Each character becomes a vector (a learned **token embedding**) plus a learned **position embedding**; "
        "four pre-norm blocks of masked self-attention and a feed-forward layer mix them; a final layer norm and a "
        "linear head (its matrix *is* the token embedding: **weight tying**) give 71 scores for the next "
        "character at every position. The sizes are nanoGPT's small CPU configuration: 4 layers, 4 heads, "
        "d_model 128, 64 characters of context.\n\n"
        "Untrained, the model spreads its probability evenly: **Sample** is noise, and **Samples as it trains** "
        "holds that first sample (step 0). Press **Next** to train.",
        plots=("loss", "samples", "history", "next_char"),
    ),
    NarrativeStep(
        "Nats per character",
        "The loss is the cross-entropy −ln p(next character), averaged over every position of every window: "
        "**nats per character**. Guessing uniformly among 71 characters costs ln 71 = 4.26 nats. Divide by "
        "ln 2 for **bits per character** (1.5 nats = 2.2 bits); e^loss is the **perplexity**, the number of "
        "characters the model hesitates between (1.5 nats: about 4.5).\n\n"
        "We train 500 steps of 12 windows. Within 100 steps the loss falls to about 2.3 nats: the model knows how "
        "often each letter occurs and which letters follow which. The next gains come from longer context: "
        "spelling, then words. On this machine (one thread) it measured 1.9 nats after 500 steps.",
        plots=("loss", "samples", "history", "next_char"),
        run_steps=500,
    ),
    NarrativeStep(
        "The causal mask",
        "In a block, each character's query is compared with every key: softmax(QKᵀ/√d_k) gives the weights. "
        "A language model must not peek at the character it is asked to predict, so the **causal mask** sets "
        "the score of every later position to −∞ before the softmax: row i of each map has weights only up to "
        "column i, and the upper triangle stays empty.\n\n"
        "Type a **Prompt** and watch every layer × head. Look for maps with a bright band along the diagonal "
        "(heads that read the last character or two) and maps with bright columns (every character reading the "
        "same few positions, such as the spaces). Click a map (or set **Attention head**) and switch "
        "**Attention view** to *head* or *neuron* to see one head in detail.",
        plots=("attention", "loss", "next_char"),
        train_until=1000,
    ),
    NarrativeStep(
        "Temperature and top-k",
        "To write, the model samples a character from its distribution, appends it and reads again. **Temperature** "
        "τ divides the scores before the softmax (Chollet ch. 12.1): τ < 1 sharpens the distribution (safe, "
        "repetitive), τ > 1 flattens it (adventurous, misspelled); τ = 0 always takes the most likely character "
        "and soon loops. **Top-k** keeps only the k most likely characters, cutting off the unlikely tail.\n\n"
        "Move the sliders: the bars and the sample change at once, with the same weights.",
        plots=("samples", "next_char", "attention"),
    ),
    NarrativeStep(
        "From noise to words",
        "Keep training. **Samples as it trains** keeps one sample at each milestone, with the same seed and "
        "temperature. In a measured run: at step 100 letter soup with spaces and capitals at line starts (*And "
        "averis indend*); by 500 real short words (*And*, *him*, *unto them*); by 1000 the book's phrases (*the "
        "chief*, *a man*); by 3000 verses that read like the book until you follow the sense (*and said unto him, "
        "There that chief the camests out.*). The model is never told where a word ends: spelling comes from "
        "characters alone.\n\n"
        "Measured with one thread on a shared 2-core CPU (benchmarks/bench_gpt.py): validation loss 1.94, 1.53, "
        "1.35, 1.28 and 1.24 nats per character after 1 to 5 minutes (4,163 steps; 1.24 nats = 1.79 bits per "
        "character, perplexity 3.5); 4,163 steps of 12 × 64 characters are about 8 passes over the training text. "
        "Watch the gap between the training and validation curves: when it opens, the model has begun to "
        "memorise the training text rather than learn the language.",
        plots=("history", "loss", "samples"),
        run_steps=2000,
    ),
)
