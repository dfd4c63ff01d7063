"""The story of the ``seq2seq`` lesson: the addition task, the encoder-decoder, and two improvements run in
turn (every run stays on the accuracy curves, faded, after the next Reset)."""
from visualizer.core.lesson import NarrativeStep

STEPS_PER_RUN = 3000
SNAPSHOT = "peeky_reversed_3000_steps"   # snapshots/<this>.<engine>.npz: peeky + reversed, STEPS_PER_RUN steps

NARRATIVE = (
    NarrativeStep(
        "Addition as translation",
        "Can a network learn to add by reading? Each example is text: the question `16+75` and the answer "
        "`91`, written character by character. The vocabulary has only 13 symbols: the digits, `+`, the "
        "space used as padding and `_`, which marks the start of an answer.\n\n"
        "Every question is padded to 7 characters and every answer to 5 (`_91  `), so a whole batch is one "
        "integer array: questions **xs** (N, 7) and answers **ts** (N, 5). 50,000 examples are generated "
        "(as in the book's `addition.txt`); 10 % are held out as the **test set**.\n\n"
        "The network knows nothing about numbers: to it `1` and `7` are just two rows of an embedding "
        "matrix. The table on the right shows its first answers: all wrong.",
        set_params={"variant": "baseline"},
        plots=("predictions", "accuracy"),
    ),
    NarrativeStep(
        "Encoder and decoder",
        "**seq2seq** joins two LSTMs. The **encoder** reads the question, x₁ … x₇ → h₁ … h₇, and keeps only "
        "its last hidden state **h** = h₇: the whole question as one vector of H = 128 numbers.\n\n"
        "The **decoder** is a language model started from that state: its LSTM begins with h₀ = h, reads "
        "`_` and is trained to output `9`, reads `9` and outputs `1`, and so on. During training it reads "
        "the *true* previous character (**teacher forcing**); the loss is the cross-entropy of each "
        "answer character,  L = −(1/T) Σₜ log p(yₜ | y₍<t₎, h).\n\n"
        "To answer a new question it feeds back its own choice, the **greedy** argmax at each step. A "
        "question counts as right only if the whole answer matches, padding included.\n\n"
        f"This step trains the baseline for {STEPS_PER_RUN:,} steps (Adam, learning rate 0.001, gradients "
        "clipped at norm 5; the bar under the title shows how far). The loss falls, yet the accuracy stays "
        "low: it knows the *length* and the first digit roughly, not the sum.",
        set_params={"variant": "baseline"},
        plots=("accuracy", "loss", "predictions"),
        run_steps=STEPS_PER_RUN,
    ),
    NarrativeStep(
        "Reversed input",
        "Sutskever, Vinyals & Le (2014) found a trick that looks too simple to work: **feed the question "
        "backwards**. `16+75` becomes `57+61`.\n\n"
        "Why it helps: the decoder's first characters depend most on the digits it must combine first, "
        "and reversed, those digits sit right before the hand-over; the gradient from the first answer "
        "characters reaches them through fewer LSTM steps. The average distance stays the same, but the "
        "short paths make the start of learning much easier.\n\n"
        f"The lesson has reset with **variant = reversed** and trains {STEPS_PER_RUN:,} steps. The "
        "baseline's curve stays drawn, faded: compare. (The book measured 10 % → 54 % after 25 epochs.)",
        set_params={"variant": "reversed"},
        plots=("accuracy", "loss", "predictions"),
        run_steps=STEPS_PER_RUN,
    ),
    NarrativeStep(
        "The peeky decoder",
        "In the plain decoder, h enters only once, as the initial state, and must survive every step of "
        "the decoder's LSTM. The **peeky** decoder gives it to *every* step: the input of its LSTM at "
        "step t is [h ; embed(yₜ₋₁)] (H + D numbers) and its affine layer reads [h ; hₜ] (2H numbers).\n\n"
        "More weights, and a shorter path from the question to each output. Its gradient with respect to "
        "h is the sum over all the places h was used:  ∂L/∂h = ∂L/∂h₀ + Σₜ ∂L/∂h|ₜ.\n\n"
        f"Now **peeky + reversed**, {STEPS_PER_RUN:,} steps: once the bar under the title is full, its curve "
        "has climbed far above the other two. Watch the sample answers start to turn green. (The book: 98 % after 25 epochs.)",
        set_params={"variant": "peeky+reversed"},
        plots=("accuracy", "loss", "predictions"),
        run_steps=STEPS_PER_RUN,
        snapshot=SNAPSHOT,
    ),
    NarrativeStep(
        "Which mistakes remain?",
        "Look at the red rows. The errors are rarely wild: usually one digit off, most often where a "
        "**carry** travels through several digits (`599+1`), the part of addition that needs the most "
        "memory of what came before.\n\n"
        "Press Play to train longer; after about 25 epochs (one epoch is 352 steps of 128 questions) the "
        "book's peeky seq2seq with reversed input answers about 98 % of the test questions correctly.\n\n"
        "Try on your own: **variant = peeky** alone, a smaller **Hidden size H** (16 or 32: how much room "
        "does addition need?), or **Gradient clipping** 0.",
        plots=("accuracy", "predictions"),
        train_until=STEPS_PER_RUN,       # the red rows of a trained model, not of an untrained one
        snapshot=SNAPSHOT,
    ),
    NarrativeStep(
        "Your own task",
        "Any character-level task in the same format works: one example per line, question and answer "
        "split by the first `_`, padded with spaces to fixed widths, for instance\n\n"
        "`abc    _cba   `   (reverse a word)\n\n"
        "Choose it with **Task file** and press Reset. The lesson checks the file: a line without `_` or a "
        "line of another width is reported with its line number, and the previous run keeps going.\n\n"
        "Where the single vector h becomes the bottleneck, for long questions, the next lesson lets the "
        "decoder look back at every encoder state: **attention**.",
    ),
)
