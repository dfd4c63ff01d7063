"""The controls and plots of the ``transformer`` lesson (declarations only, Qt-free)."""
from visualizer.core.errors import LessonConfigError
from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam, PathParam, TextParam
from visualizer.core.plotdata import PlotSpec

DEFAULT_SENTENCE = "the acting was great but the plot was not good"
MAX_SENTENCE_CHARS = 20_000       # longer texts are refused by the control; past 127 words they are truncated
GENERATED, IMDB, IMDB_FOLDER = "generated", "imdb", "imdb_folder"

PARAMS = (
    ChoiceParam("dataset", "Data", GENERATED, (GENERATED, IMDB, IMDB_FOLDER),
                tooltip="generated: reviews built to need word order (negation, contrast), offline, the default. "
                        "imdb: the IMDb movie reviews (Maas et al. 2011; about 84 MB, downloaded once; the book's "
                        "data), cut to 256 tokens; offline it falls back to the generated reviews and says so. "
                        "imdb_folder: your unpacked aclImdb folder."),
    PathParam("imdb_folder", "IMDb folder", "", "All files (*)", used_when=("dataset", IMDB_FOLDER),
              tooltip="The aclImdb folder (or the folder holding it) with train/pos, train/neg, test/pos and "
                      "test/neg, one review per .txt file."),
    IntParam("imdb_per_class", "IMDb reviews per class", 2500, 10, 12_500, log=True,
             tooltip="IMDb training reviews of each class, drawn at random (12,500 of each in all): fewer "
                     "keep a CPU run short. Validation: at most 1,000 test reviews of each class. Used with the "
                     "imdb and imdb_folder data only."),
    IntParam("n_train", "Training reviews", 10_000, 500, 100_000, log=True,
             tooltip="Generated reviews to train on (3% of their labels flipped: label noise). The 2,000 "
                     "validation reviews are clean and never occur in the training set. IMDb: see IMDb reviews "
                     "per class."),
    IntParam("n_layers", "Layers", 2, 1, 6,
             tooltip="Transformer blocks (self-attention + feed-forward, each with a residual connection and "
                     "layer norm after it: post-norm, as Vaswani et al. and the book). Ogawa uses 2."),
    IntParam("n_heads", "Heads", 4, 1, 8,
             tooltip="Attention heads per layer. d_model must be a multiple of it: each head works in "
                     "d_model / heads dimensions."),
    IntParam("d_model", "d_model", 64, 8, 256, log=True,
             tooltip="Width of every token vector (embeddings, attention, residual stream). The feed-forward "
                     "layer is twice as wide. Ogawa uses 300 (GloVe vectors)."),
    ChoiceParam("positional", "Positional encoding", "sinusoidal", ("sinusoidal", "learned"),
                tooltip="sinusoidal: the fixed sines and cosines of Vaswani et al. (the book). learned: a "
                        "trained vector per position, as BERT and GPT do. Without either, attention could "
                        "not tell 'good but dull' from 'dull but good'."),
    ChoiceParam("pooling", "Pooling", "cls", ("cls", "mean"),
                tooltip="What the classifier reads: cls: the output at the [CLS] token put first (the book, "
                        "BERT). mean: the average over the words."),
    FloatParam("lr", "Learning rate", 1e-3, 1e-5, 1e-1, log=True, live=True, decimals=5,
               tooltip="Adam's step size. The book uses 1e-4 on IMDb; 1e-3 learns this corpus in seconds. "
                       "Applies at the next step."),
    IntParam("batch_size", "Batch size", 64, 8, 512, log=True, live=True,
             tooltip="Reviews per update. Applies at the next step."),
    TextParam("sentence", "Your sentence", DEFAULT_SENTENCE, placeholder="e.g. the plot was not bad",
              max_length=MAX_SENTENCE_CHARS, live=True,
              tooltip="Type a review: its classification and every head's attention show at once. Words the "
                      "reviews never use are read as [UNK]; past 127 words the rest is cut off."),
    TextParam("attention_head", "Attention layer,head", "1,0", placeholder="layer,head (from 0)",
              max_length=20, live=True,
              tooltip="The layer and head the head view draws, as 'layer,head' counted from 0 (head -1: all "
                      "heads of the layer). Click a cell of the model view to choose it."),
    TextParam("attention_query", "Attention query token", "0", placeholder="token index (from 0)",
              max_length=6, live=True,
              tooltip="The query token the attention view explains (0 = [CLS]). Click a token to choose it."),
)

