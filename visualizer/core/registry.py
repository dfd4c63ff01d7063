"""Lesson discovery: every sub-package of ``lessons`` is a lesson.

A lesson package's ``__init__.py`` declares ``INFO`` (a :class:`LessonInfo`) and imports nothing else of the
lesson, so :func:`infos` lists every lesson (the browser, ``--list``) without importing model code.  The
Lesson class lives in ``lessons/<id>/lesson.py`` as ``LESSON`` and is imported by :func:`get` when the lesson
opens.  Adding a lesson means adding a folder; no app code changes.  Qt-free; nothing here imports torch.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
import traceback

from visualizer.core.lesson import TRACKS, Lesson, LessonInfo

log = logging.getLogger(__name__)

_load_errors: dict[str, str] = {}
_packages: dict[str, str] = {}          # lesson id -> package name


class UnknownLessonError(KeyError):
    """No registered lesson has this id."""

    def __str__(self) -> str:
        return str(self.args[0])


def _sort_key(info: LessonInfo) -> tuple[int, int, str]:
    order = {t: i for i, t in enumerate(TRACKS)}
    return order.get(info.track, len(order)), info.order, info.id


def infos() -> dict[str, LessonInfo]:
    """Every lesson's metadata, id -> LessonInfo, ordered by track (as in ``TRACKS``), then ``order``.

    Imports only the lesson packages' ``__init__`` modules.  A package that fails to import or declares no
    ``INFO`` is skipped; :func:`load_errors` then names it with the error, so the app and the CLI can say so
    while every other lesson stays usable."""
    import lessons

    found: dict[str, LessonInfo] = {}
    _load_errors.clear()
    _packages.clear()
    for mod in sorted(pkgutil.iter_modules(lessons.__path__), key=lambda m: m.name):
        if not mod.ispkg:
            continue
        try:
            package = importlib.import_module(f"lessons.{mod.name}")
            info = getattr(package, "INFO", None)
            if not isinstance(info, LessonInfo):
                raise TypeError(f"lessons/{mod.name}/__init__.py declares no INFO = LessonInfo(...)")
        except Exception as e:      # one broken lesson must not take the others down
            _load_errors[mod.name] = f"{type(e).__name__}: {e}"
            log.warning("lesson package %r failed to import:\n%s", mod.name, traceback.format_exc())
            continue
        found[info.id] = info
        _packages[info.id] = mod.name
    return dict(sorted(found.items(), key=lambda kv: _sort_key(kv[1])))


def get(lesson_id: str) -> type[Lesson]:
    """The lesson class with this id (imports ``lessons.<id>.lesson``).  Raises UnknownLessonError listing the
    known ids; an import error of the lesson module propagates."""
    if lesson_id not in _packages:
        known = infos()
        if lesson_id not in known:
            raise UnknownLessonError(f"no lesson called {lesson_id!r}; known lessons: {', '.join(known)}")
    module = importlib.import_module(f"lessons.{_packages[lesson_id]}.lesson")
    return module.LESSON


def discover() -> dict[str, type[Lesson]]:
    """Every lesson class, id -> class, in :func:`infos` order.  Imports every lesson's model module: for
    tests and tools; the app lists lessons with :func:`infos`.  A lesson whose module fails to import is
    left out and named by :func:`load_errors`."""
    out: dict[str, type[Lesson]] = {}
    errors = {}
    for lesson_id in infos():
        try:
            out[lesson_id] = get(lesson_id)
        except Exception as e:
            errors[_packages[lesson_id]] = f"{type(e).__name__}: {e}"
            log.warning("lesson %r failed to import:\n%s", lesson_id, traceback.format_exc())
    _load_errors.update(errors)
    return out


def load_errors() -> dict[str, str]:
    """Lesson packages the last :func:`infos` or :func:`discover` skipped: package name -> "ErrorType: message"."""
    return dict(_load_errors)
