"""The book's own code, imported from a checkout the user names with ``--book-repo DIR``, for reference timings.

Several benchmarks time this project's engine next to the code of Saitoh, *Deep Learning from Scratch 2*
(github.com/oreilly-japan/deep-learning-from-scratch-2, MIT License).  None of the book's code is in this
repository: the benchmarks import it from a checkout, laid out as the book's repository is (``common/layers.py``,
``common/time_layers.py``, ``common/optimizer.py``, ``common/trainer.py``, ``common/util.py``, ``ch04/cbow.py``,
``ch06/rnnlm.py``, ``ch07/seq2seq.py``, ``ch07/peeky_seq2seq.py``, ``ch08/attention_seq2seq.py`` ...).  The
book's modules import each other as ``from common.layers import ...`` (and ``ch07/peeky_seq2seq.py`` as
``from seq2seq import ...``), so :func:`import_book` puts the checkout's root and the chapter folders it needs
at the front of ``sys.path`` while it imports, and takes them off again afterwards.

Without ``--book-repo`` a benchmark times ours alone and prints :func:`not_timed_message`.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import types
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Iterator

BOOK_URL = "https://github.com/oreilly-japan/deep-learning-from-scratch-2"

_loaded: dict[str, object] = {"root": None, "names": set()}   # the checkout imported last and its module names


class BookRepoError(RuntimeError):
    """The folder given as ``--book-repo`` is not a checkout of the book's repository (or lacks a module)."""


def add_book_repo_option(ap: argparse.ArgumentParser) -> None:
    """``--book-repo DIR``: where the book's repository is checked out (default: not timed)."""
    ap.add_argument("--book-repo", metavar="DIR", type=Path, default=None,
                    help=f"a checkout of {BOOK_URL}: time the book's code next to ours (default: ours only)")


def not_timed_message() -> str:
    """What a benchmark prints when it ran without ``--book-repo``."""
    return (f"The book's code was not timed (no --book-repo).  To time it next to ours: git clone {BOOK_URL} "
            "and pass --book-repo /path/to/deep-learning-from-scratch-2.")


def _forget(names: set[str]) -> None:
    for name in names:
        sys.modules.pop(name, None)


@contextmanager
def _plot_library_optional() -> Iterator[None]:
    """``common/trainer.py`` imports ``matplotlib.pyplot`` for its ``plot`` methods, which no benchmark calls.
    Where matplotlib is not installed, an empty placeholder module stands in while the book's modules import
    (and is removed afterwards), so ``remove_duplicate`` and the trainers load anyway."""
    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        placeholder = {"matplotlib": types.ModuleType("matplotlib"),
                       "matplotlib.pyplot": types.ModuleType("matplotlib.pyplot")}
        placeholder["matplotlib"].pyplot = placeholder["matplotlib.pyplot"]
        sys.modules.update(placeholder)
        try:
            yield
        finally:
            for name, module in placeholder.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
        return
    yield


def import_book(root: str | Path, *names: str) -> list[ModuleType]:
    """Import the modules ``names`` (dotted, e.g. ``"common.trainer"``, ``"ch07.peeky_seq2seq"``) from the book's
    checkout at ``root``; returns them in order.  Modules imported earlier from another checkout are forgotten
    first, so the code timed is the code in ``root``.  Raises BookRepoError if ``root`` has no ``common/``
    folder or a module is missing (the error names the file looked for)."""
    root = Path(root).expanduser().resolve()
    if not (root / "common").is_dir():
        raise BookRepoError(f"{root} is not a checkout of {BOOK_URL}: it has no common/ folder")
    for name in names:
        parts = name.split(".")
        if not (root.joinpath(*parts[:-1]) / f"{parts[-1]}.py").is_file():
            raise BookRepoError(f"{root} has no {'/'.join(parts)}.py (a checkout of {BOOK_URL} has it)")
    if _loaded["root"] != root:
        _forget(_loaded["names"])
        _loaded.update(root=root, names=set())
    chapters = sorted({name.split(".")[0] for name in names if name.startswith("ch")})
    saved_path = list(sys.path)
    before = set(sys.modules)
    sys.path[:0] = [str(root)] + [str(root / chapter) for chapter in chapters]
    importlib.invalidate_caches()
    try:
        with _plot_library_optional():
            modules = [importlib.import_module(name) for name in names]
    finally:
        sys.path[:] = saved_path          # also drops the sys.path.append('..') the book's modules make
        _loaded["names"] |= {name for name in set(sys.modules) - before if _from_checkout(sys.modules[name], root)}
    return modules


def _from_checkout(module: ModuleType | None, root: Path) -> bool:
    """True for a module (or namespace package such as ``common``) loaded from the checkout at ``root``."""
    places = [getattr(module, "__file__", None)] + list(getattr(module, "__path__", None) or [])
    return any(p is not None and Path(p).resolve().is_relative_to(root) for p in places)
