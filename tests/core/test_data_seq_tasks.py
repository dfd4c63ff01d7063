"""The generated addition and date tasks, the loader of the book's file format, and its errors."""
from pathlib import Path

import numpy as np
import pytest

from visualizer.data.seq_tasks import (SeqFormatError, decode_ids, encode_question, generate_addition,
                                            generate_dates, load_seq_file, parse_seq_lines, split_seq,
                                            write_seq_file)

BOOK = Path(__file__).resolve().parents[3] / "shared" / "data" / "dlfs2"
needs_book = pytest.mark.skipif(not (BOOK / "addition.txt").exists(), reason="the book's files are absent")


def _widths(lines):
    return {(line.index("_"), len(line) - line.index("_")) for line in lines}


def test_addition_lines_are_correct_sums_with_the_books_widths():
    lines = generate_addition(2000, seed=3)
    assert len(lines) == len(set(lines)) == 2000
    assert _widths(lines) == {(7, 5)}
    for line in lines:
        q, a = line.split("_")
        x, y = q.split("+")
        assert int(x) + int(y) == int(a)
        assert 0 <= int(x) <= 999 and 0 <= int(y) <= 999
    assert generate_addition(2000, seed=3) == lines
    assert generate_addition(2000, seed=4) != lines


def test_dates_are_right_in_every_format_with_the_books_widths():
    lines = generate_dates(3000, seed=5)
    assert _widths(lines) == {(29, 11)}
    assert generate_dates(3000, seed=5) == lines
    shapes = set()
    for line in lines:
        q, a = line.split("_")
        year, month, day = (int(v) for v in a.split("-"))
        assert 1970 <= year <= 2017
        assert str(year) in q or f"/{year % 100:02d}" in q
        assert str(day) in q
        shapes.add("slash" if "/" in q else "weekday" if q.count(",") == 2 else
                   "day-first" if q.strip()[0].isdigit() else "month-first")
    assert shapes == {"slash", "weekday", "day-first", "month-first"}
    assert any(line.startswith(("September", "SEPTEMBER", "september")) for line in generate_dates(20000, 1))


@needs_book
def test_generated_files_match_the_books_format_and_vocabulary():
    for name, lines in (("addition", generate_addition(50_000, 0)), ("date", generate_dates(50_000, 0))):
        book = (BOOK / f"{name}.txt").read_text().splitlines()
        assert _widths(lines) == _widths(book)
        assert {len(line) for line in lines} == {len(line) for line in book}
        ours, theirs = set("".join(lines)), set("".join(book))
        assert ours <= theirs
        _, _, c2i, _ = parse_seq_lines(lines)
        _, _, book_c2i, _ = parse_seq_lines(book)
        assert len(book_c2i) == {"addition": 13, "date": 59}[name]
        assert len(c2i) == len(book_c2i)                  # the same 13 and 59 symbols


@needs_book
def test_loader_reads_the_books_files_and_splits_like_the_book():
    x, t, c2i, i2c = load_seq_file(BOOK / "addition.txt")
    assert x.shape == (50_000, 7) and t.shape == (50_000, 5) and len(c2i) == 13
    # The book's vocabulary order: first appearance in "16+75  _91  ".
    assert [i2c[i] for i in range(6)] == ["1", "6", "+", "7", "5", " "]
    assert decode_ids(x[:1], i2c) == ["16+75  "] and decode_ids(t[:1], i2c) == ["_91  "]
    (xtr, ttr), (xte, tte) = split_seq(x, t, seed=1984)
    assert len(xtr) == 45_000 and len(xte) == 5_000
    idx = np.arange(50_000)
    np.random.RandomState(1984).shuffle(idx)               # what the book's numpy.random.seed does
    assert np.array_equal(xte, x[idx[45_000:]])
    x, t, c2i, _ = load_seq_file(BOOK / "date.txt")
    assert x.shape == (50_000, 29) and t.shape == (50_000, 11) and len(c2i) == 59


def test_round_trip_through_a_file(tmp_path):
    lines = generate_addition(300, seed=1)
    write_seq_file(tmp_path / "a.txt", lines)
    x, t, c2i, i2c = load_seq_file(tmp_path / "a.txt")
    assert decode_ids(x, i2c) == [line[:7] for line in lines]
    assert decode_ids(t, i2c) == [line[7:] for line in lines]
    assert x.dtype == np.int32 and t[:, 0].tolist() == [c2i["_"]] * 300


@pytest.mark.parametrize("text, expected", [
    ("12+3 _15 \n1+2 _3  \n", "line 2"),
    ("12+3 _15 \n12+34_46\n", "line 2"),
    ("12+3 _15 \n1+2   3  \n", "line 2 of bad.txt has no '_'"),
    ("", "no examples"),
    ("\n\n", "no examples"),
])
def test_bad_files_name_the_problem(tmp_path, text, expected):
    (tmp_path / "bad.txt").write_text(text)
    with pytest.raises(SeqFormatError, match=expected):
        load_seq_file(tmp_path / "bad.txt")


def test_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(SeqFormatError, match="does not exist"):
        load_seq_file(tmp_path / "nope.txt")


def test_encode_question_pads_and_names_unknown_characters():
    _, _, c2i, i2c = parse_seq_lines(generate_dates(500, 2))
    ids = encode_question("9/27/94", c2i, 29)
    assert ids.shape == (1, 29) and decode_ids(ids, i2c) == ["9/27/94".ljust(29)]
    with pytest.raises(SeqFormatError, match=r"'\.'") as e:
        encode_question("27.09.1994", c2i, 29)
    assert "never seen" in str(e.value)
    with pytest.raises(SeqFormatError, match="at most 29"):
        encode_question("x" * 30, c2i, 29)
    with pytest.raises(SeqFormatError):
        encode_question("", c2i, 29)


def test_split_needs_enough_examples():
    x = np.zeros((5, 3), np.int32)
    with pytest.raises(ValueError):
        split_seq(x, x)


def test_a_task_file_over_the_limits_is_refused_while_reading(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("".join(f"{i % 10}+{i % 7} _{i % 10 + i % 7:<2}\n" for i in range(50)) + "\x00 never read\n")
    with pytest.raises(SeqFormatError, match=r"more than 30 lines; a task file here holds at most 30"):
        load_seq_file(path, max_lines=30)
    with pytest.raises(SeqFormatError, match=r"big.txt is .* bytes; a task file here may hold at most 200 bytes"):
        load_seq_file(path, max_bytes=200)
    with pytest.raises(SeqFormatError, match=r"binary data, line 51"):
        load_seq_file(path)
