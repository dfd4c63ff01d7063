"""Frame playback shared by the views that animate (the clip view, the environment view): a QTimer that runs
only while the view is shown and has something to play, so a hidden tab costs nothing."""
from __future__ import annotations

from PySide6.QtCore import QTimer


class FramePlayback:
    """Mixin for a :class:`~visualizer.ui.plots.base.PlotView` (listed before it) whose ``self.timer``
    advances frames.  The subclass says when it wants to play (:meth:`_wants_to_play`) and calls
    :meth:`_sync_timer` when that may have changed; showing, hiding and closing the view do the rest."""

    timer: QTimer

    def _wants_to_play(self) -> bool:
        """True while there are frames left to play (the view being visible is checked here)."""
        raise NotImplementedError

    def _sync_timer(self) -> None:
        run = self.isVisible() and self._wants_to_play()
        if run and not self.timer.isActive():
            self.timer.start()
        elif not run and self.timer.isActive():
            self.timer.stop()

    def showEvent(self, event) -> None:            # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._sync_timer()

    def hideEvent(self, event) -> None:            # noqa: N802
        super().hideEvent(event)
        self.timer.stop()

    def closeEvent(self, event) -> None:           # noqa: N802
        self.timer.stop()
        super().closeEvent(event)
