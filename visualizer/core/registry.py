"""Lesson discovery: every sub-package of ``lessons`` that defines ``LESSON`` is a lesson.

Adding a lesson means adding a folder; no app code changes.  Importing a lesson module must be
cheap and Qt-free (torch is imported only when a lesson is built with the torch engine).
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
import traceback

from visualizer.core.lesson import TRACKS, Lesson


log = logging.getLogger(__name__)

_load_errors: dict[str, str] = {}


class UnknownLessonError(KeyError):
    """No registered lesson has this id."""

    def __str__(self) -> str:
        return str(self.args[0])


def discover() -> dict[str, type[Lesson]]:
    """All lessons, id -> class, ordered by track (as in ``TRACKS``) then by module name.

    A lesson package that fails to import (a syntax error, a missing dependency) is skipped and
    logged; :func:`load_errors` then names it with the error, so the app and the CLI can say so
    while every other lesson stays usable."""
    import lessons

    found: dict[str, type[Lesson]] = {}
    _load_errors.clear()
    for mod in sorted(pkgutil.iter_modules(lessons.__path__), key=lambda m: m.name):
        if not mod.ispkg:
            continue
        try:
            module = importlib.import_module(f"lessons.{mod.name}")
        except Exception as e:      # one broken lesson must not take the others down
            _load_errors[mod.name] = f"{type(e).__name__}: {e}"
            log.warning("lesson package %r failed to import:\n%s", mod.name, traceback.format_exc())
            continue
        cls = getattr(module, "LESSON", None)
        if cls is not None:
            found[cls.info.id] = cls
    order = {t: i for i, t in enumerate(TRACKS)}
    return dict(sorted(found.items(), key=lambda kv: (order.get(kv[1].info.track, len(order)),
                                                       getattr(kv[1], "order", 100))))


def load_errors() -> dict[str, str]:
    """Lesson packages the last :func:`discover` skipped: package name -> "ErrorType: message"."""
    return dict(_load_errors)


def get(lesson_id: str) -> type[Lesson]:
    """The lesson class with this id.  Raises UnknownLessonError listing the known ids."""
    all_lessons = discover()
    try:
        return all_lessons[lesson_id]
    except KeyError:
        raise UnknownLessonError(
            f"no lesson called {lesson_id!r}; known lessons: {', '.join(all_lessons)}") from None
