"""A generated English-like corpus for the language lessons, the book's ``preprocess``, and a text-file loader.

``generate_corpus(n_tokens, vocab_size, seed)`` writes sentences from a small probabilistic grammar:

    the cat sat on the mat <eos> a small dog eats the red apple <eos> the king opened his door <eos>

Grammar (one sentence = one row of slots, absent slots dropped):
subject NP (determiner, optional adjective, noun), verb, then by sentence type a transitive object NP,
a location phrase (preposition + NP), a predicate adjective after *is/are/was/were*, or a second clause
*and he/she/they/it* + verb + object.  Agreement makes context predictive, as in real text:
- the verb group (eat, cook, handle, drive, perceive, rule, move...) decides which noun categories may be its
  subject and object ("eats" takes food, "drives" a vehicle, "rules" a kingdom);
- number: singular/plural subjects take *a/the/this...* or *some/many/these...*, "cat"/"cats", "eats"/"eat";
- gender: a king or father owns *his* door and is *he* in the second clause, a queen or mother *her*/*she*
  (so that man : woman = king : queen holds in the vectors a model learns);
- adjectives fit their noun (colours for objects and food, tastes for food, moods for people...), prepositions
  their place ("on the mat", "in the garden", "near the river"); *a* becomes *an* before a vowel.
Within every word class the words are drawn with Zipf probabilities p(rank r) ∝ 1/r, so the corpus's
rank-frequency curve follows Zipf's law (slope ≈ -1 on log-log axes), and sentences are separated by
``<eos>`` as in the Penn Treebank files (Mikolov's PTB).  The real word list holds about 600 word forms; a
larger ``vocab_size`` (PTB's 10,000) is filled with pronounceable pseudo-words built from syllables and
assigned to the same classes, so the structure stays.  Vectorized: every slot of every sentence is drawn in
one NumPy call per (slot, class); 929,589 tokens take a fraction of a second.

``preprocess`` follows Saitoh, *Deep Learning from Scratch 2*, ch. 2 (``common/util.py``): ids in order of first
appearance.  Qt-free.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

EOS = "<eos>"
MIN_VOCAB_SIZE = 150

# ----------------------------------------------------------------------------------------------- word list
# Nouns by category, most frequent first: (singular, plural) or a bare singular (plural adds -s).  Persons carry
# a gender: m / f / n (neutral).
_NOUNS: dict[str, list] = {
    "animal": ["cat", "dog", "bird", "horse", ("fish", "fish"), ("mouse", "mice"), "cow", "rabbit", "lion",
               ("fox", "foxes"), "bear", "duck", ("wolf", "wolves"), "tiger", "frog", "monkey", "elephant", "goat",
               "pig", "snake", "owl", "bee", "deer", "camel", "hen", "whale", "kitten", "puppy", "squirrel", "zebra"],
    "food": ["apple", "bread", "cake", "cheese", "soup", "orange", "banana", "cookie", "pie", "egg",
             ("tomato", "tomatoes"), ("potato", "potatoes"), "carrot", "pizza", ("sandwich", "sandwiches"), "grape",
             "pear", "lemon", ("peach", "peaches"), "sausage", "cherry", "melon", "onion", "muffin", "biscuit"],
    "object": ["book", "ball", ("box", "boxes"), "cup", "key", "hat", "letter", "bag", "toy", "phone", "lamp",
               "clock", "bottle", "pen", "picture", ("watch", "watches"), "shoe", "coat", "ring", "crown", "sword",
               "basket", "umbrella", "kite", "candle", ("dress", "dresses"), "map", "flower", "blanket", "drum"],
    "vehicle": ["car", ("bus", "buses"), "train", "boat", "bike", "truck", "ship", "plane", "taxi", "tractor",
                "wagon", "van", "scooter", "rocket", "canoe"],
    "surface": ["mat", "table", "bed", "floor", "sofa", "roof", "chair", "grass", "hill", "shelf", "desk",
                "carpet", "wall", "rock", "bench"],
    "area": ["house", "garden", "park", "room", "kitchen", ("city", "cities"), "school", "forest", "village",
             "market", "castle", "field", "shop", "library", "palace", ("kingdom", "kingdoms"), "farm", "church",
             "museum", "office"],
    "waterside": ["river", "lake", "road", "street", ("beach", "beaches"), "bridge", "sea", "pond", "path",
                  "station", "harbor", "canal", "shore"],
    "royal": [("king", "kings", "m"), ("queen", "queens", "f"), ("prince", "princes", "m"),
              ("princess", "princesses", "f"), ("emperor", "emperors", "m"), ("empress", "empresses", "f"),
              ("duke", "dukes", "m"), ("duchess", "duchesses", "f"), ("knight", "knights", "m"),
              ("lord", "lords", "m"), ("lady", "ladies", "f")],
    "family": [("father", "fathers", "m"), ("mother", "mothers", "f"), ("brother", "brothers", "m"),
               ("sister", "sisters", "f"), ("son", "sons", "m"), ("daughter", "daughters", "f"),
               ("uncle", "uncles", "m"), ("aunt", "aunts", "f"), ("husband", "husbands", "m"),
               ("wife", "wives", "f"), ("grandfather", "grandfathers", "m"), ("grandmother", "grandmothers", "f"),
               ("nephew", "nephews", "m"), ("niece", "nieces", "f")],
    "people": [("man", "men", "m"), ("woman", "women", "f"), ("boy", "boys", "m"), ("girl", "girls", "f"),
               ("teacher", "teachers", "n"), ("child", "children", "n"), ("friend", "friends", "n"),
               ("doctor", "doctors", "n"), ("farmer", "farmers", "n"), ("student", "students", "n"),
               ("gentleman", "gentlemen", "m"), ("baby", "babies", "n"), ("neighbor", "neighbors", "n"),
               ("actor", "actors", "m"), ("actress", "actresses", "f"), ("waiter", "waiters", "m"),
               ("waitress", "waitresses", "f"), ("cook", "cooks", "n"), ("pilot", "pilots", "n"),
               ("nurse", "nurses", "n"), ("sailor", "sailors", "n"), ("singer", "singers", "n")],
}
_PERSONS = ("royal", "family", "people")
_PLACES = ("surface", "area", "waterside")

# Adjectives by what they describe, most frequent first.  A noun category draws from the union of its sets.
_ADJECTIVES: dict[str, list[str]] = {
    "size": ["big", "small", "little", "large", "tiny", "huge", "long", "short"],
    "colour": ["red", "green", "blue", "black", "white", "brown", "yellow", "grey", "pink", "purple"],
    "taste": ["sweet", "fresh", "hot", "cold", "delicious", "sour", "warm", "ripe", "salty", "spicy"],
    "mood": ["happy", "sad", "kind", "tall", "clever", "angry", "brave", "tired", "young", "wise", "proud",
             "hungry", "lazy", "polite", "noisy"],
    "age": ["old", "new", "ancient", "modern", "broken", "shiny"],
    "place": ["quiet", "dark", "busy", "beautiful", "empty", "sunny", "wet", "crowded", "peaceful", "muddy"],
    "creature": ["wild", "friendly", "fast", "slow", "cute", "fat", "furry", "strong"],
}
_NOUN_ADJECTIVES = {
    "animal": ("size", "colour", "creature"), "food": ("taste", "colour", "size"), "object": ("colour", "age", "size"),
    "vehicle": ("colour", "age", "size"), "surface": ("age", "colour", "size"), "area": ("place", "age", "size"),
    "waterside": ("place", "size", "age"), "royal": ("mood",), "family": ("mood",), "people": ("mood",),
}

# Verbs as (3rd person singular, base, past) or a bare base (regular: -s, -ed), grouped by what they take:
# group -> (subject categories, object categories or () for intransitive, verbs).
_VERB_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...], list]] = {
    "consume": (("animal",) + _PERSONS, ("food",),
                [("eats", "eat", "ate"), "like", "want", ("finds", "find", "found"), "smell", "love", "taste",
                 ("bites", "bite", "bit")]),
    "cook": (_PERSONS, ("food",),
             [("cooks", "cook", "cooked"), ("buys", "buy", "bought"), ("sells", "sell", "sold"),
              ("cuts", "cut", "cut"), ("bakes", "bake", "baked"), ("washes", "wash", "washed"), "peel",
              ("slices", "slice", "sliced")]),
    "handle": (_PERSONS, ("object",),
               [("takes", "take", "took"), ("holds", "hold", "held"), "open", ("carries", "carry", "carried"),
                ("loses", "lose", "lost"), ("drops", "drop", "dropped"), ("brings", "bring", "brought"),
                ("reads", "read", "read"), ("makes", "make", "made"), ("breaks", "break", "broke"), ("keeps", "keep", "kept")]),
    "drive": (_PERSONS, ("vehicle",),
              [("drives", "drive", "drove"), ("rides", "ride", "rode"), ("fixes", "fix", "fixed"), "park",
               ("stops", "stop", "stopped"), "paint", "steer", ("races", "race", "raced")]),
    "perceive": (("animal",) + _PERSONS, ("animal",) + _PERSONS,
                 [("sees", "see", "saw"), ("watches", "watch", "watched"), "follow", ("meets", "meet", "met"),
                  "help", "call", ("chases", "chase", "chased"), ("hears", "hear", "heard"), "visit", "greet"]),
    "rule": (("royal",), ("area",),
             [("rules", "rule", "ruled"), "govern", "defend", ("leaves", "leave", "left"), "protect",
              ("builds", "build", "built"), "conquer"]),
    "move": (("animal",) + _PERSONS, (),
             [("sits", "sit", "sat"), ("sleeps", "sleep", "slept"), ("runs", "run", "ran"), "walk", "play",
              "wait", ("stands", "stand", "stood"), ("swims", "swim", "swam"), "jump", "live", ("sings", "sing", "sang"),
              "dance", "rest", "work", "hide"]),
}
_TRANSITIVE = ("consume", "cook", "handle", "drive", "perceive", "rule")

_PREPOSITIONS = {"surface": ["on", "under", "near", "beside", "behind"],
                 "area": ["in", "near", "behind", "outside", "inside"],
                 "waterside": ["near", "by", "along", "across", "beside"]}
_DET_SG = ["the", "a", "this", "that", "every", "my", "your", "our"]
_DET_PL = ["the", "some", "many", "these", "those", "two", "three", "my", "our", "all"]
_CLOSED = (_DET_SG + _DET_PL + sum(_PREPOSITIONS.values(), []) +
           ["an", "his", "her", "their", "its", "and", "he", "she", "they", "it", "is", "are", "was", "were"])

# Sentence types and their probabilities: transitive, intransitive + place, copula + adjective, two clauses.
_TYPE_P = np.array([0.42, 0.26, 0.12, 0.20])

_ONSETS = ["b", "br", "c", "cl", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "pl", "pr",
           "r", "s", "sl", "st", "t", "tr", "v", "w", "z", "sh", "ch", "th"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "oo", "ou"]
_CODAS = ["", "", "", "n", "l", "r", "m", "t", "nd", "st", "ck"]


def _regular_plural(noun: str) -> str:
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _regular_verb(base: str) -> tuple[str, str, str]:
    third = _regular_plural(base)
    if base.endswith("e"):
        past = base + "d"
    elif base.endswith("y") and base[-2] not in "aeiou":
        past = base[:-1] + "ied"
    else:
        past = base + "ed"
    return third, base, past


@dataclass
class _Lexicon:
    """The grammar's word classes as id arrays into ``words`` (a vocabulary of ``vocab_size`` forms)."""

    words: list[str]
    ids: dict[str, int]
    noun_sg: dict[str, np.ndarray] = field(default_factory=dict)      # category -> (n,) form ids
    noun_pl: dict[str, np.ndarray] = field(default_factory=dict)
    noun_gender: dict[str, np.ndarray] = field(default_factory=dict)  # 0 neutral / 1 m / 2 f (persons)
    adjectives: dict[str, np.ndarray] = field(default_factory=dict)   # noun category -> adjective ids
    verbs: dict[str, np.ndarray] = field(default_factory=dict)        # group -> (n, 3) ids: 3sg, base, past

    def add(self, word: str) -> int:
        if word not in self.ids:
            self.ids[word] = len(self.words)
            self.words.append(word)
        return self.ids[word]


