"""The story of the ``attention`` lesson: dates in many formats, the bottleneck of a single vector, attention
weights as a soft alignment, and the learner's own dates."""
from visualizer.core.lesson import NarrativeStep

SNAPSHOT = "dates_1000_steps"     # snapshots/<this>.<engine>.npz: the 300 + 700 steps of steps 2 and 3

NARRATIVE = (
    NarrativeStep(
        "Dates, written every way",
        "People write one day in many ways: `september 27, 1994`, `Sep 27, 1994`, `9/27/94`, "
        "`TUESDAY, SEPTEMBER 27, 1994`, `27 September 1994`. The task: rewrite each one in the standard "
        "form **1994-09-27**.\n\n"
        "Each question is padded to 29 characters and each answer is `_` plus 10 characters; 59 different "
        "symbols occur. 50,000 dates between 1970 and 2017 are generated, 10 % kept for testing.\n\n"
        "The heatmap shows, for one test question, the model's **attention weights**: one row per output "
        "character (left axis, the model's answer), one column per input character (bottom axis, `·` is "
        "padding). Untrained, every row is nearly uniform.",
        plots=("attention", "loss", "predictions"),
    ),
    NarrativeStep(
        "The bottleneck, and a way around it",
        "A plain seq2seq squeezes the whole question into the encoder's last state h, a fixed-size vector "
        "however long the question. **Attention** (Bahdanau, Cho & Bengio 2015) keeps *all* encoder "
        "states hs₁ … hs₂₉ and lets each decoder step choose what to read:\n\n"
        "  sᵢ = hs_i · hₜ  (a score per input position, a dot product: Luong et al. 2015)\n"
        "  aᵢ = exp(sᵢ) / Σⱼ exp(sⱼ)  (softmax: weights ≥ 0 that sum to 1)\n"
        "  cₜ = Σᵢ aᵢ hsᵢ  (the context vector, a weighted average)\n\n"
        "The decoder's output layer reads [cₜ ; hₜ] (2H numbers). Nothing here is told which input "
        "character matters: the weights are learned from the loss alone, by backpropagation through the "
        "softmax. As the book, the question is fed reversed, and the hidden size is H = 256.\n\n"
        "This step trains 300 steps (the bar under the title shows how far). Then the loss has dropped: the "
        "model already writes the year's `19` or `20` and the dashes, which never change.",
        plots=("attention", "loss", "accuracy"),
        run_steps=300,
    ),
    NarrativeStep(
        "Alignment appears",
        "700 more steps (the bar under the title). Watch the heatmap (press Play to keep training if it is still blurred: the loss "
        "sits on a plateau for a while, then drops quickly): the rows for the year's last digits come to "
        "light up the year in the question, the month's rows the month name (or the number before the "
        "first `/`), the day's rows the day. The model learns an **alignment** between output and input, "
        "which nobody labelled.\n\n"
        "Change **Test example** to look at other questions: a `9/27/94` question is aligned very "
        "differently from `Tuesday, September 27, 1994`. Watch the accuracy curve: the book's model "
        "reached 99.9 % after three epochs (1,056 steps).",
        plots=("attention", "accuracy", "predictions"),
        run_steps=700,
        snapshot=SNAPSHOT,
    ),
    NarrativeStep(
        "Your own date",
        "Type a date into **Your date** and press Enter: the second heatmap translates it and shows where "
        "the model looked. Try the formats you like: `27 sep 2003`, `2/29/16`, `FRIDAY, JULY 4, 1980`.\n\n"
        "The model only knows the characters it was trained on: type `27.09.1994` and it refuses (the "
        "`.` was never seen), and keeps your previous date. Dates outside 1970–2017 or impossible ones "
        "(`February 30`) are fair game too: what does it do with them?",
        plots=("your_attention", "attention", "accuracy"),
        train_until=1000,                # a model trained as in steps 2-3: an untrained one answers nothing right
        snapshot=SNAPSHOT,
    ),
    NarrativeStep(
        "What attention buys",
        "Compare with the previous lesson: there the decoder saw the question only through h. Here each "
        "output character has a short path to the input characters it needs, so long questions no longer "
        "have to fit in one vector, and the gradient reaches them directly.\n\n"
        "Experiments: switch **Reversed input** off and Reset: does the alignment still form? Lower "
        "**Hidden size H** to 32. Or load your own task with **Task file** (any file in the book's "
        "format: question and answer split by the first `_`, padded with spaces). Attention is the seed "
        "of the Transformer (Vaswani et al. 2017), where *every* layer is attention.",
        plots=("attention", "your_attention", "accuracy", "loss", "predictions"),
    ),
)
