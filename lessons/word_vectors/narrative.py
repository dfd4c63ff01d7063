"""The story of the ``word_vectors`` lesson (Saitoh, *Deep Learning from Scratch 2*, ch. 2)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "A word is known by the company it keeps",
        "How can a program know that *cat* and *dog* are alike? Not from their letters. The **distributional "
        "hypothesis** (Harris 1954, Firth 1957) answers: *the meaning of a word is formed by the words around "
        "it*. Words used in the same contexts (\"the ___ sat on the mat\", \"a small ___ eats\") mean similar "
        "things.\n\n"
        "So we describe each word by its **contexts**: the words within a **window** of it. Start with the "
        "book's sentence\n\n"
        "  you say goodbye and i say hello .\n\n"
        "tokenized into 8 words (the full stop counts) and a vocabulary of 7. Press **Next** to read it one "
        "word at a time, window size 1.",
        set_params={"corpus": "toy", "window_size": 1, "heatmap_words": 7, "query": "you", "vector_size": 7},
        plots=("cooccurrence", "structure"),
    ),
    NarrativeStep(
        "The co-occurrence matrix",
        "Each step read one more word, and the matrix **C** counts, for every word w (row) and context word c "
        "(column), how often c stood within the window of w. With window 1, *say* has the neighbours *you*, "
        "*goodbye*, *i* and *hello*: its row holds four 1s.\n\n"
        "Each row is now a **vector** for its word, 7 numbers long. Two words are similar when their vectors "
        "point the same way, measured by the **cosine similarity**\n\n"
        "  cos θ = x · y / (‖x‖ ‖y‖)\n\n"
        "from −1 to 1. The bars give the book's answer for *you*: *goodbye*, *i* and *hello* all at 0.71, "
        "because each shares the one context of *you*, the word *say*.",
        set_params={"corpus": "toy", "window_size": 1, "query": "you"},
        plots=("cooccurrence", "similar"),
        run_steps=8,
    ),
    NarrativeStep(
        "A real corpus: counts measure frequency",
        "Now 20,000 words of generated English: sentences such as *the cat sat on the mat* and *a small dog "
        "eats the red apple*, separated by <eos> like the Penn Treebank, with 400 words whose frequencies "
        "follow **Zipf's law** (the r-th most frequent word appears about 1/r as often as the first). "
        "The corpus is read in 20 slices, window 2.\n\n"
        "Look at the counts: *the*, *a* and <eos> co-occur with everything. By raw counts *cat* is closer "
        "to *the* than to *dog*, simply because *the* is everywhere. Counts measure **frequency**, not "
        "**association**.",
        set_params={"corpus": "generated", "corpus_size": 20_000, "max_vocab": 400, "window_size": 2,
                    "heatmap_words": 12, "query": "and", "vector_size": 50},
        plots=("cooccurrence", "ppmi", "structure"),
        run_steps=20,
    ),
    NarrativeStep(
        "PPMI: how surprising is a pair?",
        "**Pointwise mutual information** compares how often two words appear together with how often they "
        "would by chance:\n\n"
        "  PMI(x, y) = log₂ P(x, y) / (P(x) P(y)) = log₂ C(x, y) · N / (C(x) C(y))\n\n"
        "with N the total count and C(x) the row sums. A pair seen twice as often as chance scores 1 bit; "
        "*the*–*cat* scores little, because *the* is frequent. Pairs never seen would give log 0 = −∞, so the "
        "book keeps the **positive** part:\n\n"
        "  PPMI(x, y) = max(0, PMI(x, y))\n\n"
        "Compare the two heatmaps: the PPMI matrix lights up determiner–noun and verb–object pairs instead of "
        "the frequent words. Most cells are still 0: a V × V matrix of which only a small share is non-zero "
        "(nonzero_share on the curves).",
        plots=("ppmi", "cooccurrence", "structure"),
    ),
    NarrativeStep(
        "SVD: from sparse counts to dense vectors",
        "A PPMI row has one number per vocabulary word (400 here, 10,000 for the Penn Treebank), mostly zeros, "
        "and noisy. The **singular value decomposition** factors it as\n\n"
        "  M = U S Vᵀ\n\n"
        "with orthonormal U, V and the singular values σ₁ ≥ σ₂ ≥ … on S's diagonal. Keeping only the first k "
        "columns of U gives each word a **dense vector** of k numbers: the best rank-k approximation of M "
        "(Eckart–Young). The bars show how fast σ falls.\n\n"
        "The map draws every word at (u₁, u₂), the first two coordinates. Colours mark the word classes the "
        "generator used, which the method never saw: nouns gather with nouns, verbs with verbs, "
        "determiners together. Click a word to ask for its neighbours.",
        set_params={"query": "cat"},
        plots=("word_map", "spectrum", "similar"),
    ),
    NarrativeStep(
        "Most similar words",
        "The **most-similar** query ranks every word by the cosine similarity of its k-dimensional vector "
        "with the query's. Neighbours of *cat* are other animals and nouns; try *eats*, *red*, *on* or *king* "
        "in 'Most similar to'. A word not in the corpus is refused with suggestions.\n\n"
        "On the curves, nn_same_class is the share of the 200 most frequent words whose nearest neighbour "
        "has the same class: nearly all, learned from counts alone.\n\n"
        "Change the **window size** (it applies at once): a window of 1 sees syntax (what comes next to a "
        "word), a wider window sees topic (which words share sentences). Watch the map and the neighbours "
        "change.",
        plots=("similar", "word_map", "structure"),
    ),
    NarrativeStep(
        "Where counting ends",
        "Count-based vectors are built in one pass and one SVD, and work well. Their limits: the SVD of a "
        "V × V matrix costs ~V³ operations (for V = 10⁶ words, out of reach), and adding one new word means "
        "counting and factoring everything again.\n\n"
        "**Inference-based** methods learn vectors from mini-batches of windows instead, with a small neural "
        "network that predicts a word from its context: **word2vec**, the next lesson. Choose 'file' to try "
        "your own text (the larger the better; 'Words kept' bounds the matrix).",
        plots=("word_map", "similar", "ppmi", "structure"),
    ),
)
