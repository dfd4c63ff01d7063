"""Light and dark themes and text size for the whole window, plots included.

A theme choice is ``"system"`` (follow the desktop: ``QStyleHints.colorScheme()``, Qt 6.5+), ``"light"`` or
``"dark"``.  :func:`apply_theme` sets the application palette (the Fusion style draws every widget from it),
pyqtgraph's default background and foreground (for plots created later) and restyles the plots that are
already open: their backgrounds, axes, tick labels, titles and text items.  :func:`apply_font_scale` scales
the application font, widgets with a font of their own, and plot axis labels, tick labels and titles.

Colours and sizes that a view chose for meaning (a red marker line, a class colour) are kept: only the
colours that stand for "the theme's ink" (either theme's foreground) are swapped.  Qt only; importing this
module imports pyqtgraph but no lesson and no torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

THEME_CHOICES = ("system", "light", "dark")
THEME_KEY = "view/theme"                 # QSettings key of the choice
FONT_SCALE_KEY = "view/font_scale"       # QSettings key of the text size factor
FONT_SCALE_STEP = 1.15                   # each Larger text / Smaller text multiplies or divides by this
FONT_SCALE_MIN, FONT_SCALE_MAX = 0.7, 2.0
BASE_POINT_SIZE = "_dlv_base_point_size"  # widget property: its font size at scale 1


@dataclass(frozen=True)
class Theme:
    """The colours of one theme (``#rrggbb``).  background/foreground: plot area and its ink (axes, ticks,
    labels); window/text/base/button/highlight/link/muted: the widget palette."""

    name: str
    background: str
    foreground: str
    window: str
    text: str
    base: str
    alternate_base: str
    button: str
    highlight: str
    highlighted_text: str
    link: str
    muted: str
    frame: str


LIGHT = Theme("light", background="#ffffff", foreground="#3c4043", window="#efefef", text="#202124",
              base="#ffffff", alternate_base="#f5f5f5", button="#efefef", highlight="#1a73e8",
              highlighted_text="#ffffff", link="#174ea6", muted="#5f6368", frame="#dadce0")
DARK = Theme("dark", background="#1e1f22", foreground="#c8ccd2", window="#2b2d30", text="#e8eaed",
             base="#1e1f22", alternate_base="#26282b", button="#3c3f41", highlight="#3d7bd9",
             highlighted_text="#ffffff", link="#8ab4f8", muted="#9aa0a6", frame="#4a4d51")
THEMES = {"light": LIGHT, "dark": DARK}
_INKS = {QColor(c).name() for t in THEMES.values() for c in (t.foreground, t.text)}

_current: Theme = LIGHT
_font_scale: float = 1.0
_base_app_point_size: float | None = None
_palette_set = False


def current() -> Theme:
    """The theme in use (light until :func:`apply_theme` says otherwise)."""
    return _current


def font_scale() -> float:
    """The text size factor in use (1.0 = the platform's default size)."""
    return _font_scale


def system_scheme() -> str:
    """``"dark"`` or ``"light"``: the desktop's colour scheme (Qt 6.5+ ``QStyleHints.colorScheme()``); where the
    platform does not say (offscreen, older Qt), light."""
    app = QGuiApplication.instance()
    hints = app.styleHints() if app is not None else None
    scheme = getattr(hints, "colorScheme", None)
    if scheme is None:
        return "light"
    return "dark" if scheme() == Qt.ColorScheme.Dark else "light"


def resolve(choice: str) -> Theme:
    """The Theme for a choice (``system``, ``light`` or ``dark``); an unknown choice means ``system``."""
    if choice in THEMES:
        return THEMES[choice]
    return THEMES[system_scheme()]


def checked_choice(value) -> str:
    """A theme choice read back from QSettings, or ``"system"`` for anything else."""
    return value if isinstance(value, str) and value in THEME_CHOICES else "system"


def checked_scale(value) -> float:
    """A font scale read back from QSettings, clamped to [FONT_SCALE_MIN, FONT_SCALE_MAX]; 1.0 if unreadable."""
    try:
        scale = float(value)
    except (TypeError, ValueError):
        return 1.0
    if scale != scale:          # NaN
        return 1.0
    return min(FONT_SCALE_MAX, max(FONT_SCALE_MIN, scale))


def palette(theme: Theme) -> QPalette:
    """The widget palette of ``theme`` (disabled text greyed out)."""
    pal = QPalette()
    roles = QPalette.ColorRole
    for role, color in ((roles.Window, theme.window), (roles.WindowText, theme.text), (roles.Base, theme.base),
                        (roles.AlternateBase, theme.alternate_base), (roles.Text, theme.text),
                        (roles.Button, theme.button), (roles.ButtonText, theme.text),
                        (roles.ToolTipBase, theme.base), (roles.ToolTipText, theme.text),
                        (roles.PlaceholderText, theme.muted), (roles.Highlight, theme.highlight),
                        (roles.HighlightedText, theme.highlighted_text), (roles.Link, theme.link),
                        (roles.BrightText, "#ff5252"), (roles.Mid, theme.frame)):
        pal.setColor(role, QColor(color))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.muted))
    return pal


