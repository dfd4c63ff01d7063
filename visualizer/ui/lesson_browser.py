"""The lesson browser: lessons grouped by track, each with the book chapter it follows.  It shows metadata
only (``LessonInfo``), so listing lessons imports no lesson's model code.  The main window's Go menu
moves to the next / previous lesson in the listed order (Ctrl+PageDown / Ctrl+PageUp)."""
from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeWidget,
                               QTreeWidgetItem, QWidget)

from typing import Mapping

from visualizer.core.lesson import TRACKS, LessonInfo

NEXT_LESSON_KEY = "Ctrl+PgDown"
PREVIOUS_LESSON_KEY = "Ctrl+PgUp"
ID_ROLE = Qt.ItemDataRole.UserRole
CHAPTER_ROLE = Qt.ItemDataRole.UserRole + 1


class LessonItemDelegate(QStyledItemDelegate):
    """Draws a lesson as its title with the chapter it follows in smaller grey text below."""

    def _chapter(self, index) -> str:
        return index.data(CHAPTER_ROLE) or ""

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        size = super().sizeHint(option, index)
        if self._chapter(index):
            size.setHeight(size.height() + QFontMetrics(option.font).height() + 4)
        return size

    def paint(self, painter, option: QStyleOptionViewItem, index) -> None:
        chapter = self._chapter(index)
        if not chapter:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget else QStyle()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        rect = opt.rect.adjusted(6, 2, -4, -2)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        fm = QFontMetrics(opt.font)
        painter.save()
        painter.setPen(opt.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), fm.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(title, Qt.TextElideMode.ElideRight, rect.width()))
        small = opt.font
        small.setPointSizeF(max(6.0, small.pointSizeF() - 1))
        painter.setFont(small)
        painter.setPen(opt.palette.color(QPalette.ColorRole.HighlightedText if selected      # muted, either theme
                                         else QPalette.ColorRole.PlaceholderText))
        sfm = QFontMetrics(small)
        painter.drawText(QRect(rect.left(), rect.top() + fm.height() + 2, rect.width(), sfm.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         sfm.elidedText(chapter, Qt.TextElideMode.ElideRight, rect.width()))
        painter.restore()


class LessonBrowser(QTreeWidget):
    """A tree of tracks (in the order of ``TRACKS``; unknown tracks after them) with their lessons.

    lessons: id -> LessonInfo (as from ``registry.infos()``, which orders them by ``LessonInfo.order``),
    listed in that order within each track.  Each lesson row shows its title and,
    below in grey, the chapter it follows; the tooltip has the summary.  ``lessonChosen(id)`` is
    emitted when the user picks a lesson."""

    lessonChosen = Signal(str)

    def __init__(self, lessons: Mapping[str, LessonInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setColumnCount(1)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(False)
        self.setItemDelegate(LessonItemDelegate(self))
        self.setMinimumWidth(190)
        self.track_items: dict[str, QTreeWidgetItem] = {}
        self.lesson_items: dict[str, QTreeWidgetItem] = {}
        order = {t: i for i, t in enumerate(TRACKS)}
        tracks = sorted({info.track for info in lessons.values()}, key=lambda t: (order.get(t, len(order)), t))
        for track in tracks:
            top = QTreeWidgetItem([track])
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addTopLevelItem(top)
            self.track_items[track] = top
        for lesson_id, info in lessons.items():
            item = QTreeWidgetItem([info.title])
            item.setData(0, ID_ROLE, lesson_id)
            item.setData(0, CHAPTER_ROLE, info.chapter)
            engines = " and ".join(info.engines)
            item.setToolTip(0, f"<b>{info.title}</b><br><i>{info.chapter}</i><br><br>{info.summary}"
                               f"<br><br>Engines: {engines}")
            self.track_items[info.track].addChild(item)
            self.lesson_items[lesson_id] = item
        self.expandAll()
        self.itemActivated.connect(self._on_item)
        self.itemClicked.connect(self._on_item)

    def _on_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        lesson_id = item.data(0, ID_ROLE)
        if lesson_id:
            self.lessonChosen.emit(lesson_id)

    def select(self, lesson_id: str) -> None:
        """Highlight ``lesson_id`` without emitting lessonChosen."""
        item = self.lesson_items.get(lesson_id)
        if item is not None:
            self.blockSignals(True)
            self.setCurrentItem(item)
            self.blockSignals(False)

    def order(self) -> list[str]:
        """All lesson ids in the order shown, track after track."""
        return [lesson_id for ids in self.lessons_by_track().values() for lesson_id in ids]

    def neighbour(self, lesson_id: str | None, offset: int) -> str | None:
        """The lesson ``offset`` rows after ``lesson_id`` in the shown order (before it when negative),
        or None past either end; from no lesson (or an unknown one), the first or the last."""
        ids = self.order()
        if not ids:
            return None
        if lesson_id not in ids:
            return ids[0] if offset > 0 else ids[-1]
        i = ids.index(lesson_id) + offset
        return ids[i] if 0 <= i < len(ids) else None

    def chapter(self, lesson_id: str) -> str:
        """The chapter shown under ``lesson_id``."""
        return self.lesson_items[lesson_id].data(0, CHAPTER_ROLE) or ""

    def lessons_by_track(self) -> dict[str, list[str]]:
        """track -> lesson ids as listed."""
        return {t: [top.child(i).data(0, ID_ROLE) for i in range(top.childCount())]
                for t, top in self.track_items.items()}
