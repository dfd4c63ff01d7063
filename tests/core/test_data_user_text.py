"""A user's text file in an unexpected encoding: UTF-8 with and without a BOM, UTF-16 with and without a BOM,
legacy code pages (guessed, with a notice), an explicit encoding, and the bad inputs: empty, white space only,
binary, too large, missing, a folder."""
import gzip

import pytest

from visualizer.core.errors import LessonConfigError
from visualizer.data import user_text
from visualizer.data.user_text import read_user_text

FRENCH = "Le café était très bon, à côté de la mer. « Très bien », dit-il — c’était l’été.\n"


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_utf8_with_and_without_bom_and_line_ends(tmp_path):
    text, enc, notice = read_user_text(write(tmp_path, "a.txt", "naïve 日本\r\nsecond\rthird\n".encode()))
    assert (text, enc, notice) == ("naïve 日本\nsecond\nthird\n", "utf-8", "")
    text, enc, notice = read_user_text(write(tmp_path, "b.txt", b"\xef\xbb\xbf" + FRENCH.encode()))
    assert (text, enc, notice) == (FRENCH, "utf-8-sig", "")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_or_without_bom(tmp_path, codec):
    text, enc, notice = read_user_text(write(tmp_path, "w.txt", ("The film was good. " + FRENCH).encode(codec)))
    assert text == "The film was good. " + FRENCH and enc.startswith(codec[:6]) and "UTF-" in notice


@pytest.mark.parametrize("sample, codec", [
    (FRENCH, "cp1252"),
    ("The café’s crème brûlée was “great” — I’d go again.\n", "cp1252"),
    ("café", "cp1252"),
    ("Der Film war schön, aber das Ende war schwach. Größe zählt nicht.\n", "latin-1"),
    ("Это был очень хороший фильм, но конец был слабым.\n", "cp1251"),
    ("Film był bardzo dobry, ale zakończenie było słabe. Zażółć gęślą jaźń.\n", "cp1250"),
    ("Η ταινία ήταν πολύ καλή, αλλά το τέλος ήταν αδύναμο.\n", "cp1253"),
    ("この映画はとても良かったです。しかし結末は弱かった。\n", "shift_jis"),
    ("这部电影很好，但是结局很弱。\n", "gb18030"),
])
def test_legacy_encodings_are_guessed_with_a_notice(tmp_path, sample, codec):
    path = write(tmp_path, "legacy.txt", sample.encode(codec))
    text, enc, notice = read_user_text(path)
    assert text == sample, (codec, enc)
    assert "legacy.txt is not UTF-8; it was read as" in notice and "save the file as UTF-8" in notice


def test_without_the_detector_windows_1252_then_latin_1(tmp_path, monkeypatch):
    monkeypatch.setattr(user_text, "_guess_legacy", lambda data: "")
    assert read_user_text(write(tmp_path, "a.txt", FRENCH.encode("cp1252")))[:2] == (FRENCH, "cp1252")
    text, enc, notice = read_user_text(write(tmp_path, "b.txt", b"caf\xe9 \x81"))    # 0x81: not in cp1252
    assert (text, enc) == ("caf\xe9 \x81", "latin-1") and "Latin-1" in notice


def test_an_explicit_encoding(tmp_path):
    path = write(tmp_path, "ru.txt", "хороший фильм".encode("koi8_r"))
    assert read_user_text(path, encoding="koi8_r")[:3] == ("хороший фильм", "koi8_r", "")
    with pytest.raises(LessonConfigError, match="is not UTF-8 text \\(byte 0"):
        read_user_text(path, encoding="utf-8")
    with pytest.raises(LessonConfigError, match="'klingon' is not a text encoding"):
        read_user_text(path, encoding="klingon")


def test_bad_files_are_named(tmp_path):
    with pytest.raises(LessonConfigError, match="empty.txt is empty"):
        read_user_text(write(tmp_path, "empty.txt", b""))
    with pytest.raises(LessonConfigError, match="blank.txt is empty \\(it holds only white space"):
        read_user_text(write(tmp_path, "blank.txt", b"\xef\xbb\xbf \r\n\t\n"))
    with pytest.raises(LessonConfigError, match="a.gz is not a text file \\(it holds binary data"):
        read_user_text(write(tmp_path, "a.gz", gzip.compress(b"the film was good" * 20)))
    with pytest.raises(LessonConfigError, match="noise.bin is not a text file \\(no common text encoding"):
        read_user_text(write(tmp_path, "noise.bin", bytes(range(1, 256)) * 8))
    with pytest.raises(LessonConfigError, match="ctl.txt is not a text file \\(.* control characters"):
        read_user_text(write(tmp_path, "ctl.txt", b"ab\x01\x02\x03\x04cd" * 10))
    with pytest.raises(LessonConfigError, match="big.txt is 2,000 bytes; a text file here may hold at most 1,000"):
        read_user_text(write(tmp_path, "big.txt", b"x" * 2000), max_bytes=1000)
    with pytest.raises(LessonConfigError, match="does not exist"):
        read_user_text(tmp_path / "missing.txt")
    with pytest.raises(LessonConfigError, match="is a folder"):
        read_user_text(tmp_path)
