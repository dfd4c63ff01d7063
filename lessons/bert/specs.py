"""The ``bert`` lesson's controls and plots (declarations only; Qt-free, torch-free)."""
from __future__ import annotations

from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam, TextParam
from visualizer.core.plotdata import ATTENTION_MODES, PlotSpec

from lessons.bert.probes import EXAMPLE

VARIANTS = ("small", "bert_base")
CONTEXT_SENTENCES = ("the plot was good | the plot was not good | the acting was good but the ending was awful | "
                     "good master , what good thing shall i do | a good tree bringeth forth good fruit")

PARAMS = (
    ChoiceParam("variant", "Model", "small", VARIANTS,
                tooltip="small: a BERT of the size below, pretrained here with masked LM on the book and unlabelled "
                        "reviews (offline). bert_base: Google's BERT-base-uncased (110 M parameters, 12 layers), "
                        "downloaded once (about 440 MB) in the published format and loaded into this lesson's own "
                        "BERT code; its views run at once, fine-tuning is practical on CUDA only. Offline it falls "
                        "back to the small model and says so."),
    IntParam("layers", "Layers L", 2, 1, 4,
             tooltip="Transformer encoder layers (BERT-base has 12). Post-norm, GELU, as in BERT."),
    ChoiceParam("hidden", "Hidden size H", "128", ("64", "128", "192", "256"),
                tooltip="Width of every token vector (BERT-base: 768). The feed-forward layer is 4·H wide."),
    IntParam("heads", "Attention heads", 4, 1, 8,
             tooltip="Heads per layer; H must be a multiple of it (BERT-base: 12 heads of 64)."),
    IntParam("max_len", "Max tokens", 40, 16, 128,
             tooltip="Tokens per sequence, [CLS] and [SEP] included; longer verses and sentences are cut."),
    IntParam("pretrain_steps", "Pretraining steps", 1500, 0, 20000, live=True,
             tooltip="Masked-LM steps before fine-tuning starts. 0: no pretraining (both twins start from the same "
                     "random weights). Can change until fine-tuning has begun."),
    IntParam("n_labelled", "Labelled reviews", 200, 20, 5000, log=True,
             tooltip="Labelled reviews for fine-tuning: few, so that what pretraining learned matters."),
    IntParam("n_unlabelled", "Unlabelled reviews", 4000, 200, 40000, log=True,
             tooltip="Generated review documents (2-3 sentences of one opinion, as real reviews), labels dropped, "
                     "added to the book's verses for masked-LM pretraining."),
    IntParam("batch_size", "Batch size", 32, 4, 128, log=True, live=True,
             tooltip="Sequences per update, in both phases."),
    FloatParam("lr", "Pretraining learning rate", 1e-3, 1e-5, 1e-2, log=True, live=True, decimals=5,
               tooltip="AdamW step size of masked-LM pretraining."),
    FloatParam("ft_lr", "Fine-tuning learning rate", 3e-4, 1e-6, 1e-2, log=True, live=True, decimals=6,
               tooltip="AdamW step size of both fine-tuned twins (with and without pretraining): the same for "
                       "both, so the comparison is fair."),
    TextParam("sentence", "Sentence with [MASK]", EXAMPLE, "e.g. " + EXAMPLE, max_length=20000, live=True,
              tooltip="Put [MASK] where the model should guess a word; the attention views read this sentence "
                      "too. Unknown words read as [UNK]; a long text is cut to Max tokens."),
    IntParam("top_k", "Top-k words", 8, 3, 20, live=True, tooltip="How many guesses for the [MASK] to show."),
    ChoiceParam("attention_mode", "Attention view", "model", ATTENTION_MODES, live=True,
                tooltip="head: lines from each token to the tokens it attends to, one layer and head (BertViz). "
                        "model: every layer × head as a small heat map. neuron: one head's query and key vectors "
                        "and q·k/√d before the softmax, for one query token."),
    TextParam("attention_head", "Layer, head", "0,0", "layer,head", max_length=12, live=True,
              tooltip="The layer and head the head and neuron views show, 0-based (head -1: all heads). Clicking "
                      "a cell of the model view sets it."),
    TextParam("attention_query", "Query token", "1", "0 = [CLS]", max_length=6, live=True,
              tooltip="The token the neuron view explains (0 = [CLS]). Clicking a token in the view sets it."),
    TextParam("context_word", "Word to compare", "good", "a word", max_length=40, live=True,
              tooltip="The word whose contextual vectors are compared across the sentences below."),
    TextParam("context_sentences", "Sentences (| between)", CONTEXT_SENTENCES, "sentence | sentence",
              max_length=2000, live=True,
              tooltip="Sentences that use the word, separated by |. BERT gives the word a different vector in each."),
)

PLOTS = (
    PlotSpec("mlm_topk", "MLM guesses for [MASK]", "bars",
             tooltip="The model's probabilities for the word at the first [MASK] of your sentence (special tokens "
                     "left out). Early in pretraining: frequent words; later: words that fit the context."),
    PlotSpec("attention", "Attention heads (your sentence)", "attention", main="tall",
             tooltip="Every head's attention for your sentence, updated while the model trains: during pretraining "
                     "the masked-LM model, during fine-tuning the twin that was pretrained. Choose head, model or "
                     "neuron view on the left."),
    PlotSpec("mlm_acc", "Masked LM accuracy", "curves", series=("mlm_acc", "val_mlm_acc"), x_label="step",
             y_label="accuracy",
             tooltip="Share of masked positions whose original word is the model's top guess: on training batches "
                     "(mlm_acc) and on held-out verses and reviews (val_mlm_acc, the same masks every time)."),
    PlotSpec("mlm_loss", "Masked LM loss", "curves", series=("mlm_loss", "val_mlm_loss"), x_label="step",
             y_label="cross-entropy (nats)",
             tooltip="Cross-entropy of the original word at the masked positions. Guessing uniformly costs "
                     "log V nats."),
    PlotSpec("finetune", "Fine-tuning: validation accuracy", "curves",
             series=("val_acc_pretrained", "val_acc_scratch"), x_label="step", y_label="accuracy",
             tooltip="Sentiment accuracy on clean validation reviews of two identical BERTs fine-tuned on the same "
                     "small labelled batches: one starts from the pretrained weights, the other from the same "
                     "random weights pretraining started from."),
    PlotSpec("finetune_loss", "Fine-tuning: training loss", "curves",
             series=("ft_loss_pretrained", "ft_loss_scratch"), x_label="step", y_label="cross-entropy (nats)",
             tooltip="The twins' training loss on the labelled batches (3 % of the labels are flipped)."),
    PlotSpec("contextual", "One word in context (cosine)", "matrix",
             tooltip="Cosine similarity between the last-layer vectors of the chosen word in each sentence "
                     "(Ogawa ch. 8). A word2vec vector would be the same in every sentence (all 1); BERT's depend "
                     "on the context."),
)
