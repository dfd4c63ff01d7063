"""A :class:`TextData`: generated text, the prompt in bold, one sentence per line."""
from __future__ import annotations

import html

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFrame, QTextBrowser, QWidget

from visualizer.core.plotdata import LINE_BREAK, PlotSpec, TextData
from visualizer.ui.plots.base import PlotView

def text_html(data: TextData) -> str:
    """The prompt (bold) and the generated words (normal) as HTML, joined by the data's separator, a line break for
    every ``LINE_BREAK``, the note in small grey type above."""
    def words_html(words: list[str], bold: bool) -> str:
        out = []
        for w in words:
            if w == LINE_BREAK:
                out.append("<br>")
            else:
                t = html.escape(w)
                out.append(f"<b>{t}</b>" if bold else t)
        return sep.join(out).replace(f"{sep}<br>{sep}", "<br>")

    sep = html.escape(data.separator)
    body = words_html(list(data.prompt), True) + sep + words_html(list(data.words), False)
    note = f"<div style='color:#80868b; font-size:small'>{html.escape(data.note)}</div>" if data.note else ""
    return f"{note}<div style='font-size:large; line-height:140%'>{body.strip()}</div>"


def paint_text_paths(painter: QPainter, data: TextData, width: float, margin: float) -> None:
    """Draw ``data`` as filled glyph outlines: the note (small, grey), then the words wrapped to ``width``, the
    prompt in bold, a new line at every ``LINE_BREAK``."""
    small, normal, bold = QFont(), QFont(), QFont()
    small.setPointSizeF(8.0)
    normal.setPointSizeF(11.0)
    bold.setPointSizeF(11.0)
    bold.setBold(True)
    y = margin + QFontMetricsF(small).ascent()
    if data.note:
        path = QPainterPath()
        path.addText(margin, y, small, data.note)
        painter.fillPath(path, QColor("#80868b"))
        y += QFontMetricsF(small).lineSpacing() * 1.5
    line = QFontMetricsF(normal).lineSpacing() * 1.3
    y += QFontMetricsF(normal).ascent()
    x = margin
    path_b, path_n = QPainterPath(), QPainterPath()
    tokens = [(w, True) for w in data.prompt] + [(w, False) for w in data.words]
    for word, is_prompt in tokens:
        if word == LINE_BREAK:
            x, y = margin, y + line
            continue
        font = bold if is_prompt else normal
        advance = QFontMetricsF(font).horizontalAdvance(word + data.separator)
        if x + advance > margin + width and x > margin:
            x, y = margin, y + line
        (path_b if is_prompt else path_n).addText(x, y, font, word)
        x += advance
    painter.fillPath(path_b, QColor("#202124"))
    painter.fillPath(path_n, QColor("#3c4043"))


class TextView(PlotView):
    """A :class:`TextData`: read-only rich text that keeps its scroll position at the top."""

    data_type = TextData

    def __init__(self, spec: PlotSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.browser = QTextBrowser()
        self.browser.setFrameShape(QFrame.Shape.StyledPanel)
        self.browser.setOpenLinks(False)
        self.browser.setToolTip(spec.tooltip)
        self._html = ""
        self._layout.addWidget(self.browser)

    def _draw(self, data: TextData) -> None:
        doc = text_html(data)
        if doc != self._html:                  # unchanged text: no relayout
            self._html = doc
            self.browser.setHtml(doc)

    def svg_bytes(self) -> bytes:
        """The text as an SVG of filled outlines (QPainterPath.addText), so it looks the same without the fonts;
        the base class's widget rendering would write <text> elements."""
        width, height = max(self.width(), 640), max(self.height(), 420)
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        gen = QSvgGenerator()
        gen.setOutputDevice(buf)
        gen.setSize(QSize(width, height))
        gen.setViewBox(QRect(0, 0, width, height))
        gen.setTitle(self.spec.title)
        gen.setDescription(f"Deep Learning Visualizer plot '{self.spec.id}'")
        painter = QPainter(gen)
        try:
            painter.fillRect(QRect(0, 0, width, height), QColor("white"))
            if isinstance(self._data, TextData):
                paint_text_paths(painter, self._data, width - 24, 12.0)
        finally:
            painter.end()
        buf.close()
        return bytes(data)

    def plain_text(self) -> str:
        """What the view shows, as plain text (for tests and the clipboard)."""
        return self.browser.toPlainText()