PLOTS = (
    PlotSpec("head_view", "Attention: head view (your sentence)", "attention", main="tall",
             tooltip="BertViz's head view: a line from each token (left) to the tokens it attends to (right), "
                     "thicker for more weight, for the chosen layer and head. Hover a token to see only its "
                     "lines. The caption gives the model's verdict on your sentence."),
    PlotSpec("model_view", "Attention: model view (every layer × head)", "attention",
             tooltip="Every layer (rows) and head (columns) as a small heat map of query × key weights for "
                     "your sentence. Click one to show it in the head view."),
    PlotSpec("your_sentence", "Your sentence: classification", "bars", y_label="probability",
             tooltip="The model's probabilities for your sentence (softmax of the two logits)."),
    PlotSpec("accuracy", "Accuracy", "curves", series=("train_acc", "val_acc", "bag_of_words_acc"),
             x_label="step", y_label="accuracy",
             tooltip="train_acc: on each mini-batch (with its 3% flipped labels, so it cannot reach 1). "
                     "val_acc: on the 2,000 clean validation reviews. bag_of_words_acc: a logistic regression "
                     "on word counts (order thrown away) on the same split: the reference to beat."),
    PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss"), x_label="step",
             y_label="cross-entropy", log_y=True,
             tooltip="Mean cross-entropy of the mini-batch (train) and of the validation reviews."),
    PlotSpec("phenomena", "Accuracy per phenomenon", "matrix",
             tooltip="Validation accuracy on each kind of review: plain, intensified ('truly good'), negated "
                     "('not good'), litotes ('not bad'), contrast ('good but dull': the second clause wins) "
                     "and with a neutral distractor clause; Transformer against the bag of words."),
    PlotSpec("highlight", "Words [CLS] attends to (validation reviews)", "highlighted_text",
             tooltip="The book's highlight: a validation review of each phenomenon, each word shaded by how much "
                     "the [CLS] token attends to it in the last layer (mean over heads, divided by the largest). "
                     "Darker: more attention. Wrong predictions are marked."),
    PlotSpec("mistakes", "Validation reviews it gets wrong", "predictions",
             tooltip="Reviews the model misclassifies, taken from each phenomenon in turn, with the true class "
                     "and the model's answer (its probability). Filled up with right ones."),
    PlotSpec("positional", "Positional encoding", "matrix",
             tooltip="The vector added to the embedding at each position (rows), for the positions the reviews "
                     "use. Sinusoidal: fixed waves, faster in the first dimensions. Learned: starts as noise and "
                     "takes shape as it trains."),
    PlotSpec("projector", "Embedding projector", "word_map",
             tooltip="The token embeddings projected on their two principal components, coloured by the "
                     "word's role in the corpus. Watch positive and negative words move apart."),
)



def parse_head(text: str, n_layers: int, n_heads: int) -> tuple[int, int]:
    """'layer,head' (0-based; head -1: every head of the layer) -> (layer, head), by the shared
    :func:`visualizer.probes.attention.parse_head`, checked against this model's size.  Raises
    LessonConfigError for text that is not two integers or a layer or head the model does not have."""
    from visualizer.probes.attention import parse_head as parse

    try:
        layer, head = parse(text)
    except ValueError as e:
        raise LessonConfigError(f"Attention layer,head: {e}.") from None
    if not (layer < n_layers and head < n_heads):
        raise LessonConfigError(f"Attention layer,head: this model has layers 0–{n_layers - 1} and heads "
                                f"0–{n_heads - 1} (or -1 for all heads), not {layer},{head}.")
    return layer, head


def parse_query(text: str) -> int:
    """A query token index (0-based) by the shared :func:`visualizer.probes.attention.parse_query`.  Raises
    LessonConfigError otherwise."""
    from visualizer.probes.attention import parse_query as parse

    try:
        return parse(text or "0")
    except ValueError as e:
        raise LessonConfigError(f"Attention query token: {e}.") from None
