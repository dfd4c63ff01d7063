"""Hyperparameter specifications that lessons declare and the UI turns into controls.

A spec describes one knob: its name, range, default and whether it is *live* (applied at the next
training step, e.g. the learning rate) or *structural* (needs a reset, e.g. the layer sizes).
Specs validate values, so the same rules guard the sliders, ``--set`` on the command line and
``run.json`` files.  Qt-free.
"""
from __future__ import annotations

import errno
import math
import os
from dataclasses import dataclass, field
from typing import Any, Union


class HyperparameterError(ValueError):
    """A value is outside a spec's range, of the wrong type, or names an unknown hyperparameter."""


@dataclass(frozen=True)
class FloatParam:
    """A real-valued hyperparameter in ``[low, high]``; ``log=True`` for scale parameters such as
    the learning rate (the slider then moves in log10 space)."""

    name: str
    label: str
    default: float
    low: float
    high: float
    log: bool = False
    live: bool = True
    tooltip: str = ""
    decimals: int = 4

    def __post_init__(self) -> None:
        if not self.low <= self.default <= self.high:
            raise HyperparameterError(f"{self.name}: default {self.default} outside [{self.low}, {self.high}]")
        if self.log and self.low <= 0:
            raise HyperparameterError(f"{self.name}: a log-scale range must be positive")

    def validate(self, value: Any) -> float:
        """Return ``value`` as a float.  Raises HyperparameterError if it is not a finite number in range."""
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise HyperparameterError(f"{self.label}: {value!r} is not a number") from None
        if not math.isfinite(v):
            raise HyperparameterError(f"{self.label}: {value!r} is not a finite number")
        if not self.low <= v <= self.high:
            raise HyperparameterError(f"{self.label}: {v:g} is outside the range [{self.low:g}, {self.high:g}]")
        return v


@dataclass(frozen=True)
class IntParam:
    """An integer hyperparameter in ``[low, high]`` (layer width, batch size, seed, ...)."""

    name: str
    label: str
    default: int
    low: int
    high: int
    live: bool = False
    tooltip: str = ""
    log: bool = False

    def validate(self, value: Any) -> int:
        """Return ``value`` as an int.  Raises HyperparameterError if it is not an integer in range."""
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise HyperparameterError(f"{self.label}: {value!r} is not an integer") from None
        if not math.isfinite(f) or f != int(f):
            raise HyperparameterError(f"{self.label}: {value!r} is not an integer")
        v = int(f)
        if not self.low <= v <= self.high:
            raise HyperparameterError(f"{self.label}: {v} is outside the range [{self.low}, {self.high}]")
        return v


@dataclass(frozen=True)
class ChoiceParam:
    """One of a fixed set of strings (activation, optimizer, data set, engine, ...)."""

    name: str
    label: str
    default: str
    choices: tuple[str, ...]
    live: bool = False
    tooltip: str = ""

    def __post_init__(self) -> None:
        if self.default not in self.choices:
            raise HyperparameterError(f"{self.name}: default {self.default!r} not in {self.choices}")

    def validate(self, value: Any) -> str:
        """Return ``value`` if it is one of the choices.  Raises HyperparameterError otherwise."""
        v = str(value)
        if v not in self.choices:
            raise HyperparameterError(f"{self.label}: {v!r} is not one of {', '.join(self.choices)}")
        return v


@dataclass(frozen=True)
class BoolParam:
    """An on/off toggle (a feature, batch normalization, a penalty, ...)."""

    name: str
    label: str
    default: bool
    live: bool = False
    tooltip: str = ""

    def validate(self, value: Any) -> bool:
        """Return ``value`` as a bool; accepts true/false/1/0/yes/no/on/off strings.

        Raises HyperparameterError for anything else."""
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        s = str(value).strip().lower()
        if s in ("1", "true", "yes", "on"):
            return True
        if s in ("0", "false", "no", "off"):
            return False
        raise HyperparameterError(f"{self.label}: {value!r} is not true or false")


@dataclass(frozen=True)
class PathParam:
    """A file chosen by the user (e.g. a CSV of points); empty string for none.  The UI shows a
    file picker with ``file_filter`` (Qt syntax, e.g. ``"CSV files (*.csv)"``).  Existence and
    format are checked by the lesson when it builds, which raises LessonConfigError.

    used_when: ``(choice name, choice value)`` when the file is read only while a ChoiceParam has that
    value (the CSV of ``dataset=csv``); a path given without that choice selects it, one given with
    another choice is an error (see :func:`select_data_sets`)."""

    name: str
    label: str
    default: str = ""
    file_filter: str = "All files (*)"
    live: bool = False
    tooltip: str = ""
    used_when: tuple[str, str] | None = None

    def validate(self, value: Any) -> str:
        """Return ``value`` as a string path.  Raises HyperparameterError for non-strings, undecodable
        bytes and text with a NUL character (no file name can hold one)."""
        if value is None:
            return ""
        if not isinstance(value, (str, bytes)) and not hasattr(value, "__fspath__"):
            raise HyperparameterError(f"{self.label}: {value!r} is not a file path")
        try:
            path = str(value) if not isinstance(value, bytes) else value.decode()
        except UnicodeDecodeError:
            raise HyperparameterError(f"{self.label}: {value!r} is not a file path (not UTF-8 text)") from None
        if "\0" in path:
            raise HyperparameterError(f"{self.label}: a file name cannot contain a NUL character; choose the file "
                                      f"again")
        if path.strip():
            try:
                os.stat(os.path.expanduser(path.strip()))
            except OSError as e:            # a missing file is the lesson's to report; a name no disk can hold is not
                if e.errno == errno.ENAMETOOLONG:
                    raise HyperparameterError(f"{self.label}: the path is too long for this system "
                                              f"({len(path)} characters); choose the file again") from None
            except ValueError:
                pass
        return path


