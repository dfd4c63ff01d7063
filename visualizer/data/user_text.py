"""Reading a text file the student chooses, whatever its encoding, with a message when it is not plain UTF-8
(Qt-free).

Most files are UTF-8 (with or without a byte-order mark); Windows editors also write UTF-16 with a BOM; older
files use a legacy one-byte code page (Windows-1252 for English and Western European text, 1250/1251/1253 for
Central European, Cyrillic and Greek) or a CJK double-byte one.  A legacy encoding cannot be read from the
bytes with certainty, so :func:`read_user_text` makes the best guess with ``charset_normalizer`` (the
detector ``requests`` uses), limited to the common code pages and breaking near-ties in favour of the most
widespread (Windows-1252 first), and says in its notice which one it assumed.  Without ``charset_normalizer``
it falls back to Windows-1252, then Latin-1 (which accepts every byte).  Size limits and messages follow
:mod:`visualizer.data.text_file`.
"""
from __future__ import annotations

import codecs
from pathlib import Path

from visualizer.core.errors import LessonConfigError
from visualizer.data.text_file import DEFAULT_MAX_BYTES, read_bytes

# Legacy encodings the detector may choose from, most widespread first (the order breaks near-ties).
LEGACY_ENCODINGS = ("cp1252", "cp1251", "cp1250", "cp1253", "cp1254", "cp1257", "cp932", "gb18030", "big5",
                    "euc_kr", "koi8_r")
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32", "utf-16-le": "UTF-16 (little-endian)",
                  "utf-16-be": "UTF-16 (big-endian)", "cp1252": "Windows-1252 (Western European)",
                  "cp1251": "Windows-1251 (Cyrillic)", "cp1250": "Windows-1250 (Central European)",
                  "cp1253": "Windows-1253 (Greek)", "cp1254": "Windows-1254 (Turkish)",
                  "cp1257": "Windows-1257 (Baltic)", "cp932": "Shift JIS (Japanese)", "gb18030": "GB18030 (Chinese)",
                  "big5": "Big5 (Traditional Chinese)", "euc_kr": "EUC-KR (Korean)", "koi8_r": "KOI8-R (Russian)",
                  "latin-1": "Latin-1 (ISO 8859-1)"}
_TIE = 0.02                                  # chaos (charset_normalizer's mess measure) counted as a tie
_CONTROL_SHARE = 0.01                        # more control characters than this: not a text file
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _name(encoding: str) -> str:
    return ENCODING_NAMES.get(encoding, encoding)


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when NUL bytes sit in every odd/even position as in mostly-ASCII UTF-16."""
    if len(data) % 2 or len(data) < 4:
        return None
    even, odd = data[0::2], data[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _guess_legacy(data: bytes) -> str | None:
    """The most likely legacy encoding of ``data`` (one of LEGACY_ENCODINGS), None when charset_normalizer
    finds none plausible (binary data), or "" when charset_normalizer is not installed."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return ""
    matches = list(from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)))
    if not matches:
        return None
    low = min(m.chaos for m in matches)
    near = {enc for m in matches if m.chaos <= low + _TIE for enc in [m.encoding, *m.could_be_from_charset]}
    ranked = [e for e in LEGACY_ENCODINGS if e in near]
    return ranked[0] if ranked else matches[0].encoding


def _not_text(path: Path, why: str) -> LessonConfigError:
    return LessonConfigError(f"{path.name} is not a text file ({why}). Choose a plain text file (.txt), "
                             "saved as UTF-8 if you can.")


def read_user_text(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "text file",
                   encoding: str | None = None) -> tuple[str, str, str]:
    """The text of a user's file: (text, encoding, notice).

    text: the decoded text with line ends made ``"\\n"`` (a byte-order mark dropped); encoding: the Python codec
    used ("utf-8", "utf-8-sig", "utf-16", "cp1252", ...); notice: "" for UTF-8, else one sentence for the student
    naming the encoding that was assumed (legacy encodings are a best guess: see the module text).
    max_bytes: the largest file accepted (checked from the size on disk, then while reading); what: the kind of
    file, for messages; encoding: a codec to use instead of guessing (the student's choice).

    Order: a byte-order mark (UTF-8, UTF-16, UTF-32) decides; NUL bytes mean UTF-16 without a mark when they
    sit in every other position, else binary data; then strict UTF-8; then the legacy guess.

    Raises LessonConfigError naming the file when it does not exist, is a folder, cannot be read, is larger
    than ``max_bytes``, is empty (or only white space), holds binary data (NUL bytes, or more than 1 % control
    characters once decoded), does not decode with the given ``encoding``, or names an unknown ``encoding``."""
    path = Path(path).expanduser()
    data = read_bytes(path, max_bytes, what)
    if not data:
        raise LessonConfigError(f"{path.name} is empty; choose a file that holds some text.")

    notice = ""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise LessonConfigError(f"{encoding!r} is not a text encoding Python knows.") from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as e:
            raise LessonConfigError(f"{path.name} is not {_name(encoding)} text (byte {e.start} does not "
                                    "fit). Choose another encoding.") from None
        chosen = encoding
    else:
        chosen = next((enc for bom, enc in _BOMS if data.startswith(bom)), "")
        if not chosen and b"\x00" in data:
            chosen = _utf16_without_bom(data) or ""
            if not chosen:
                raise _not_text(path, "it holds binary data")
        if chosen:
            try:
                text = data.decode(chosen)
            except UnicodeDecodeError as e:
                raise _not_text(path, f"it starts like {_name(chosen.replace('-sig', ''))} but byte {e.start} "
                                      "does not fit") from None
            if chosen not in ("utf-8-sig",):
                notice = f"{path.name} is {_name(chosen)} text; it was read as such."
        else:
            try:
                text, chosen = data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                guess = _guess_legacy(data)
                if guess is None:
                    raise _not_text(path, "no common text encoding fits its bytes") from None
                if guess == "":                               # no detector: the Western default, then any byte
                    try:
                        text, chosen = data.decode("cp1252"), "cp1252"
                    except UnicodeDecodeError:
                        text, chosen = data.decode("latin-1"), "latin-1"
                else:
                    text, chosen = data.decode(guess), guess
                notice = (f"{path.name} is not UTF-8; it was read as {_name(chosen)}, the most likely encoding. "
                          "If letters look wrong, save the file as UTF-8 and load it again.")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise LessonConfigError(f"{path.name} is empty (it holds only white space); choose a file that holds "
                                "some text.")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\f\v") + text.count("\x7f")
    if controls > _CONTROL_SHARE * len(text):
        raise _not_text(path, f"{controls:,} control characters")
    return text, chosen, notice
