"""The story of the ``transformer`` lesson (Ogawa ch. 7; Vaswani et al. 2017; Vig 2019, BertViz)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "Why order matters",
        "The reviews here are generated so that **word order** decides the label:\n\n"
        "- *the plot was **not** good* is negative, *the plot was **not** bad* positive (litotes);\n"
        "- in a **contrast** the second clause wins: *the acting was great **but** the plot was dull* is "
        "negative, and its swapped twin, with exactly the same words, positive;\n"
        "- neutral **distractor** clauses (*we watched it on a sunday*) carry nothing.\n\n"
        "A **bag of words** (logistic regression on word counts) throws order away. Its accuracy is the flat "
        "line in **Accuracy** (about 0.55), and **Accuracy per phenomenon** shows where it fails: it "
        "cannot see *not* before an adjective, and a contrast and its twin look the same to it.\n\n"
        "Press **Next** to train the Transformer for 300 steps.",
        plots=("accuracy", "phenomena", "loss", "your_sentence"),
    ),
    NarrativeStep(
        "A Transformer encoder reads the whole review",
        "Each word becomes a d_model-wide vector (an **embedding**) plus a **positional encoding** that says "
        "where it stands. A **[CLS]** token is put first. Each layer then lets every token look at every "
        "other one with **self-attention**: softmax(QKᵀ/√d_k)·V, in several **heads** at once, followed by a "
        "small feed-forward network; residual connections and layer norm keep it trainable (Vaswani et al. "
        "2017; Ogawa ch. 7 uses two such layers).\n\n"
        "The classifier reads only the output at [CLS]: to classify, [CLS] has to gather what matters from "
        "the words. Watch **val_acc** pass the bag of words and reach 95% within a few hundred steps, and "
        "contrast and negation climb in **Accuracy per phenomenon**.",
        plots=("accuracy", "phenomena", "loss", "head_view"),
        run_steps=300,
    ),
    NarrativeStep(
        "Every head's attention, live",
        "The **head view** (after BertViz) draws a line from each token on the left to each token on the "
        "right, as thick as the attention weight, for one layer and head; hover a token to see only its "
        "lines. The **model view** shows every layer × head at once as small heat maps: click one to put it "
        "in the head view.\n\n"
        "Type your own review in **Your sentence**: *the plot was not bad*, *although it was dull , the cast "
        "was superb*. The verdict is in the caption and in **Your sentence: classification**. Find a head "
        "whose [CLS] row looks at the word after *but*, or one that links *not* to its adjective.",
        plots=("head_view", "model_view", "your_sentence", "accuracy"),
        train_until=600,
    ),
    NarrativeStep(
        "Which words does [CLS] read?",
        "The book highlights each word of a review by how much the first token attends to it. Here: the "
        "last layer's [CLS] row, averaged over the heads, divided by its largest value, for a validation "
        "review of each kind. In a contrast, the most shaded words should sit in the second clause.\n\n"
        "**Validation reviews it gets wrong** lists mistakes, taken from each phenomenon in turn. Attention "
        "is a hint, not an explanation: a word can matter through the values and the later layers even "
        "where its weight is small (Jain & Wallace 2019).",
        plots=("highlight", "mistakes", "phenomena"),
        train_until=600,
    ),
    NarrativeStep(
        "Where is each word?",
        "Attention alone is blind to order: permute the words and the same weights come out, permuted. The "
        "**positional encoding** added to each embedding fixes that. Sinusoidal (the book, Vaswani et al.): "
        "sines and cosines of falling frequency, fixed, so position p + k is a linear function of position "
        "p. Learned (BERT, GPT): one trained vector per position.\n\n"
        "Switch **Positional encoding** to *learned* and press Reset: the matrix starts as noise and takes "
        "shape only in the first ~20 rows, the positions the reviews use; rows beyond never get a gradient.",
        plots=("positional", "head_view", "accuracy"),
    ),
    NarrativeStep(
        "The embeddings",
        "The **embedding projector** shows every word's vector on its two principal components. Positive "
        "and negative adjectives drift apart as the model learns; *not*, *never*, *but* and *however* end up "
        "on their own: they matter through attention, not through a polarity of their own.\n\n"
        "Try a bigger model (**Layers**, **Heads**, **d_model**): this corpus needs little, and a model "
        "with d_model not a multiple of the heads cannot be built (each head gets d_model / heads "
        "dimensions).",
        plots=("projector", "accuracy", "phenomena"),
    ),
)
