"""Reading a user's text file (a CSV) with every failure turned into a message for the user (Qt-free)."""
from __future__ import annotations

from pathlib import Path

from visualizer.core.lesson import LessonConfigError


def read_text_file(path: Path | str) -> str:
    """The whole file as text (UTF-8, a byte-order mark dropped, newlines kept for ``csv``).

    Raises LessonConfigError naming the file when it does not exist, is a folder, cannot be read, is not
    UTF-8 text or holds binary data (a NUL byte)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except FileNotFoundError:
        raise LessonConfigError(f"The CSV file {path} does not exist. Choose the file again.") from None
    except IsADirectoryError:
        raise LessonConfigError(f"{path} is a folder, not a CSV file.") from None
    except PermissionError:
        raise LessonConfigError(f"No permission to read {path}.") from None
    except UnicodeDecodeError:
        raise LessonConfigError(f"{path.name} is not a text CSV file (it is not UTF-8 text).") from None
    except OSError as e:
        raise LessonConfigError(f"Could not read {path}: {e.strerror or e}") from None
    if "\x00" in text:
        raise LessonConfigError(f"{path.name} is not a text CSV file (it holds binary data).")
    return text