def apply_theme(choice: str, app: QApplication | None = None) -> Theme:
    """Use the theme ``choice`` (``system``, ``light`` or ``dark``) from now on, for the open plots too.
    Returns the Theme in use."""
    global _current, _palette_set
    theme = resolve(choice)
    unchanged = theme is _current and _palette_set
    _current = theme
    pg.setConfigOptions(background=theme.background, foreground=theme.foreground)
    app = app or QApplication.instance()
    if app is not None and not unchanged:
        app.setPalette(palette(theme))
        _palette_set = True
        widgets = live_widgets(app)
        for widget in widgets:
            sheet = widget.styleSheet()
            if "palette(" in sheet:             # Qt resolves palette() in a style sheet once: re-apply it
                widget.setStyleSheet(sheet)
        for view in _graphics_views(widgets):
            style_graphics(view, theme)
    return theme


def live_widgets(app: QApplication) -> list[QWidget]:
    """Every widget under the application's top-level windows (not ``allWidgets()``, which also lists widgets
    half-way through deletion: touching one of those crashed)."""
    widgets: list[QWidget] = []
    for top in app.topLevelWidgets():
        widgets.append(top)
        widgets.extend(top.findChildren(QWidget))
    return list(dict.fromkeys(widgets))          # a dialog is a top level and its parent's child


def _graphics_views(widgets: Iterable[QWidget]) -> list[pg.GraphicsView]:
    return [w for w in widgets if isinstance(w, pg.GraphicsView)]


def _is_ink(color: QColor | None) -> bool:
    return color is None or color.name() in _INKS


def _is_paper(color: QColor) -> bool:
    """True for a legend background in a theme's paper colour (white or the dark background, any alpha)."""
    return color.name() in {"#ffffff", *(t.background for t in THEMES.values())}


def style_graphics(view: pg.GraphicsView, theme: Theme | None = None) -> None:
    """Give one pyqtgraph widget the theme's background and ink: axes (line, ticks, tick labels, axis
    titles), plot titles and text items whose colour is a theme ink.  Custom colours stay."""
    theme = theme or _current
    view.setBackground(theme.background)
    ink = QColor(theme.foreground)
    for item in view.scene().items():
        if isinstance(item, pg.LegendItem):
            if _is_paper(item.brush().color()):
                paper = QColor(theme.background)
                paper.setAlpha(200)
                item.setBrush(paper)
            item.setLabelTextColor(ink)       # entries added later take it too
        elif isinstance(item, pg.AxisItem):
            if _is_ink(item.pen().color()):
                item.setPen(ink)
            if _is_ink(item.textPen().color()):
                item.setTextPen(ink)
        elif isinstance(item, pg.LabelItem):
            color = item.opts.get("color")
            if color is None or _is_ink(pg.mkColor(color)):
                item.setText(item.text, color=theme.foreground)
        elif isinstance(item, pg.TextItem):
            if _is_ink(item.color):
                item.setColor(ink)


def restyle(root: QWidget) -> None:
    """Theme and text size for the plots inside ``root`` (a lesson view that was just built)."""
    views = _graphics_views(root.findChildren(pg.GraphicsView))
    for view in views:
        style_graphics(view, _current)
        scale_graphics_fonts(view, _font_scale)


