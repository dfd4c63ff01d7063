"""The story of the ``bert`` lesson (Devlin et al. 2019; Liu et al. 2019, RoBERTa; Ogawa ch. 8), and its notices."""
from visualizer.core.lesson import NarrativeStep

PRETRAIN = 1500
FINETUNE = 300

NARRATIVE = (
    NarrativeStep(
        "BERT reads in both directions",
        "A language model such as GPT predicts the **next** word, so each position may only look left. "
        "**BERT** (Devlin et al. 2019) is a Transformer *encoder*: every token attends to every other, left "
        "and right. To train such a model without labels it cannot predict the next word (it would see it), so "
        "it plays a different game: **fill in the blanks**.\n\n"
        "This BERT is small (2 layers, H = 128, 4 heads; BERT-base has 12 layers, H = 768, 12 heads) but has "
        "every part of the original: word + position + segment embeddings, post-norm encoder layers with GELU, "
        "a tanh *pooler* on [CLS], and a masked-LM head whose output matrix is the word-embedding matrix "
        "itself (tied weights).\n\n"
        "It reads the shipped book (the Gospels, KJV) and a few thousand generated review *documents* with "
        "their labels thrown away: like real reviews, each holds one opinion over 2-3 sentences, and that "
        "coherence is what lets masked LM learn which words are positive or negative. Right now its guesses "
        "for the [MASK] in your sentence are noise. Press **Next**.",
        set_params={"pretrain_steps": PRETRAIN},
        plots=("mlm_topk", "attention", "mlm_acc", "mlm_loss"),
    ),
    NarrativeStep(
        "Masked language modelling",
        "Each step takes 32 sequences and picks **15 %** of their words. Of those, **80 %** become [MASK], "
        "**10 %** a random word and **10 %** stay as they are; the model must name the original word at every "
        "picked position. The random and unchanged 10 % matter: at fine-tuning time there is no [MASK], so the "
        "model must keep a useful vector for *every* word, not only for masks.\n\n"
        "Only the picked positions are scored (the reference code's `max_predictions_per_seq`), which saves the "
        "large (tokens × vocabulary) product everywhere else.\n\n"
        "Watch **Masked LM accuracy**: it first jumps by guessing frequent words (*the*, *and*, a comma), then "
        "climbs slowly as the model uses context. The top-k bars for *the plot was [MASK] but the acting was "
        "awful* drift from *the* and *,* towards adjectives: and because contrasts in the reviews join "
        "opposite opinions, towards *positive* ones.",
        plots=("mlm_acc", "mlm_loss", "mlm_topk", "attention"),
        run_steps=400,
    ),
    NarrativeStep(
        "Next-sentence prediction, and why RoBERTa dropped it",
        "The original BERT had a second pretraining task: **next-sentence prediction** (NSP). Input pairs "
        "[CLS] A [SEP] B [SEP], with a *segment* embedding telling the two apart; half the time B really "
        "follows A, half the time it is a random sentence; a 2-way classifier on the pooled [CLS] vector must "
        "say which. The idea was to teach relations between sentences for tasks such as question answering.\n\n"
        "**RoBERTa** (Liu et al. 2019) trained BERT longer, on more data, with bigger batches, and found that "
        "removing NSP (feeding full sentences instead of pairs) did as well or *better*: a random B usually "
        "differs in topic, so NSP was mostly topic detection and taught little. Most later encoders skip it. "
        "Our model has the NSP head and segment embeddings (so that BERT-base's weights load), but pretrains "
        "with masked LM only, as RoBERTa does.\n\n"
        "Training continues to the end of pretraining.",
        plots=("mlm_acc", "mlm_loss", "mlm_topk", "attention"),
        train_until=PRETRAIN,
    ),
    NarrativeStep(
        "Inside one head: the neuron view",
        "The **model view** shows every layer × head for your sentence. Click a cell to pick it; the **head "
        "view** then draws lines from each token to those it attends to, and the **neuron view** opens the "
        "head up: the query vector q of one token, the key vectors k of all tokens, their elementwise product, "
        "and the scores q·k/√d before the softmax that turns them into the weights.\n\n"
        "Heads specialize even in this small model: some look at the previous or next word, some at [SEP] or "
        "[CLS] (a 'no-op' when nothing else is relevant), some link an adjective to its noun. Change the "
        "sentence (keep a [MASK] in it) and watch the pictures follow.",
        set_params={"attention_mode": "neuron"},
        plots=("attention", "mlm_topk", "mlm_acc"),
        train_until=PRETRAIN,
    ),
    NarrativeStep(
        "One word, many vectors",
        "word2vec gives a word one vector. BERT gives it a vector **per occurrence**, computed from the whole "
        "sentence. As in Ogawa's ch. 8, take the last layer's vector of one word in several sentences and "
        "compare them by cosine similarity: *good* in two reviews is closer than *good* in a review and in "
        "*a good tree bringeth forth good fruit*.\n\n"
        "Type your own word and sentences (separated by |) on the left.",
        set_params={"attention_mode": "model"},
        plots=("contextual", "mlm_topk", "attention", "mlm_loss"),
        train_until=PRETRAIN,
    ),
    NarrativeStep(
        "Fine-tuning: with and without pretraining",
        "Now the point of it all. Two classifiers (BERT + a linear layer on the pooled [CLS]) learn sentiment "
        "from only **200 labelled reviews**, on the same batches with the same learning rate:\n\n"
        "- **pretrained**: its encoder starts from the masked-LM model;\n"
        "- **scratch**: its encoder starts from the same random weights pretraining started from.\n\n"
        "The reviews are hard for word counting: negations (*not good*), litotes (*not bad*) and contrasts "
        "(*good but awful*) need word order. Watch the two validation curves: pretraining on unlabelled text "
        "is meant to give the fine-tuned model a head start and a higher plateau, the effect that made BERT "
        "famous (Devlin et al. 2019, §5).\n\n"
        "Measured on a busy 2-core CPU with these defaults (1500 pretraining steps, then 300 fine-tuning steps, "
        "500 clean validation reviews), the lesson's own runs over 3 seeds: **pretrained 0.58 ± 0.01, scratch "
        "0.56 ± 0.05** (gaps +0.07, -0.03, +0.01); three more runs with other batch orders gave +0.08, +0.05, "
        "+0.04. So, honestly: a small head start that the seed can erase, both twins just above a bag of words "
        "(0.51) with 200 labels. With 1000 labelled reviews both pass 0.8 by step 300 and the gap is gone. "
        "Pretraining longer (*Pretraining steps*) is the lever to try (not measured here): "
        "BERT-base read 3.3 billion words for days.",
        plots=("finetune", "finetune_loss", "attention", "mlm_acc"),
        run_steps=FINETUNE,
    ),
    NarrativeStep(
        "The real BERT-base",
        "Set **Model** to *bert_base* and press Reset: the lesson downloads Google's BERT-base-uncased "
        "(vocabulary, config.json and weights in the published format, checked) and loads it into *this* "
        "lesson's BERT code, tensor by tensor: the loader checks every name and shape first and changes "
        "nothing if the file is corrupt. The same views then show a model pretrained on 3.3 billion words; "
        "fine-tuning it is practical on a GPU. Offline, the lesson says so and keeps the small model.",
        plots=("mlm_topk", "attention", "contextual", "finetune"),
    ),
)

