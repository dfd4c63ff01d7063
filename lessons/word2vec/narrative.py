"""The story of the ``word2vec`` lesson (Saitoh, *Deep Learning from Scratch 2*, ch. 3-4)."""
from visualizer.core.lesson import NarrativeStep

NARRATIVE = (
    NarrativeStep(
        "From counting to predicting",
        "The previous lesson **counted** contexts and factored the whole V × V matrix at once. **word2vec** "
        "(Mikolov et al. 2013) learns word vectors by **inference** instead: a tiny network reads a window "
        "of text and predicts a missing word. Its weights *are* the word vectors, improved a mini-batch at a "
        "time, so it scales to any corpus and can keep learning.\n\n"
        "The network has two matrices of shape V × H: **W_in**, one input vector per word (the word vectors "
        "we keep), and **W_out**, one output vector per word. The corpus is 100,000 words of generated "
        "English (600 real words, Zipf frequencies, sentences like *the king opened his door*). The "
        "projector shows the 100 most frequent words, still random. Press **Next** to train.",
        set_params={"model": "cbow", "window_size": 3, "hidden_size": 50, "lr": 0.01, "batch_size": 100,
                    "negatives": 5, "projection": "pca", "query": "cat", "analogy": "man woman king"},
        plots=("projector", "loss"),
    ),
    NarrativeStep(
        "CBOW: the context votes for the centre",
        "**CBOW** (continuous bag of words) takes the 2w context words of a window, averages their input "
        "vectors\n\n"
        "  h = (1/2w) Σⱼ W_in[context_j]\n\n"
        "and scores every vocabulary word by h · W_out[w]: the higher, the more likely w is the centre word. "
        "Trained to give the true centre word a high score, words that appear in the same contexts are pushed "
        "towards the same h, so their vectors become alike: the distributional hypothesis, learned.\n\n"
        "One epoch (1,000 batches of 100 windows) has run. The loss falls, and the projector (the vectors' "
        "first two **principal components**) separates determiners, nouns and verbs. (Adam's learning rate is "
        "0.01 here; the book's 0.001 needs many epochs.)",
        plots=("projector", "loss", "quality"),
        run_steps=1000,
    ),
    NarrativeStep(
        "Negative sampling: yes or no instead of 1 of V",
        "Scoring *every* word of the vocabulary and normalizing with a softmax costs V dot products per "
        "window: 10,000 for the Penn Treebank, millions for real corpora. **Negative sampling** turns the "
        "question into a binary one: is w the centre word, yes or no?\n\n"
        "  L = −log σ(h · W_out[target]) − Σₖ log σ(−h · W_out[negₖ])\n\n"
        "with σ the sigmoid and k = 1 … S **negative samples** drawn from the unigram distribution raised to "
        "the power 0.75, which gives rare words a bit more chance than their frequency. Cost: 1 + S dot products "
        "instead of V. The NumPy engine draws all negatives of a batch in one vectorized lookup (the book "
        "calls np.random.choice once per row); the lesson draws them and hands the same ones to both engines, "
        "so NumPy and PyTorch give the same loss.",
        plots=("loss", "quality", "projector"),
        run_steps=1000,
    ),
    NarrativeStep(
        "Nearest neighbours",
        "The **cosine similarity** of two word vectors, cos θ = x·y / (‖x‖‖y‖), ranks the neighbours of a "
        "query: the neighbours of *cat* are other animals, those of *eats* other verbs of eating. Type a word "
        "in 'Nearest to', or click one in the projector. An unknown word is refused with the closest spellings "
        "the vocabulary has.\n\n"
        "Switch the projector to **pca3d** and turn the cloud with the azimuth and elevation sliders: a "
        "third principal axis pulls apart groups that overlap in the flat view (nearer words are drawn "
        "larger). Then try **tsne**: t-SNE (van der Maaten & Hinton 2008) places words so that "
        "neighbours in the 50-dimensional space stay neighbours on the page, and clusters appear that PCA's "
        "linear views mix. It is slow, so it is recomputed only every few hundred steps.",
        set_params={"query": "cat"},
        plots=("neighbours", "projector", "quality"),
        run_steps=500,
    ),
    NarrativeStep(
        "Analogies: king − man + woman ≈ queen",
        "Relations become **directions**. If the vectors encode gender consistently, then woman − man ≈ "
        "queen − king, so\n\n"
        "  man : woman = king : ?  →  the word nearest to king − man + woman\n\n"
        "In this corpus a king owns *his* door and a queen *her* door, and royals rule kingdoms: the vectors "
        "pick both up. The curve analogy_acc scores questions of this kind built from the grammar (gender: "
        "father : mother = uncle : aunt; number: cat : cats = dog : dogs). Try 'cat cats dog' or "
        "'he she his' in the analogy box.",
        set_params={"analogy": "man woman king"},
        plots=("analogy", "quality", "neighbours"),
        run_steps=1000,
    ),
    NarrativeStep(
        "Skip-gram: the centre predicts its context",
        "**Skip-gram** reverses CBOW: h = W_in[centre], and each of the 2w context words is a separate "
        "positive example, so a batch makes 2w times more predictions. The book's loss sums them:\n\n"
        "  L = Σⱼ L_NS(h, context_j)\n\n"
        "It is slower per window but gives rare words more updates (each occurrence trains its vector 2w "
        "times), and usually better analogies. Its loss is on another scale (a sum of 2w terms). Compare the "
        "curves with CBOW's, kept faded from the previous run.",
        set_params={"model": "skipgram"},
        plots=("loss", "quality", "projector"),
        run_steps=1000,
    ),
    NarrativeStep(
        "At the Penn Treebank's size",
        "The book trains CBOW on the Penn Treebank (929,589 words, 10,000-word vocabulary, window 5, H = 100, "
        "batch 100): its code takes about half an hour per epoch on one core, mostly drawing negatives row by "
        "row. Set 'Corpus tokens' to 929,589 and 'Vocabulary' to 10,000 to train on a generated corpus of "
        "that size: the vectorized engine here runs an epoch in about a minute "
        "(benchmarks/bench_word2vec.py measures both).\n\n"
        "What word2vec leaves open: a word has one vector whatever its sense, and word order beyond the window "
        "is lost. Language models, next, read whole sequences.",
        plots=("loss", "quality", "projector", "analogy"),
    ),
)