# ---- text size ------------------------------------------------------------------------------------
def _base_size(obj, current_pt: float, scale_before: float) -> float:
    """The point size ``obj`` had at scale 1 (kept as a property / attribute on first sight)."""
    if isinstance(obj, QWidget):
        base = obj.property(BASE_POINT_SIZE)
        if base is None:
            base = current_pt / scale_before
            obj.setProperty(BASE_POINT_SIZE, base)
        return float(base)
    base = getattr(obj, BASE_POINT_SIZE, None)
    if base is None:
        base = current_pt / scale_before
        setattr(obj, BASE_POINT_SIZE, base)
    return float(base)


def _app_point_size(app: QApplication) -> float:
    global _base_app_point_size
    if _base_app_point_size is None:
        size = app.font().pointSizeF()
        _base_app_point_size = size if size > 0 else 9.0
    return _base_app_point_size


def apply_font_scale(scale: float, app: QApplication | None = None) -> float:
    """Make all text ``scale`` times its default size: the application font, widgets with a font of their
    own and every open plot's axis labels, tick labels, titles and text items.  ``scale`` is clamped to
    [FONT_SCALE_MIN, FONT_SCALE_MAX]; returns the scale used."""
    global _font_scale
    scale = checked_scale(scale)
    before, _font_scale = _font_scale, scale
    app = app or QApplication.instance()
    if app is None:
        return scale
    base_pt = _app_point_size(app)
    font = QFont(app.font())
    font.setPointSizeF(base_pt * scale)
    app.setFont(font)
    widgets = live_widgets(app)
    for widget in widgets:
        if widget.testAttribute(Qt.WidgetAttribute.WA_SetFont) and widget.font().pointSizeF() > 0:
            own = QFont(widget.font())
            own.setPointSizeF(_base_size(widget, own.pointSizeF(), before) * scale)
            widget.setFont(own)
    for widget in widgets:
        sheet = widget.styleSheet()
        if sheet:                   # a styled widget resolved its font when polished: polish it again
            widget.setStyleSheet(sheet)
    for view in _graphics_views(widgets):
        scale_graphics_fonts(view, scale, before)
    return scale


def plot_point_size(scale: float | None = None) -> float:
    """The point size of plot text (ticks, axis titles) at ``scale`` (default: the scale in use)."""
    app = QApplication.instance()
    base = _app_point_size(app) if app is not None else 9.0
    return base * (_font_scale if scale is None else scale)


def scale_graphics_fonts(view: pg.GraphicsView, scale: float, before: float | None = None) -> None:
    """Scale the text of one pyqtgraph widget: axis tick labels and titles, plot titles, text items."""
    before = _font_scale if before is None else before
    tick_pt = plot_point_size(scale)
    for item in view.scene().items():
        if isinstance(item, pg.LegendItem):
            size = item.opts.get("labelTextSize")
            if isinstance(size, str) and size.endswith("pt"):
                try:
                    base = _base_size(item, float(size[:-2]), before)
                except ValueError:
                    continue
                item.opts["labelTextSize"] = f"{base * scale:.1f}pt"     # for entries added later
        elif isinstance(item, pg.AxisItem):
            font = QFont(item.style.get("tickFont") or QApplication.font())
            font.setPointSizeF(tick_pt)
            item.setTickFont(font)
            item.labelStyle["font-size"] = f"{tick_pt:.1f}pt"
            item._updateLabel()         # pyqtgraph's own refresh of the axis title (re-reads labelStyle)
        elif isinstance(item, pg.LabelItem):
            size = item.opts.get("size")
            if isinstance(size, str) and size.endswith("pt"):
                try:
                    current_pt = float(size[:-2])
                except ValueError:
                    continue
                base = _base_size(item, current_pt, before)
                item.setText(item.text, size=f"{base * scale:.1f}pt")
        elif isinstance(item, pg.TextItem):
            font = QFont(item.textItem.font())
            if font.pointSizeF() > 0:
                font.setPointSizeF(_base_size(item, font.pointSizeF(), before) * scale)
                item.setFont(font)
