"""Controls generated from a lesson's hyperparameter specs.

Each spec becomes one row: a slider with a value box for numbers (log10 space for ``log=True``, the
box showing the real value such as ``0.003``), a combo box for choices, a check box for toggles and
a file picker for paths, each with the spec's tooltip.  A row reports a value through
``valueCommitted(name, value)`` only when the user lets go of the slider, stops moving it with the
keyboard (debounced), edits the box or picks an item, so a drag does not flood the training session.
A slider or combo box changes on the mouse wheel only when it has the focus (a click or Tab gives it);
otherwise the wheel scrolls the panel, so scrolling past a control never changes it.
Values typed into a box are validated by the spec; an invalid one gives ``invalid(name, message)``
and the control goes back to its previous value.

The panel does not talk to the session: the lesson view connects it (see ``lesson_view.py``).
"""
from __future__ import annotations

import html
import math
import random
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (QAbstractSlider, QAbstractSpinBox, QApplication, QCheckBox, QComboBox, QFileDialog,
                               QFrame, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QSlider,
                               QSizePolicy, QToolButton, QVBoxLayout, QWidget)
from superqt import QDoubleSlider
from superqt.utils import qdebounced

from visualizer.core.hyperparams import (BoolParam, ChoiceParam, FloatParam, HyperparameterError, IntParam,
                                         ParamSpec, PathParam, TextParam)

COMMON = ("seed", "engine", "device")
SLIDER_STEPS = 200           # positions of a float slider
LARGE_INT_RANGE = 1000       # wider integer ranges get a box without a slider
DEBOUNCE_MS = 150
PENDING_STYLE = "#paramRow { background: #fff1c2; border: 1px solid #e0a800; border-radius: 4px; }"


def format_value(spec: ParamSpec, value: Any) -> str:
    """The text a value box shows: ``0.003`` for a log-scale rate, fixed decimals otherwise."""
    if isinstance(spec, FloatParam):
        if spec.log:
            return f"{value:.3g}"
        return f"{value:.{spec.decimals}f}".rstrip("0").rstrip(".") or "0"
    return str(value)


def round_log(value: float) -> float:
    """Round a value picked on a log slider to 3 significant digits (0.0030199 -> 0.003)."""
    return float(f"{value:.3g}")


