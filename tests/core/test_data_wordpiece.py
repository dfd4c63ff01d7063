"""WordPiece through ``tokenizers``: a tiny BERT vocab.txt written here, compared with transformers' BERT
tokenizers (the Rust-backed one and the pure-Python legacy port of Google's tokenization.py) on sentences with
unknown words, accents, punctuation and a typed [MASK]; the Encoded contract of WordVocab; pairs for NSP;
training a small vocabulary; bad vocabulary files."""
import numpy as np
import pytest

from visualizer.core.errors import LessonConfigError
from visualizer.data.tokenize import SPECIAL_TOKENS, Encoded, WordVocab
from visualizer.data.wordpiece import EncodedPair, WordPieceTokenizer

# BERT's layout: [PAD] 0, then unused slots, [UNK] [CLS] [SEP] [MASK] later (100..103 in bert-base-uncased).
VOCAB = (["[PAD]", "[unused0]", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
         + "the a was not good bad film cafe play un ##believ ##able ##ing ##s . , ! ' t don i".split()
         + ["naive", "na", "##ive", "é", "日", "本"])
SENTENCES = [
    "The film was NOT good.",
    "Café playings, unbelievable!",
    "I don't play the zebra film",                  # zebra: unknown
    "naïve Ünbelievable 日本 film",                  # accents, CJK characters
    "the [MASK] was good",                          # a typed special token
    "  \tthe\u00a0film\x07 was  bad  ",             # tabs, no-break space, a control character
    "a" * 120 + " film",                            # a word longer than 100 characters
]


@pytest.fixture
def vocab_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return path


def test_same_pieces_and_ids_as_transformers_bert_tokenizers(vocab_file):
    from transformers import BertTokenizer
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    ours = WordPieceTokenizer.from_vocab(vocab_file)
    fast = BertTokenizer(vocab=str(vocab_file))
    legacy = BertTokenizerLegacy(vocab_file=str(vocab_file))
    assert (ours.pad_id, ours.unk_id, ours.cls_id, ours.sep_id, ours.mask_id) == (0, 3, 4, 5, 6) and len(ours) == len(VOCAB) == 34
    for text in SENTENCES:
        ids, pieces, _ = ours.tokenize(text)
        assert ids == fast(text, add_special_tokens=False)["input_ids"], text
        assert ids == legacy(text, add_special_tokens=False)["input_ids"], text
        assert pieces == legacy.tokenize(text), text
        enc = ours.encode(text, 32, add_cls=True, add_sep=True)
        ref = fast(text, max_length=32, truncation=True, padding="max_length")["input_ids"]
        assert enc.ids.tolist() == ref, text
    for text in SENTENCES[:3]:
        assert ours.decode(ours.encode(text, 32).ids) == fast.decode(fast(text)["input_ids"],
                                                                     skip_special_tokens=True)


def test_encoded_contract_unknown_words_and_truncation(vocab_file):
    tok = WordPieceTokenizer.from_vocab(vocab_file)
    enc = tok.encode("Café playings with a Zebra", max_len=8)
    assert isinstance(enc, Encoded) and enc.ids.dtype == np.int64 and enc.ids.shape == (8,)
    assert enc.tokens == ["[CLS]", "cafe", "play", "##ing", "##s", "[UNK]", "a", "[UNK]"]
    assert enc.unknown == ["with", "Zebra"] and not enc.truncated and enc.length == 8
    short = tok.encode("the film was not good", max_len=4, add_sep=True)
    assert short.tokens == ["[CLS]", "the", "film", "[SEP]"] and short.truncated
    assert short.ids.tolist() == [tok.cls_id, tok.stoi["the"], tok.stoi["film"], tok.sep_id]
    padded = tok.encode("bad", max_len=5, add_cls=False)
    assert padded.ids.tolist() == [tok.stoi["bad"], 0, 0, 0, 0] and padded.tokens == ["bad"]
    masked = tok.encode("the [MASK] was good", 8)
    assert masked.tokens[2] == "[MASK]" and masked.ids[2] == tok.mask_id and masked.unknown == []
    ids, lengths = tok.encode_batch(["the film", "Zebra " * 50, ""], max_len=6, add_sep=True)
    assert ids.shape == (3, 6) and ids.dtype == np.int64 and lengths.tolist() == [4, 6, 2]
    assert ids[0].tolist() == tok.encode("the film", 6, add_sep=True).ids.tolist()
    for max_len, add_cls, add_sep in ((32, True, False), (5, True, True), (4, False, True), (3, False, False)):
        ids, lengths = tok.encode_batch(SENTENCES, max_len, add_cls, add_sep)
        one = [tok.encode(s, max_len, add_cls, add_sep) for s in SENTENCES]
        assert ids.tolist() == [e.ids.tolist() for e in one] and lengths.tolist() == [e.length for e in one]
    assert tok.decode(tok.encode("I don't play", 10).ids) == "i don ' t play"
    assert tok.decode([tok.cls_id, tok.stoi["play"], tok.stoi["##ing"], tok.sep_id], skip_special=False) \
        == "[CLS] playing [SEP]"
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([99])
    with pytest.raises(ValueError, match="no room"):
        tok.encode("film", 2, add_cls=True, add_sep=True)


def test_pairs_for_next_sentence_prediction_match_transformers(vocab_file):
    from transformers import BertTokenizer

    tok = WordPieceTokenizer.from_vocab(vocab_file)
    fast = BertTokenizer(vocab=str(vocab_file))
    pair = tok.encode_pair("the film was bad", "i play", max_len=12)
    assert isinstance(pair, EncodedPair) and not pair.truncated
    assert pair.tokens == ["[CLS]", "the", "film", "was", "bad", "[SEP]", "i", "play", "[SEP]"]
    assert pair.token_type_ids.tolist() == [0] * 6 + [1] * 3 + [0] * 3
    for a, b, n in [("the film was bad", "i play", 12), ("the film was not good at all", "a cafe", 8),
                    ("a b", "the film was not good , not bad", 7), ("the film was not good at all", "i play", 7)]:
        pair = tok.encode_pair(a, b, n)
        ref = fast(a, b, max_length=n, truncation="longest_first", padding="max_length")
        assert pair.ids.tolist() == ref["input_ids"], (a, b, n)
        assert pair.token_type_ids.tolist() == ref["token_type_ids"], (a, b, n)
    assert tok.encode_pair("the film was not good at all", "a cafe", 8).truncated
    # A tie loses from b, as Google's _truncate_seq_pair does (transformers' Rust code splits the room instead).
    assert tok.encode_pair("the film", "was bad", 6).tokens == ["[CLS]", "the", "film", "[SEP]", "was", "[SEP]"]
    with pytest.raises(ValueError, match="no room"):
        tok.encode_pair("a", "b", 4)


def test_train_a_small_vocabulary_on_our_texts():
    texts = ["the film was good", "the film was not good", "the acting was awful", "playing and played",
             "the players play"] * 20
    tok = WordPieceTokenizer.train(texts, vocab_size=60, min_frequency=2)
    assert tok.itos[:5] == list(SPECIAL_TOKENS) and 10 < len(tok) <= 60
    assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (0, 1, 2, 3, 4)   # as in WordVocab
    assert (WordVocab.pad_id, WordVocab.cls_id, WordVocab.mask_id) == (tok.pad_id, tok.cls_id, tok.mask_id)
    assert "film" in tok.stoi and "the" in tok.stoi
    enc = tok.encode("The film was GOOD", 8)
    assert enc.tokens == ["[CLS]", "the", "film", "was", "good"] and enc.unknown == []
    assert tok.encode("playful 日", 8).unknown == ["日"]                # a character never seen
    # The library breaks ties between equally frequent merges by hash order (huggingface/tokenizers#1794): a
    # second training may differ in a few rare pieces, never in the frequent words.
    again = WordPieceTokenizer.train(texts, vocab_size=60)
    assert again.itos[:5] == tok.itos[:5] and len(set(again.itos) & set(tok.itos)) >= 0.8 * len(tok)
    assert again.encode("The film was GOOD", 8).tokens == enc.tokens
    with pytest.raises(ValueError, match="texts are empty"):
        WordPieceTokenizer.train(["", "  "], vocab_size=50)
    with pytest.raises(ValueError, match="vocab_size"):
        WordPieceTokenizer.train(texts, vocab_size=3)


def test_saved_vocabulary_reads_back_and_cased_keeps_case(tmp_path):
    tok = WordPieceTokenizer.train(["Paris is big", "paris is small"] * 5, vocab_size=40, lowercase=False)
    again = WordPieceTokenizer.from_vocab(tok.save_vocab(tmp_path / "vocab.txt"), lowercase=False)
    assert again.itos == tok.itos
    assert again.encode("Paris is big", 8).ids.tolist() == tok.encode("Paris is big", 8).ids.tolist()
    assert "Paris" in again.stoi and again.encode("Paris", 4).tokens == ["[CLS]", "Paris"]
    assert WordPieceTokenizer.from_tokens(tok.itos, lowercase=False).stoi == tok.stoi


@pytest.mark.parametrize("content, match", [
    (b"[PAD]\n[UNK]\n[CLS]\nthe\n", "lacks the special tokens \\[SEP\\], \\[MASK\\]"),
    (b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nthe\n", "lists 'the' twice \\(ids 5 and 6\\)"),
    (b"[PAD]\n[UNK]\n\n[CLS]\n[SEP]\n[MASK]\n", "entry 2 is empty"),
    (b"[PAD]\n\xff\xfe\n", "not a UTF-8 vocabulary \\(line 2\\)"),
    (b"PK\x03\x04\x00\x00binary", "binary data"),
    (b"", "vocabulary needs at least the special tokens"),
])
def test_bad_vocabulary_files_are_named(tmp_path, content, match):
    path = tmp_path / "vocab.txt"
    path.write_bytes(content)
    with pytest.raises(LessonConfigError, match=match):
        WordPieceTokenizer.from_vocab(path)
    with pytest.raises(LessonConfigError, match="does not exist"):
        WordPieceTokenizer.from_vocab(tmp_path / "missing.txt")
