"""Checksummed, cached downloads with progress, on top of pooch.

:func:`fetch` tries each mirror in turn with :func:`pooch.retrieve`, which streams to a temporary
file, checks the hash and only then moves the file into the cache; a cached file is re-hashed on
every use, so a truncated or damaged copy is downloaded again.  Progress goes to a callback
``(message, fraction)`` (the lesson's ``context.progress``).  Every failure (no network, an HTTP
error, a checksum mismatch, an unwritable cache) raises :class:`DownloadError` with a sentence for
the user.  The cache folder is ``platformdirs.user_cache_dir("deep-learning-visualizer")``, or the
folder in the environment variable ``DLVIS_CACHE_DIR``.  Qt-free.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urlsplit

APP_NAME = "deep-learning-visualizer"
CACHE_ENV = "DLVIS_CACHE_DIR"

ProgressCallback = Callable[[str, "float | None"], None]


class DownloadError(OSError):
    """A file could not be downloaded or verified (offline, HTTP error, checksum mismatch, cache
    not writable).  The message names the file and the reason; ``reason`` holds the reason alone,
    for messages such as "Could not download MNIST (<reason>): ..."."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


def cache_dir() -> Path:
    """The folder that holds downloaded data: ``$DLVIS_CACHE_DIR`` if set, else the user cache folder."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME))


class ProgressForwarder:
    """A pooch-compatible progress bar (``total``, ``n``, ``update``, ``reset``, ``close``) that forwards
    to ``callback(message, fraction)``.

    Calls are thinned to one per ``min_step`` of progress (default 1 %) plus the final one, so a
    download of many small chunks does not flood the user interface.  ``fraction`` is None when the
    server sends no Content-Length."""

    def __init__(self, callback: ProgressCallback, message: str, min_step: float = 0.01) -> None:
        self.callback = callback
        self.message = message
        self.min_step = min_step
        self.total = 0
        self.n = 0
        self._last: float = -1.0

    def update(self, n: int) -> None:
        self.n += int(n)
        if self.total > 0:
            fraction = min(1.0, self.n / self.total)
            if fraction - self._last >= self.min_step or fraction >= 1.0 > self._last:
                self._last = fraction
                self.callback(f"{self.message}: {fraction:.0%}", fraction)
        elif self.n - self._last >= 1 << 20:           # unknown size: report every MiB
            self._last = float(self.n)
            self.callback(f"{self.message}: {self.n / 2**20:.0f} MiB", None)

    def reset(self) -> None:
        self.n = 0

    def close(self) -> None:
        pass


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def _reason(exc: BaseException, url: str, timeout: float) -> str:
    """One readable clause for a failed attempt at ``url``."""
    import requests

    host = _host(url)
    if isinstance(exc, requests.exceptions.HTTPError):
        code = exc.response.status_code if exc.response is not None else "?"
        return f"{host} answered HTTP {code} for {url}"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"{host} did not answer within {timeout:g} s"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"could not connect to {host} (no network connection?)"
    if isinstance(exc, requests.exceptions.RequestException):
        return f"the request to {url} failed ({exc})"
    if isinstance(exc, ValueError):                    # pooch: hash of the download does not match
        return f"the file from {host} does not match its published checksum (damaged or changed on the server)"
    return f"{type(exc).__name__}: {exc}"


def _hash_matches(path: Path, known_hash: str) -> bool:
    import pooch

    alg, sep, value = known_hash.partition(":")
    if not sep:
        alg, value = "sha256", known_hash
    return pooch.file_hash(str(path), alg=alg).lower() == value.lower()


def fetch(filename: str, known_hash: str, mirrors: Sequence[str], folder: Path | str, *,
          progress: ProgressCallback | None = None, label: str | None = None,
          timeout: float = 30.0) -> Path:
    """Return the path of ``filename`` in ``folder``, downloading it from the first mirror that works.

    filename: the file's name on the mirrors and in the cache; known_hash: ``"md5:..."`` or
    ``"sha256:..."`` of the file; mirrors: base URLs ending in ``/`` (``mirror + filename`` is
    fetched); progress: ``callback(message, fraction)``; label: what the progress message calls the
    file; timeout: seconds to wait for the server to connect and for each chunk.

    A cached file whose hash matches is returned without any network access.  Raises DownloadError
    (listing the reason for every mirror) if no mirror delivers a file with the right hash, or if
    the cache folder cannot be written."""
    import pooch
    import requests

    folder = Path(folder)
    target = folder / filename
    reasons: list[str] = []
    for mirror in mirrors:
        url = mirror + filename
        bar = ProgressForwarder(progress, f"Downloading {label or filename}") if progress else False
        downloader = pooch.HTTPDownloader(progressbar=bar, timeout=timeout, chunk_size=64 * 1024)
        try:
            return Path(pooch.retrieve(url, known_hash, fname=filename, path=folder, downloader=downloader))
        except (requests.exceptions.RequestException, ValueError) as e:
            reasons.append(_reason(e, url, timeout))
        except OSError as e:
            problem = e.strerror or str(e)
            raise DownloadError(f"Cannot write the data cache {folder}: {problem}. Set {CACHE_ENV} to a "
                                "writable folder.", f"cannot write the data cache {folder}: {problem}") from e
    what = label or filename
    damaged = target.exists() and not _hash_matches(target, known_hash)
    cached = f" The cached copy {target} is damaged and could not be replaced." if damaged else ""
    reason = "; ".join(reasons) if reasons else "no download address is configured"
    raise DownloadError(f"Could not download {what}: {reason}.{cached}", reason + (f".{cached[:-1]}" if cached else ""))
