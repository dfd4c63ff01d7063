"""Earlier runs of a lesson: their curves, settings and the names they are shown under.  Qt-free.

A lesson keeps the curves of the runs it trained before the current one (one run per Reset) so a
learner can compare.  :class:`RunList` holds them in order, oldest first; the user can show, hide,
rename and delete them (the lesson view's run manager calls these methods).  Each run's automatic
name is written with the controls' display labels and names only the settings in which the run
differs from the current one, e.g. ``Run 2: Learning rate 0.1``; a lesson's view settings (a query
word, a view angle) never appear, as they do not change a run's curves.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Mapping

MAX_KEPT_RUNS = 10        # earlier runs kept; the oldest is dropped beyond this
MAX_SHOWN_RUNS = 3        # earlier runs drawn by default; older ones are hidden (and can be shown again)


def format_value(spec, value: Any) -> str:
    """A setting's value as the learner reads it: ``0.1``, ``on``/``off``, ``tanh``, ``1,000``.

    spec: the setting's ParamSpec or None (then floats get 4 significant digits)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def setting_text(spec, name: str, value: Any) -> str:
    """``Learning rate 0.1``: the setting's display label (its ParamSpec's ``label``; the name with
    spaces for a setting without a spec) followed by its value."""
    label = getattr(spec, "label", None) or name.replace("_", " ")
    return f"{label} {format_value(spec, value)}"


def differing_settings(params: Mapping[str, Any], reference: Mapping[str, Any], specs: Iterable = (),
                       ignore: Collection[str] = ()) -> list[str]:
    """The settings of ``params`` whose value differs from ``reference``'s, as display text
    (:func:`setting_text`), in the order of ``specs`` (then of ``params``).  Settings named in
    ``ignore`` (view settings) and settings missing from either mapping are left out."""
    by_name = {s.name: s for s in specs}
    order = [n for n in by_name if n in params] + [n for n in params if n not in by_name]
    return [setting_text(by_name.get(n), n, params[n]) for n in order
            if n in reference and n not in ignore and params[n] != reference[n]]


def run_params(built: Mapping[str, Any], changes: Iterable, steps_trained: int) -> dict[str, Any]:
    """The settings a run trained with: those it was ``built`` with, updated by its live ``changes``
    (ParamChange: applied before step ``step + 1``) that took effect before it stopped at
    ``steps_trained``.  A change made after the last step (a new learning rate set just before
    Reset) belongs to the next run, not to this one."""
    params = dict(built)
    for c in changes:
        if c.step < steps_trained:
            params[c.name] = c.new
    return params


@dataclass
class Run:
    """One earlier run.  number: 1, 2, ... in the order the runs were trained; params: its settings
    when it ended (name -> value); curves: plot id -> CurvesData; name: the user's name for it
    (None: the automatic one); visible: drawn in the curve plots; settings: what differs from the
    current run (display text, see :func:`differing_settings`)."""

    number: int
    params: dict[str, Any]
    curves: dict[str, Any]
    name: str | None = None
    visible: bool = True
    settings: list[str] = field(default_factory=list)

    @property
    def auto_label(self) -> str:
        """``Run 2: Learning rate 0.1, Hidden units 8``, or ``Run 2: same settings``."""
        return f"Run {self.number}: " + (", ".join(self.settings) if self.settings else "same settings")

    @property
    def label(self) -> str:
        """What the legends show: the user's name if there is one, else :attr:`auto_label`."""
        return self.name or self.auto_label


class RunList:
    """The earlier runs of one lesson, oldest first, at most ``max_kept``; the newest
    ``max_shown`` are visible when added (older ones are hidden, not deleted).

    specs: the lesson's ParamSpecs (for display labels); ignore: names of view settings; comparable_by: names of
    settings an earlier run must share with the current one to be drawn over it (``Lesson.runs_comparable_by``)."""

    def __init__(self, specs: Iterable = (), ignore: Collection[str] = (), max_kept: int = MAX_KEPT_RUNS,
                 max_shown: int = MAX_SHOWN_RUNS, comparable_by: Collection[str] = ()) -> None:
        self.specs = tuple(specs)
        self.ignore = frozenset(ignore)
        self.comparable_by = tuple(comparable_by)
        self.max_kept = max_kept
        self.max_shown = max_shown
        self.runs: list[Run] = []
        self._count = 0
        self.version = 0                 # increases on every change, so views redraw only then

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self):
        return iter(self.runs)

    def add(self, params: Mapping[str, Any], curves: Mapping[str, Any], current: Mapping[str, Any]) -> Run:
        """Keep a finished run (its settings ``params`` and ``curves``), and relabel every run against
        the ``current`` run's settings.  Returns the new run."""
        self._count += 1
        run = Run(self._count, dict(params), dict(curves))
        self.runs.append(run)
        del self.runs[:-self.max_kept]
        visible = [r for r in self.runs if r.visible]
        for r in visible[:-self.max_shown] if self.max_shown else visible:
            r.visible = False
        self.relabel(current)
        return run

    def relabel(self, current: Mapping[str, Any]) -> None:
        """Name in each run the settings in which it differs from ``current``."""
        for r in self.runs:
            r.settings = differing_settings(r.params, current, self.specs, self.ignore)
        self.version += 1

    def get(self, number: int) -> Run:
        """The run numbered ``number``.  Raises KeyError if there is none."""
        for r in self.runs:
            if r.number == number:
                return r
        raise KeyError(number)

    def set_visible(self, number: int, visible: bool) -> None:
        """Show or hide run ``number`` in the curve plots.  Raises KeyError for an unknown run."""
        self.get(number).visible = bool(visible)
        self.version += 1

    def set_curves(self, number: int, curves: Mapping[str, Any]) -> None:
        """Replace run ``number``'s curves (plot id -> CurvesData), e.g. a followed run that grew.  Raises
        KeyError for an unknown run."""
        self.get(number).curves = dict(curves)
        self.version += 1

    def rename(self, number: int, name: str) -> None:
        """Name run ``number`` (an empty name goes back to the automatic one).  Raises KeyError."""
        self.get(number).name = name.strip() or None
        self.version += 1

    def delete(self, numbers: Iterable[int]) -> None:
        """Forget the runs in ``numbers`` (unknown numbers are ignored)."""
        gone = set(numbers)
        self.runs = [r for r in self.runs if r.number not in gone]
        self.version += 1

    def clear(self) -> None:
        """Forget every earlier run (the numbering goes on)."""
        self.runs.clear()
        self.version += 1

    def shown(self, current: Mapping[str, Any] | None = None) -> list[Run]:
        """The visible runs, oldest first; with ``current`` (the current run's settings), only those that agree
        with it on every setting in ``comparable_by`` (a run on another environment measured another thing)."""
        return [r for r in self.runs if r.visible and (current is None or self.comparable(r, current))]

    def comparable(self, run: Run, current: Mapping[str, Any]) -> bool:
        """True if ``run`` shares ``current``'s value of each ``comparable_by`` setting (one missing from either
        side does not count against it)."""
        return all(run.params.get(n, current.get(n)) == current.get(n, run.params.get(n)) for n in self.comparable_by)


def legend_text(label: str, max_chars: int) -> str:
    """``label`` cut to ``max_chars`` characters (with "…") and escaped for a rich-text legend."""
    if len(label) > max_chars:
        label = label[:max_chars - 1].rstrip(", ") + "…"
    return html.escape(label, quote=False)
