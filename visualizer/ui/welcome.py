"""The welcome page: what the app is, where to start, and the keys.

Shown by the main window on the first launch (``run_gui`` asks it to; a MainWindow built in a test shows
nothing) and from Help > Welcome.  It is a non-modal dialog: the window behind it works while it is open.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QTextBrowser,
                               QVBoxLayout, QWidget)

from visualizer.ui.lesson_browser import NEXT_LESSON_KEY, PREVIOUS_LESSON_KEY
from visualizer.ui.narrative_panel import BACK_STEP_KEY, NEXT_STEP_KEY

SHOW_AT_START_KEY = "welcome/show_at_start"     # QSettings: show the page when the app starts (default: yes)
START_LESSON = "playground"
START_PARAMS = {"dataset": "spiral"}             # a data set that needs hidden layers, not two easy blobs

WELCOME_HTML = """
<h2>Welcome to the Deep Learning Visualizer</h2>
<p>Watch neural networks learn, live. Every lesson trains a real model, on a from-scratch NumPy engine
or on PyTorch, while you move its knobs; the pictures show what the network computes as it learns,
and the text on the left tells the story step by step.</p>
<h3>Where to start</h3>
<p><b>The playground with the spiral.</b> Two interleaved arms of points that no straight line can
separate: watch each hidden neuron's map, and see how three layers bend the decision boundary around
the arms over a couple of thousand steps. Then try the other lessons in the list on the left, from
the perceptron to attention and GANs.</p>
<h3>Keys</h3>
<table cellspacing="4">
<tr><td><b>Space</b></td><td>Play / pause training</td></tr>
<tr><td><b>S</b></td><td>Step: train on one mini-batch</td></tr>
<tr><td><b>R</b></td><td>Reset: rebuild the model with the current settings</td></tr>
<tr><td><b>{next_step} / {back_step}</b></td><td>Next / previous step of the lesson's story</td></tr>
<tr><td><b>{next_lesson} / {previous_lesson}</b></td><td>Next / previous lesson</td></tr>
<tr><td><b>Ctrl+= / Ctrl+- / Ctrl+0</b></td><td>Larger / smaller / default text</td></tr>
<tr><td><b>Ctrl+E</b></td><td>Export every plot of the lesson</td></tr>
</table>
<p>View &gt; Theme switches between light and dark (or follows your desktop). This page is in Help &gt; Welcome.</p>
""".format(next_step=NEXT_STEP_KEY, back_step=BACK_STEP_KEY, next_lesson=NEXT_LESSON_KEY,
           previous_lesson=PREVIOUS_LESSON_KEY)


class WelcomePage(QDialog):
    """The welcome dialog.  can_start: whether the playground lesson is installed (the start button is
    disabled otherwise).  Signals: ``startRequested()`` when the user clicks the start button (the dialog
    closes); ``showAtStartChanged(bool)`` when the "don't show again" box changes (True: show at start)."""

    startRequested = Signal()
    showAtStartChanged = Signal(bool)

    def __init__(self, can_start: bool = True, show_at_start: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome")
        self.setModal(False)
        self.resize(620, 600)
        layout = QVBoxLayout(self)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(WELCOME_HTML)
        self.text.setFrameShape(QTextBrowser.Shape.NoFrame)
        layout.addWidget(self.text, 1)
        self.start_button = QPushButton("Start with the playground: the spiral")
        self.start_button.setDefault(True)
        self.start_button.setEnabled(can_start)
        if not can_start:
            self.start_button.setToolTip("The playground lesson is not installed")
        self.start_button.clicked.connect(self._start)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.start_button)
        row.addStretch(1)
        layout.addLayout(row)
        bottom = QHBoxLayout()
        self.dont_show = QCheckBox("Don't show this page when the app starts")
        self.dont_show.setChecked(not show_at_start)
        self.dont_show.toggled.connect(lambda checked: self.showAtStartChanged.emit(not checked))
        bottom.addWidget(self.dont_show, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        hint = QLabel("Every lesson also explains itself in the panel on the left of its window.")
        hint.setEnabled(False)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(hint)

    def _start(self) -> None:
        self.accept()
        self.startRequested.emit()
