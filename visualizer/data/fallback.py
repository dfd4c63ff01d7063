"""Download the full data set, else use the embedded one and say why: one pattern for every lesson."""
from __future__ import annotations

from typing import Callable, TypeVar

from visualizer.data.download import DownloadError
from visualizer.data.idx import DataFormatError

T = TypeVar("T")


def load_with_fallback(context, primary: Callable[[], T], fallback: Callable[[], T], *, what: str,
                       instead: str, param: str | None = None, hint: str = "") -> T:
    """``primary()`` (e.g. download MNIST), or, if it fails with DownloadError or DataFormatError,
    ``fallback()`` (e.g. the embedded digits) after a notice through ``context.notice`` that names
    ``what`` failed, why, and what is used ``instead``.

    param: the hyperparameter that chose ``primary`` (e.g. ``"dataset"``); on a fallback the context is also
    told ``substituted(param, instead)`` so the window's control shows what is really used.
    hint: a sentence added to the notice, e.g. where to copy the file by hand to work offline.
    context: a LessonContext (anything with ``notice(str)``).  Errors of ``fallback`` propagate."""
    try:
        return primary()
    except DownloadError as e:
        reason = getattr(e, "reason", None) or str(e)
        context.notice(f"Could not download {what} ({reason}): using {instead} instead." + (f" {hint}" if hint else ""))
    except DataFormatError as e:
        context.notice(f"The {what} files are damaged ({e}): using {instead} instead. Delete them from the "
                       "cache folder to download them again." + (f" {hint}" if hint else ""))
    if param is not None and hasattr(context, "substituted"):
        context.substituted(param, instead)
    return fallback()