class ParamControl(QWidget):
    """One hyperparameter's row.  Subclasses build the editor and implement value/set_value."""

    committed = Signal(str, object)       # name, value chosen by the user (already validated)
    invalid = Signal(str, str)            # name, message

    def __init__(self, spec: ParamSpec, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.name = spec.name
        self.setObjectName("paramRow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.locked = False
        self.pending = False
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 3, 4, 3)
        self._layout.setSpacing(2)
        tip = spec.tooltip or spec.label
        tip += ("\n\nLive: applies at the next training step and leaves a marker on the curves." if spec.live
                else "\n\nStructural: press Reset (R) to rebuild the model with it.")
        self.setToolTip(tip)
        self.label = QLabel(spec.label + ("" if spec.live else "  ↻"))
        self.label.setToolTip(tip)
        self.substitute_note = QLabel()       # what the last build used instead of the value (offline)
        self.substitute_note.setWordWrap(True)
        self.substitute_note.setStyleSheet("color: #b35900;")
        self.substitute_note.hide()
        self.substitute: str | None = None

    def show_substitute(self, used: str | None) -> None:
        """Say under the row that the last build used ``used`` instead of the value shown (None: clear)."""
        self.substitute = used
        if used is None:
            self.substitute_note.hide()
            return
        self.substitute_note.setText(f"Offline: {used} used instead")
        if self._layout.indexOf(self.substitute_note) < 0:
            self._layout.addWidget(self.substitute_note)
        self.substitute_note.show()

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show ``value`` without reporting it."""
        raise NotImplementedError

    def set_locked(self, locked: bool) -> None:
        """Disable the row (a narrative step holds this value fixed)."""
        self.locked = locked
        self.setEnabled(not locked)

    def set_pending(self, pending: bool) -> None:
        """Highlight the row: changed, waiting for Reset."""
        if pending != self.pending:
            self.pending = pending
            self.setStyleSheet(PENDING_STYLE if pending else "")

    def _commit(self, value: Any) -> None:
        try:
            v = self.spec.validate(value)
        except HyperparameterError as e:
            self.invalid.emit(self.name, str(e))
            return
        self.committed.emit(self.name, v)


class NumberControl(ParamControl):
    """FloatParam / IntParam: slider (log10 space when ``spec.log``) plus an editable value box.
    Integer ranges wider than ``LARGE_INT_RANGE`` (seeds) get only the box."""

    def __init__(self, spec: FloatParam | IntParam, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(spec, value, parent)
        self.is_int = isinstance(spec, IntParam)
        self.log = bool(spec.log) and spec.low > 0
        self._value = value
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.label, 1)
        self.box = QLineEdit(format_value(spec, value))
        self.box.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.box.setFixedWidth(84)
        self.box.setToolTip(f"Type a value in [{spec.low:g}, {spec.high:g}] and press Enter")
        self.box.editingFinished.connect(self._box_edited)
        head.addWidget(self.box)
        self.reseed: QToolButton | None = None
        wide = self.is_int and not self.log and spec.high - spec.low > LARGE_INT_RANGE
        if wide and spec.name == "seed":
            self.reseed = QToolButton()
            self.reseed.setText("New")
            self.reseed.setToolTip("Pick a new random seed (applies on Reset)")
            self.reseed.clicked.connect(lambda: self._commit_and_show(random.randint(spec.low, min(spec.high, 99_999))))
            head.addWidget(self.reseed)
        self._layout.addLayout(head)
        self.slider: QSlider | QDoubleSlider | None = None
        if not wide:
            if self.is_int and not self.log:
                self.slider = QSlider(Qt.Orientation.Horizontal)
                self.slider.setRange(int(spec.low), int(spec.high))
                self.slider.setPageStep(max(1, (spec.high - spec.low) // 10))
            else:
                self.slider = QDoubleSlider(Qt.Orientation.Horizontal)
                lo, hi = self._to_pos(spec.low), self._to_pos(spec.high)
                self.slider.setRange(lo, hi)
                self.slider.setSingleStep((hi - lo) / SLIDER_STEPS)
                self.slider.setPageStep((hi - lo) / 10)
            self.slider.setToolTip(self.toolTip())
            self._set_slider(value)
            self.slider.valueChanged.connect(self._slider_moved)
            self.slider.sliderReleased.connect(self._slider_released)
            self._layout.addWidget(self.slider)
        self._debounced_commit = qdebounced(self._commit_slider, timeout=DEBOUNCE_MS, parent=self)

    # log10 space for log scales
    def _to_pos(self, v: float) -> float:
        return math.log10(v) if self.log else float(v)

    def _from_pos(self, p: float) -> float | int:
        v = 10.0 ** p if self.log else p
        if self.is_int:
            return int(round(v))
        if self.log:
            return round_log(v)
        return round(v, self.spec.decimals)

    def _set_slider(self, value: Any) -> None:
        if self.slider is None:
            return
        self.slider.blockSignals(True)
        pos = self._to_pos(value) if not (self.is_int and not self.log) else int(value)
        self.slider.setValue(pos)
        self.slider.blockSignals(False)

    def slider_value(self) -> float | int:
        """The value under the slider handle (what a release would commit)."""
        v = self._from_pos(self.slider.value())
        return min(max(v, self.spec.low), self.spec.high)

    def _slider_moved(self, _pos) -> None:
        self.box.setText(format_value(self.spec, self.slider_value()))
        if not self.slider.isSliderDown():           # keyboard, wheel, click on the groove
            self._debounced_commit()

    def _slider_released(self) -> None:
        self._debounced_commit.cancel()
        self._commit_slider()

    def _commit_slider(self) -> None:
        v = self.slider_value()
        if v != self._value:
            self._value = v
            self._commit(v)

    def _box_edited(self) -> None:
        text = self.box.text().strip()
        if text == format_value(self.spec, self._value):
            return
        try:
            v = self.spec.validate(text)
        except HyperparameterError as e:
            self.box.setText(format_value(self.spec, self._value))
            self.invalid.emit(self.name, str(e))
            return
        self._commit_and_show(v)

    def _commit_and_show(self, v: Any) -> None:
        self._value = v
        self._set_slider(v)
        self.box.setText(format_value(self.spec, v))
        self.committed.emit(self.name, v)

    def value(self) -> Any:
        return self._value

    def set_value(self, value: Any) -> None:
        self._value = value
        self.box.setText(format_value(self.spec, value))
        self._set_slider(value)


class ChoiceControl(ParamControl):
    """ChoiceParam as a combo box."""

    def __init__(self, spec: ChoiceParam, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(spec, value, parent)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        self.combo = QComboBox()
        for choice in spec.choices:
            self.combo.addItem(str(choice), choice)     # the data is the value; the text may say more
        self.combo.setCurrentIndex(max(0, self.combo.findData(value)))
        self.combo.setToolTip(self.toolTip())
        self.combo.setMinimumWidth(110)
        self.combo.setEnabled(len(spec.choices) > 1)
        self.combo.currentIndexChanged.connect(lambda _i: self._commit(self.value()))
        row.addWidget(self.combo)
        self._layout.addLayout(row)

    def value(self) -> str:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value)
        if index < 0:
            return
        self.combo.blockSignals(True)
        if index != self.combo.currentIndex():
            self.show_substitute(None)          # another value: the old substitute no longer applies
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)

    def show_substitute(self, used: str | None) -> None:
        """The note under the row, and the current choice's text marked "(offline)" until the value changes."""
        super().show_substitute(used)
        self.combo.blockSignals(True)
        for i in range(self.combo.count()):
            choice = str(self.combo.itemData(i))
            marked = used is not None and i == self.combo.currentIndex()
            self.combo.setItemText(i, f"{choice} (offline)" if marked else choice)
        self.combo.blockSignals(False)

    def _commit(self, value: Any) -> None:
        if self.substitute is not None:
            self.show_substitute(None)
        super()._commit(value)

    def set_locked(self, locked: bool) -> None:
        super().set_locked(locked)
        self.combo.setEnabled(not locked and self.combo.count() > 1)


class BoolControl(ParamControl):
    """BoolParam as a check box."""

    def __init__(self, spec: BoolParam, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(spec, value, parent)
        self.check = QCheckBox(self.label.text())
        self.check.setChecked(bool(value))
        self.check.setToolTip(self.toolTip())
        self.check.toggled.connect(self._commit)
        self._layout.addWidget(self.check)

    def value(self) -> bool:
        return self.check.isChecked()

    def set_value(self, value: Any) -> None:
        self.check.blockSignals(True)
        self.check.setChecked(bool(value))
        self.check.blockSignals(False)


class PathControl(ParamControl):
    """PathParam as a path box with a Browse… button (file dialog with the spec's filter)."""

    def __init__(self, spec: PathParam, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(spec, value, parent)
        self._layout.addWidget(self.label)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.box = QLineEdit(str(value or ""))
        self.box.setPlaceholderText("no file chosen")
        self.box.editingFinished.connect(lambda: self.box.text() != self._value and self._set_and_commit(self.box.text()))
        row.addWidget(self.box, 1)
        self.browse = QPushButton("Browse…")
        self.browse.setToolTip(f"Choose a file ({spec.file_filter})")
        self.browse.clicked.connect(self._browse)
        row.addWidget(self.browse)
        self._layout.addLayout(row)
        self._value = str(value or "")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.spec.label, self._value, self.spec.file_filter)
        if path:
            self.box.setText(path)
            self._set_and_commit(path)

    def _set_and_commit(self, path: str) -> None:
        """Commit ``path``; one the spec refuses is reported (``invalid``) and the box shows the old one."""
        try:
            self.spec.validate(path)
        except HyperparameterError as e:
            self.box.setText(self._value)
            self.invalid.emit(self.name, str(e))
            return
        self._value = path
        self._commit(path)

    def value(self) -> str:
        return self._value

    def set_value(self, value: Any) -> None:
        self._value = str(value or "")
        self.box.setText(self._value)


class TextControl(ParamControl):
    """TextParam as a line edit; the value commits when editing finishes (Enter or focus out)."""

    def __init__(self, spec: TextParam, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(spec, value, parent)
        self._layout.addWidget(self.label)
        self._value = str(value or "")
        self.box = QLineEdit(self._value)
        self.box.setPlaceholderText(spec.placeholder)
        self.box.setMaxLength(spec.max_length)
        self.box.setToolTip(self.toolTip())
        self.box.editingFinished.connect(self._finished)
        self._layout.addWidget(self.box)

    def _finished(self) -> None:
        text = self.box.text().strip()
        if text != self._value:
            self._value = text
            self._commit(text)

    def value(self) -> str:
        return self._value

    def set_value(self, value: Any) -> None:
        self._value = str(value or "")
        self.box.setText(self._value)


WHEEL_EDITORS = (QAbstractSlider, QAbstractSpinBox, QComboBox)   # widgets whose value the wheel changes


class WheelGuard(QObject):
    """Event filter: a wheel event over an editor without the focus scrolls ``scroll_area`` instead of
    changing the editor's value (issue #13: scrolling the panel moved cnn_scratch's batch size 32 -> 14)."""

    def __init__(self, scroll_area: QScrollArea) -> None:
        super().__init__(scroll_area)
        self.scroll_area = scroll_area

    def guard(self, editor: QWidget) -> None:
        """Let ``editor`` take the focus by click or Tab but not by the wheel, and filter its wheel events."""
        editor.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        editor.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            QApplication.sendEvent(self.scroll_area.viewport(), event)
            return True
        return False


def make_control(spec: ParamSpec, value: Any) -> ParamControl:
    """The row widget for ``spec``.  Raises TypeError for an unknown spec class."""
    if isinstance(spec, (FloatParam, IntParam)):
        return NumberControl(spec, value)
    if isinstance(spec, ChoiceParam):
        return ChoiceControl(spec, value)
    if isinstance(spec, BoolParam):
        return BoolControl(spec, value)
    if isinstance(spec, PathParam):
        return PathControl(spec, value)
    if isinstance(spec, TextParam):
        return TextControl(spec, value)
    raise TypeError(f"no control for hyperparameter spec {type(spec).__name__}")


class HyperparameterPanel(QScrollArea):
    """All controls of a lesson, the lesson's own parameters first, then seed, engine and device.

    specs: ``lesson_cls.all_params()``; values: the values to show.  Signals:
    ``valueCommitted(name, value)`` when the user sets a value, ``invalidValue(name, message)``
    for a rejected entry, ``resetRequested()`` from the "Reset to apply" bar's button.
    """

    valueCommitted = Signal(str, object)
    invalidValue = Signal(str, str)
    resetRequested = Signal()

    def __init__(self, specs: tuple[ParamSpec, ...], values: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)

        self.pending_bar = QFrame()
        self.pending_bar.setObjectName("pendingBar")
        self.pending_bar.setStyleSheet("#pendingBar { background: #fff1c2; border: 1px solid #e0a800; "
                                       "border-radius: 4px; }")
        bar = QHBoxLayout(self.pending_bar)
        bar.setContentsMargins(6, 4, 6, 4)
        self.pending_label = QLabel()
        self.pending_label.setWordWrap(True)
        bar.addWidget(self.pending_label, 1)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Rebuild the model with the new settings (R)")
        self.reset_button.clicked.connect(self.resetRequested)
        bar.addWidget(self.reset_button)
        self.pending_bar.hide()
        layout.addWidget(self.pending_bar)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b3261e; background: #fdecea; border: 1px solid #e57373; "
                                       "border-radius: 4px; padding: 4px;")
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.controls: dict[str, ParamControl] = {}
        own = [s for s in specs if s.name not in COMMON]
        common = [s for s in specs if s.name in COMMON]
        for title, group in (("Model and training", own), ("Run", common)):
            if not group:
                continue
            box = QGroupBox(title)
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(4, 8, 4, 4)
            box_layout.setSpacing(2)
            for spec in group:
                control = make_control(spec, values.get(spec.name, spec.default))
                control.committed.connect(self.valueCommitted)
                control.invalid.connect(self.invalidValue)
                self.controls[spec.name] = control
                box_layout.addWidget(control)
            layout.addWidget(box)
        hint = QLabel("↻ needs Reset to apply; the others apply at the next step.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #5f6368;")
        layout.addWidget(hint)
        layout.addStretch(1)
        self.wheel_guard = WheelGuard(self)
        for editor in inner.findChildren(QWidget):
            if isinstance(editor, WHEEL_EDITORS):
                self.wheel_guard.guard(editor)
        inner.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setWidget(inner)
        self.setMinimumWidth(250)

    def control(self, name: str) -> ParamControl:
        """The row of ``name``.  Raises KeyError naming the known controls."""
        try:
            return self.controls[name]
        except KeyError:
            raise KeyError(f"no control {name!r}; controls: {', '.join(self.controls)}") from None

    def value(self, name: str) -> Any:
        return self.control(name).value()

    def set_value(self, name: str, value: Any) -> None:
        """Show ``value`` in the control without reporting it (the caller applies it)."""
        self.control(name).set_value(value)

    def set_locked(self, name: str, locked: bool = True) -> None:
        self.control(name).set_locked(locked)

    def set_hidden(self, name: str, hidden: bool = True) -> None:
        self.control(name).setVisible(not hidden)

    def is_hidden(self, name: str) -> bool:
        return self.control(name).isHidden()

    def unlock_all(self) -> None:
        for c in self.controls.values():
            c.set_locked(False)

    def show_all(self) -> None:
        for c in self.controls.values():
            c.setVisible(True)

    def show_substitute(self, name: str, used: str | None) -> None:
        """Show under control ``name`` that the last build used ``used`` instead of its value (the embedded
        digits for MNIST offline); None clears it.  Unknown names are ignored (a hidden common setting)."""
        if name in self.controls:
            self.controls[name].show_substitute(used)

    def clear_substitutes(self) -> None:
        """Forget every substitute (before a rebuild, which reports its own)."""
        for control in self.controls.values():
            if control.substitute is not None:
                control.show_substitute(None)

    def set_pending(self, names: list[str]) -> None:
        """Highlight the structural controls changed since the last build and show the Reset bar."""
        for name, c in self.controls.items():
            c.set_pending(name in names)
        if names:
            labels = html.escape(", ".join(self.controls[n].spec.label if n in self.controls else n for n in names))
            self.pending_label.setText(f"<b>Reset to apply:</b> {labels}")
        self.pending_bar.setVisible(bool(names))

    def pending_names(self) -> list[str]:
        return [n for n, c in self.controls.items() if c.pending]

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    @property
    def error_text(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""