def _pseudo_words(n: int, taken: set[str]) -> list[str]:
    """n pronounceable pseudo-words of 2-3 syllables, deterministic, none in ``taken`` nor inflecting into it."""
    rng = np.random.default_rng(20240605)
    out: list[str] = []
    seen = set(taken)
    while len(out) < n:
        m = 2 * (n - len(out)) + 64
        n_syl = np.where(rng.random(m) < 0.75, 2, 3)
        parts = [rng.integers(0, len(x), (m, 3)) for x in (_ONSETS, _VOWELS)]
        coda = rng.integers(0, len(_CODAS), m)
        for i in range(m):
            w = "".join(_ONSETS[parts[0][i, s]] + _VOWELS[parts[1][i, s]] for s in range(n_syl[i])) + _CODAS[coda[i]]
            forms = {w, _regular_plural(w), *_regular_verb(w)}
            if len(w) < 4 or forms & seen:
                continue
            seen |= forms
            out.append(w)
            if len(out) == n:
                break
    return out


@lru_cache(maxsize=8)
def _lexicon(vocab_size: int) -> _Lexicon:
    """Closed-class words first, then open-class lemmas in Zipf-rank order interleaved across classes until the
    vocabulary holds vocab_size forms (counting <eos>); pseudo-words fill what the real list cannot."""
    lex = _Lexicon(words=[EOS], ids={EOS: 0})
    for w in _CLOSED:
        lex.add(w)
    # Open-class lemmas as (kind, class, forms[, gender]) in priority order: rank 0 of every class, then rank 1...
    queues: list[list[tuple]] = []
    for cat, items in _NOUNS.items():
        q = []
        for it in items:
            if isinstance(it, str):
                q.append(("noun", cat, (it, _regular_plural(it)), 0))
            else:
                gender = {"n": 0, "m": 1, "f": 2}[it[2]] if len(it) > 2 else 0
                q.append(("noun", cat, (it[0], it[1]), gender))
        queues.append(q)
    for group, (_, _, verbs) in _VERB_GROUPS.items():
        queues.append([("verb", group, _regular_verb(v) if isinstance(v, str) else v, 0) for v in verbs])
    for aset, adjs in _ADJECTIVES.items():
        queues.append([("adj", aset, (a,), 0) for a in adjs])
    order = [item for rank in range(max(len(q) for q in queues)) for q in queues if rank < len(q) for item in [q[rank]]]
    taken = set(lex.words) | {f for it in order for f in it[2]}
    # Pseudo lemmas go to the classes in a cycle that favours nouns (open classes grow with nouns, as in English).
    cycle = [i for i, q in enumerate(queues) for _ in range(3 if q[0][0] == "noun" else 1)]
    pseudo = iter(_pseudo_words(max(0, vocab_size) // 2 + 64, taken))

    def pseudo_lemma(k: int) -> tuple:
        """The k-th pseudo lemma: classes in round robin, shaped like the real ones."""
        w = next(pseudo)
        q = queues[cycle[k % len(cycle)]][0]
        kind, cls = q[0], q[1]
        if kind == "noun":
            gender = 0 if cls not in _PERSONS else 1 + (k // len(cycle)) % 2
            return ("noun", cls, (w, _regular_plural(w)), gender)
        if kind == "verb":
            return ("verb", cls, _regular_verb(w), 0)
        return ("adj", cls, (w,), 0)

    noun_sg: dict[str, list[int]] = {c: [] for c in _NOUNS}
    noun_pl: dict[str, list[int]] = {c: [] for c in _NOUNS}
    gender: dict[str, list[int]] = {c: [] for c in _NOUNS}
    verbs: dict[str, list[tuple[int, int, int]]] = {g: [] for g in _VERB_GROUPS}
    adj_sets: dict[str, list[int]] = {a: [] for a in _ADJECTIVES}
    k = 0
    i = 0
    while len(lex.words) < vocab_size:
        if i < len(order):
            item = order[i]
            i += 1
        else:
            item = pseudo_lemma(k)
            k += 1
        kind, cls, forms, g = item
        if len(lex.words) + len(set(forms) - set(lex.ids)) > vocab_size:
            if kind == "adj":
                break
            continue                                   # too many forms for the room left: try the next lemma
        ids = [lex.add(f) for f in forms]
        if kind == "noun":
            noun_sg[cls].append(ids[0])
            noun_pl[cls].append(ids[1])
            gender[cls].append(g)
        elif kind == "verb":
            verbs[cls].append(tuple(ids))
        else:
            adj_sets[cls].append(ids[0])
        if i >= len(order) and k > 10 * vocab_size:    # safety: cannot happen for valid sizes
            break
    lex.noun_sg = {c: np.array(v, dtype=np.int64) for c, v in noun_sg.items()}
    lex.noun_pl = {c: np.array(v, dtype=np.int64) for c, v in noun_pl.items()}
    lex.noun_gender = {c: np.array(v, dtype=np.int64) for c, v in gender.items()}
    lex.verbs = {g: np.array(v, dtype=np.int64).reshape(-1, 3) for g, v in verbs.items()}
    lex.adjectives = {c: np.array(sum((adj_sets[a] for a in sets), []), dtype=np.int64)
                      for c, sets in _NOUN_ADJECTIVES.items()}
    return lex


def _zipf(n: int) -> np.ndarray:
    """Zipf probabilities p(r) ∝ 1/r for ranks 1..n.  (n,) float64."""
    p = 1.0 / np.arange(1, n + 1)
    return p / p.sum()


def _choice(rng: np.random.Generator, table: np.ndarray, size: int) -> np.ndarray:
    """size draws from the rows of ``table`` with Zipf probabilities over its order.  (size,) + table.shape[1:]."""
    idx = np.searchsorted(np.cumsum(_zipf(len(table))), rng.random(size), side="right")
    return table[np.minimum(idx, len(table) - 1)]


def _by_key(rng: np.random.Generator, keys: np.ndarray, names: tuple[str, ...], tables: dict[str, np.ndarray],
            out: np.ndarray) -> None:
    """out[keys == k] = Zipf draws from tables[names[k]], one vectorized draw per class."""
    for k, name in enumerate(names):
        rows = np.flatnonzero(keys == k)
        if rows.size:
            out[rows] = _choice(rng, tables[name], rows.size)


def generate_corpus(n_tokens: int, vocab_size: int = 1000, seed: int = 0) -> list[str]:
    """An English-like generated corpus: ``n_tokens`` word tokens (``<eos>`` between sentences) over at most
    ``vocab_size`` distinct words, deterministic from ``seed``.  See the module docstring for the grammar.

    Raises ValueError for n_tokens < 1 or vocab_size < 150 (the grammar's closed classes need the room)."""
    ids, words = generate_corpus_ids(n_tokens, vocab_size, seed)
    return np.asarray(words, dtype=object)[ids].tolist()


def generate_corpus_ids(n_tokens: int, vocab_size: int = 1000, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Like ``generate_corpus`` but returns (ids (n_tokens,) int32, words): ids index the list ``words``
    (<eos> is id 0).  The faster path for large corpora."""
    n_tokens, vocab_size = int(n_tokens), int(vocab_size)
    if n_tokens < 1:
        raise ValueError(f"the corpus needs at least one token, got n_tokens={n_tokens}")
    if vocab_size < MIN_VOCAB_SIZE:
        raise ValueError(f"vocab_size must be at least {MIN_VOCAB_SIZE} for the grammar's word classes, "
                         f"got {vocab_size}")
    lex = _lexicon(vocab_size)
    rng = np.random.default_rng(seed)
    chunks: list[np.ndarray] = []
    total = 0
    while total < n_tokens:
        n_sent = max(16, int((n_tokens - total) / 7.5 * 1.05) + 1)
        sent = _sentences(rng, lex, n_sent)
        chunks.append(sent)
        total += sent.size
    ids = np.concatenate(chunks)[:n_tokens].astype(np.int32)
    return ids, list(lex.words)


# Slot columns of one sentence row.
(_S_DET, _S_ADJ, _S_NOUN, _VERB, _O_DET, _O_ADJ, _O_NOUN, _PREP, _L_DET, _L_ADJ, _L_NOUN,
 _CONJ, _PRON, _V2, _O2_DET, _O2_NOUN, _EOS_COL) = range(17)


def _noun_phrase(rng, lex: _Lexicon, cats: np.ndarray, cat_names, out, det_col, adj_col, noun_col, adj_p, pl_p):
    """Fill determiner/adjective/noun columns for rows whose noun category index is ``cats`` (n,) (-1 = none).
    Returns (plural (n,) bool, gender (n,) int)."""
    n = cats.size
    has = cats >= 0
    lemma_sg = np.full(n, -1, np.int64)
    lemma_pl = np.full(n, -1, np.int64)
    gender = np.zeros(n, np.int64)
    for k, name in enumerate(cat_names):
        rows = np.flatnonzero(cats == k)
        if not rows.size:
            continue
        table = np.stack([lex.noun_sg[name], lex.noun_pl[name], lex.noun_gender[name]], axis=1)
        pick = _choice(rng, table, rows.size)
        lemma_sg[rows], lemma_pl[rows], gender[rows] = pick[:, 0], pick[:, 1], pick[:, 2]
        if adj_col is not None:
            with_adj = rows[rng.random(rows.size) < adj_p]
            out[with_adj, adj_col] = _choice(rng, lex.adjectives[name], with_adj.size)
    plural = has & (rng.random(n) < pl_p)
    out[has, noun_col] = np.where(plural, lemma_pl, lemma_sg)[has]
    det_sg = np.array([lex.ids[w] for w in _DET_SG])
    det_pl = np.array([lex.ids[w] for w in _DET_PL])
    out[has, det_col] = np.where(plural, _choice(rng, det_pl, n), _choice(rng, det_sg, n))[has]
    return plural, gender


def _sentences(rng: np.random.Generator, lex: _Lexicon, n: int) -> np.ndarray:
    """n sentences, each ending in <eos>, flattened to (L,) int64 ids."""
    cats = tuple(_NOUNS)
    cat_index = {c: i for i, c in enumerate(cats)}
    out = np.full((n, 17), -1, np.int64)
    out[:, _EOS_COL] = 0
    stype = np.searchsorted(np.cumsum(_TYPE_P), rng.random(n), side="right").clip(0, 3)  # 0 trans 1 intr 2 cop 3 two
    # Verb group: transitive groups for types 0 and 3, "move" for 1; copula sentences have none.
    groups = tuple(_VERB_GROUPS)
    trans_idx = np.array([groups.index(g) for g in _TRANSITIVE])
    group = np.where(stype == 1, groups.index("move"), trans_idx[rng.integers(0, len(trans_idx), n)])
    group[stype == 2] = -1
    # Subject category: allowed by the verb group (any category for copula sentences).
    s_cat = np.empty(n, np.int64)
    for g, name in enumerate(groups):
        rows = np.flatnonzero(group == g)
        allowed = np.array([cat_index[c] for c in _VERB_GROUPS[name][0]])
        s_cat[rows] = allowed[rng.integers(0, allowed.size, rows.size)]
    rows = np.flatnonzero(group == -1)
    s_cat[rows] = rng.integers(0, len(cats), rows.size)
    s_plural, s_gender = _noun_phrase(rng, lex, s_cat, cats, out, _S_DET, _S_ADJ, _S_NOUN, 0.3, 0.3)
    # Person subjects of neutral gender get he/she at random (no gender signal for them).
    is_person = np.isin(s_cat, [cat_index[c] for c in _PERSONS])
    neutral = is_person & (s_gender == 0)
    s_gender[neutral] = rng.integers(1, 3, neutral.sum())
    # Verb form: present 3sg / present plural (base) / past.
    past = rng.random(n) < 0.4
    form = np.where(past, 2, np.where(s_plural, 1, 0))
    verb_rows = np.full((n, 3), -1, np.int64)
    _by_key(rng, group, groups, lex.verbs, verb_rows)
    has_verb = group >= 0
    out[has_verb, _VERB] = verb_rows[has_verb, form[has_verb]]
    cop = stype == 2
    copula = np.array([lex.ids[w] for w in ("is", "are", "was", "were")])
    out[cop, _VERB] = copula[(s_plural.astype(int) + 2 * past)[cop]]
    adj = np.full(n, -1, np.int64)
    _by_key(rng, np.where(cop, s_cat, -1), cats, lex.adjectives, adj)
    out[cop, _O_ADJ] = adj[cop]
    # Object of transitive verbs (types 0 and 3).
    o_cat = np.full(n, -1, np.int64)
    for g, name in enumerate(groups):
        allowed = _VERB_GROUPS[name][1]
        rows = np.flatnonzero(group == g)
        if allowed and rows.size:
            allowed_i = np.array([cat_index[c] for c in allowed])
            o_cat[rows] = allowed_i[rng.integers(0, allowed_i.size, rows.size)]
    _noun_phrase(rng, lex, o_cat, cats, out, _O_DET, _O_ADJ, _O_NOUN, 0.35, 0.25)
    # Possessive object determiner agreeing with a person subject: his / her / their.
    own = (o_cat >= 0) & is_person & (rng.random(n) < 0.35)
    poss = np.where(s_plural, lex.ids["their"], np.where(s_gender == 1, lex.ids["his"], lex.ids["her"]))
    out[own, _O_DET] = poss[own]
    # Location phrase: most intransitive sentences, some transitive ones.
    place = np.where(stype == 1, rng.random(n) < 0.85, (stype == 0) & (rng.random(n) < 0.25))
    places = tuple(_PLACES)
    l_cat_local = rng.integers(0, len(places), n)
    l_cat = np.where(place, np.array([cat_index[c] for c in places])[l_cat_local], -1)
    _noun_phrase(rng, lex, l_cat, cats, out, _L_DET, _L_ADJ, _L_NOUN, 0.2, 0.15)
    preps = {c: np.array([lex.ids[w] for w in _PREPOSITIONS[c]]) for c in places}
    prep = np.full(n, -1, np.int64)
    _by_key(rng, np.where(place, l_cat_local, -1), places, preps, prep)
    out[place, _PREP] = prep[place]
    # Second clause: and + pronoun + a verb of the same group + object.
    two = stype == 3
    out[two, _CONJ] = lex.ids["and"]
    pron = np.where(s_plural, lex.ids["they"],
                    np.where(is_person, np.where(s_gender == 1, lex.ids["he"], lex.ids["she"]), lex.ids["it"]))
    out[two, _PRON] = pron[two]
    v2 = np.full((n, 3), -1, np.int64)
    _by_key(rng, np.where(two, group, -1), groups, lex.verbs, v2)
    out[two, _V2] = v2[two, form[two]]
    o2 = np.full(n, -1, np.int64)
    o2[two] = o_cat[two]
    o2_cols = np.full((n, 17), -1, np.int64)
    _noun_phrase(rng, lex, o2, cats, o2_cols, _O2_DET, _S_ADJ, _O2_NOUN, 0.0, 0.25)
    out[two, _O2_DET] = o2_cols[two, _O2_DET]
    out[two, _O2_NOUN] = o2_cols[two, _O2_NOUN]
    own2 = two & is_person & (rng.random(n) < 0.35)
    out[own2, _O2_DET] = poss[own2]
    flat = out.reshape(-1)
    flat = flat[flat >= 0]
    # "a" -> "an" before a vowel.
    vowel = np.array([w[0] in "aeiou" for w in lex.words])
    a_pos = np.flatnonzero(flat[:-1] == lex.ids["a"])
    flat[a_pos[vowel[flat[a_pos + 1]]]] = lex.ids["an"]
    return flat


# ----------------------------------------------------------------------------------------- preprocessing
_TOKEN = re.compile(r"<eos>|<unk>|[^\W_]+(?:'[^\W_]+)?|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; punctuation marks become tokens of their own ("hello." -> "hello", ".")."""
    return _TOKEN.findall(text.lower())


def preprocess(text_or_tokens) -> tuple[np.ndarray, dict[str, int], dict[int, str]]:
    """Saitoh DLfS2 ch. 2 ``preprocess``: (corpus (T,) int32 word ids, word_to_id, id_to_word), ids numbered in
    order of first appearance.  ``text_or_tokens``: a string (tokenized by ``tokenize``) or a sequence of tokens.

    >>> preprocess("You say goodbye and I say hello.")[0]
    array([0, 1, 2, 3, 4, 1, 5, 6], dtype=int32)

    Raises ValueError for an empty corpus."""
    tokens = tokenize(text_or_tokens) if isinstance(text_or_tokens, str) else list(text_or_tokens)
    if not tokens:
        raise ValueError("the corpus is empty: it holds no words")
    word_to_id: dict[str, int] = {}
    ids = [word_to_id.setdefault(w, len(word_to_id)) for w in tokens]
    corpus = np.array(ids, dtype=np.int32)
    id_to_word = {i: w for w, i in word_to_id.items()}
    return corpus, word_to_id, id_to_word


def load_text_corpus(path, max_bytes: int | None = None, max_tokens: int | None = None) -> list[str]:
    """Tokens of a user's UTF-8 (or Latin-1) text file: lower-cased, punctuation split off (see ``tokenize``);
    a Penn Treebank file (``ptb.train.txt``...) is cut as the book does (words as they are, ``<eos>`` per line).
    Read in a stream by ``visualizer.data.corpus_file.read_corpus_tokens``, which refuses a file past
    ``max_bytes`` bytes or ``max_tokens`` tokens (its defaults when None) as it reads.

    Raises ValueError (a LessonConfigError) with a message fit for the user for a missing, unreadable, empty,
    binary or too large file, or one without words."""
    from visualizer.data import corpus_file                 # it imports this module's tokenize
    limits = {k: v for k, v in (("max_bytes", max_bytes), ("max_tokens", max_tokens)) if v is not None}
    return corpus_file.read_corpus_tokens(path, "auto", **limits)


def word_classes(vocab_size: int = 1000) -> dict[str, str]:
    """The grammatical class of every word of the generated corpus with this vocabulary: word -> one of
    "noun", "verb", "adjective", "determiner", "preposition", "pronoun", "conjunction", "copula", "<eos>".
    (A word in two classes, such as "cook", gets the first of noun, verb.)  For colouring word maps and
    checking that learned vectors group words by class.  Raises ValueError as ``generate_corpus``."""
    if int(vocab_size) < MIN_VOCAB_SIZE:
        raise ValueError(f"vocab_size must be at least {MIN_VOCAB_SIZE} for the grammar's word classes, "
                         f"got {vocab_size}")
    lex = _lexicon(int(vocab_size))
    out = {EOS: "<eos>"}
    for words, cls in ((_DET_SG + _DET_PL + ["an", "his", "her", "their", "its"], "determiner"),
                       (sum(_PREPOSITIONS.values(), []), "preposition"), (["he", "she", "they", "it"], "pronoun"),
                       (["and"], "conjunction"), (["is", "are", "was", "were"], "copula")):
        for w in words:
            out.setdefault(w, cls)
    for tables, cls in (((lex.noun_sg, lex.noun_pl), "noun"), ((lex.verbs,), "verb"), ((lex.adjectives,), "adjective")):
        for table in tables:
            for ids in table.values():
                for i in np.asarray(ids).reshape(-1):
                    out.setdefault(lex.words[int(i)], cls)
    return out