@dataclass(frozen=True)
class TextParam:
    """Free text, such as a column name or a prompt; ``max_length`` characters at most.  What the text
    must mean is checked by the lesson (LessonConfigError), like a path's contents."""

    name: str
    label: str
    default: str = ""
    placeholder: str = ""
    max_length: int = 200
    live: bool = False
    tooltip: str = ""

    def validate(self, value: Any) -> str:
        """Return ``value`` as a stripped string.  Raises HyperparameterError for non-strings and
        text longer than ``max_length``."""
        if value is None:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise HyperparameterError(f"{self.label}: {value!r} is not text")
        v = str(value).strip()
        if len(v) > self.max_length:
            raise HyperparameterError(f"{self.label}: {len(v)} characters, at most {self.max_length} allowed")
        return v


ParamSpec = Union[FloatParam, IntParam, ChoiceParam, BoolParam, PathParam, TextParam]


@dataclass
class Hyperparameters:
    """Validated values for a tuple of specs.  Behaves like a read-only mapping ``name -> value``.

    Raises HyperparameterError on unknown names or invalid values."""

    specs: tuple[ParamSpec, ...]
    values: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_links(self.specs)
        given = dict(self.values)
        self.values = {s.name: s.default for s in self.specs}
        for name, value in given.items():
            self.set(name, value)

    def spec(self, name: str) -> ParamSpec:
        """The spec called ``name``.  Raises HyperparameterError if there is none."""
        for s in self.specs:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.specs)
        raise HyperparameterError(f"unknown hyperparameter {name!r}; this lesson has: {known}")

    def set(self, name: str, value: Any) -> Any:
        """Validate and store a value; returns the stored (converted) value."""
        v = self.spec(name).validate(value)
        self.values[name] = v
        return v

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def as_dict(self) -> dict[str, Any]:
        """A plain copy of the values (JSON-serializable)."""
        return dict(self.values)

    def copy(self) -> "Hyperparameters":
        return Hyperparameters(self.specs, dict(self.values))


DATA_CHOICE_NAMES = ("dataset", "corpus")      # choices that name a lesson's data set by convention


def check_links(specs: tuple[ParamSpec, ...]) -> None:
    """Check that every PathParam's ``used_when`` names a ChoiceParam of ``specs`` and one of its
    choices.  Raises HyperparameterError naming the path setting (a mistake in a lesson's declarations)."""
    choices = {s.name: s for s in specs if isinstance(s, ChoiceParam)}
    for s in specs:
        if isinstance(s, PathParam) and s.used_when is not None:
            choice, value = s.used_when
            if choice not in choices or value not in choices[choice].choices:
                raise HyperparameterError(f"{s.name}: used_when={s.used_when!r} names no choice of this lesson")


def select_data_sets(specs: tuple[ParamSpec, ...], given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Make the user's settings ``given`` (name -> value, as typed: ``--set``) say which data they use.

    A non-empty path whose data set is not among ``given`` selects it: the file says what the user
    wants, and training on the generated data instead would ignore it silently.  A path whose data set
    ``given`` sets to another value is an error: two settings contradict each other and only the user
    knows which one was meant.  Returns (a copy of ``given`` with the selections, one note per
    selection for the user).  Raises HyperparameterError for a contradiction or an unknown name."""
    values = dict(given)
    notes: list[str] = []
    by_name = {s.name: s for s in specs}
    for s in specs:
        if not isinstance(s, PathParam) or s.used_when is None or not str(given.get(s.name, "")).strip():
            continue
        choice, wanted = s.used_when
        label = by_name[choice].label
        if choice not in given:
            values[choice] = wanted
            notes.append(f"{label} set to {wanted} ({choice}={wanted}) because {s.label} ({s.name}) was given")
        elif str(given[choice]).strip() != wanted:
            raise HyperparameterError(
                f"{s.label} ({s.name}) is read only when {label} is {wanted}, but {choice}={given[choice]} was "
                f"given: set {choice}={wanted} to use the file, or leave {s.name} out")
    return values, notes


def data_settings(hp: "Hyperparameters") -> dict[str, Any]:
    """The settings that say which data a lesson trains on, name -> value, in declaration order: its
    data-set choices (those a PathParam's ``used_when`` names, and those called ``dataset`` or
    ``corpus``) and the paths it reads (a linked path only while its choice selects it; an unlinked
    one when not empty).  Empty for a lesson with none."""
    linked = {s.used_when[0] for s in hp.specs if isinstance(s, PathParam) and s.used_when is not None}
    out: dict[str, Any] = {}
    for s in hp.specs:
        if isinstance(s, ChoiceParam) and (s.name in linked or s.name in DATA_CHOICE_NAMES):
            out[s.name] = hp[s.name]
        elif isinstance(s, PathParam) and hp[s.name]:
            if s.used_when is None or hp[s.used_when[0]] == s.used_when[1]:
                out[s.name] = hp[s.name]
    return out


def parse_assignment(text: str) -> tuple[str, str]:
    """Split a ``name=value`` string from the command line.  Raises HyperparameterError if malformed."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise HyperparameterError(f"expected name=value, got {text!r}")
    return name.strip(), value.strip()
