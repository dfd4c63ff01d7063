"""Issue #13, what users of the anchor tools expect: light and dark themes that restyle the open plots, text
size for the whole window, the welcome page, a data-set box that shows the offline fallback, and titled
exported pictures."""
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from tests.core.toy_lesson import ToyLesson
from tests.ui.fake_lessons import AllKindsLesson, VisionLesson
from visualizer.core.hyperparams import ChoiceParam
from visualizer.data.download import DownloadError
from visualizer.data.fallback import load_with_fallback
from visualizer.ui import theme
from visualizer.ui.main_window import MainWindow
from visualizer.ui.welcome import SHOW_AT_START_KEY, WelcomePage

LESSONS = {"all_kinds": AllKindsLesson, "vision_fake": VisionLesson}


@pytest.fixture(autouse=True)
def _light_default_text_afterwards(qapp):
    """Theme and text size are application-wide: put them back for the other tests."""
    yield
    theme.apply_theme("light")
    theme.apply_font_scale(1.0)


def make_window(qtbot, settings, lessons=LESSONS, **kw):
    window = MainWindow(lessons=lessons, settings=settings, **kw)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


def plot_widgets(root) -> list[pg.GraphicsView]:
    return root.findChildren(pg.GraphicsView)


def axes(root) -> list[pg.AxisItem]:
    return [it for view in plot_widgets(root) for it in view.scene().items() if isinstance(it, pg.AxisItem)]


def background(view: pg.GraphicsView) -> str:
    return view.backgroundBrush().color().name()


# ---- theme ----------------------------------------------------------------------------------------
def test_theme_switch_restyles_the_open_plots_and_is_remembered(qtbot, settings):
    window = make_window(qtbot, settings, lesson_id="all_kinds")
    views = plot_widgets(window.view)
    assert views and {background(v) for v in views} == {theme.LIGHT.background}

    window.set_theme("dark")
    assert {background(v) for v in plot_widgets(window.view)} == {theme.DARK.background}
    assert {a.pen().color().name() for a in axes(window.view)} == {theme.DARK.foreground}
    assert {a.textPen().color().name() for a in axes(window.view)} == {theme.DARK.foreground}
    legends = [it for v in plot_widgets(window.view) for it in v.scene().items() if isinstance(it, pg.LegendItem)]
    # legends drawn on a background (scatter) take the dark paper; the curve plots' legend strips have none
    papers = {lg.brush().color().name() for lg in legends if lg.brush().style() != Qt.BrushStyle.NoBrush}
    assert legends and papers == {theme.DARK.background}
    assert {lg.labelTextColor().name() for lg in legends} == {theme.DARK.foreground}
    assert QApplication.palette().window().color().name() == theme.DARK.window
    assert window.view.frames["loss"].grab().toImage().pixelColor(3, 30).name() == theme.DARK.base
    assert window.theme_actions["dark"].isChecked()
    assert settings.value(theme.THEME_KEY) == "dark"

    window.open_lesson("vision_fake")                       # a lesson opened later is dark too
    assert {background(v) for v in plot_widgets(window.view)} == {theme.DARK.background}

    window.set_theme("light")
    assert {background(v) for v in plot_widgets(window.view)} == {theme.LIGHT.background}
    assert {a.textPen().color().name() for a in axes(window.view)} == {theme.LIGHT.foreground}
    window.close()


def test_saved_theme_applies_at_start_and_system_follows_the_desktop(qtbot, settings):
    settings.setValue(theme.THEME_KEY, "dark")
    window = make_window(qtbot, settings, lesson_id="vision_fake")
    assert {background(v) for v in plot_widgets(window.view)} == {theme.DARK.background}
    window.set_theme("system")
    assert theme.current() is theme.THEMES[theme.system_scheme()]
    assert theme.checked_choice("purple") == "system"
    window.close()


def test_custom_axis_colours_survive_a_theme_switch(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.getPlotItem().getAxis("left").setPen("#d55e00")
    theme.apply_theme("dark")
    assert widget.getPlotItem().getAxis("left").pen().color().name() == "#d55e00"
    assert widget.getPlotItem().getAxis("bottom").pen().color().name() == theme.DARK.foreground


# ---- text size ------------------------------------------------------------------------------------
def test_larger_text_scales_widgets_and_plot_ticks_and_is_remembered(qtbot, settings):
    window = make_window(qtbot, settings, lesson_id="all_kinds")
    app_pt = QApplication.font().pointSizeF()
    narrative_pt = window.view.narrative.text.font().pointSizeF()      # a widget with a font of its own
    browser_pt = window.browser.font().pointSizeF()

    assert window.change_font_scale(+1) == pytest.approx(theme.FONT_SCALE_STEP)
    QApplication.processEvents()                        # Qt posts the font change to the widgets
    assert QApplication.font().pointSizeF() == pytest.approx(app_pt * theme.FONT_SCALE_STEP, abs=0.05)
    assert window.browser.font().pointSizeF() == pytest.approx(browser_pt * theme.FONT_SCALE_STEP, abs=0.05)
    assert window.view.narrative.text.font().pointSizeF() == pytest.approx(narrative_pt * theme.FONT_SCALE_STEP,
                                                                           abs=0.05)
    ticks = {round(a.style["tickFont"].pointSizeF(), 1) for a in axes(window.view)}
    assert ticks == {round(app_pt * theme.FONT_SCALE_STEP, 1)}
    labels = {a.labelStyle.get("font-size") for a in axes(window.view) if a.labelText}
    assert labels == {f"{app_pt * theme.FONT_SCALE_STEP:.1f}pt"}
    assert float(settings.value(theme.FONT_SCALE_KEY)) == pytest.approx(theme.FONT_SCALE_STEP)

    window.larger_text_action.trigger()
    assert window.font_scale == pytest.approx(theme.FONT_SCALE_STEP ** 2, abs=1e-3)
    window.reset_text_action.trigger()
    QApplication.processEvents()
    assert QApplication.font().pointSizeF() == pytest.approx(app_pt)
    assert window.view.narrative.text.font().pointSizeF() == pytest.approx(narrative_pt)
    assert window.smaller_text_action.shortcut().toString() == "Ctrl+-"
    window.close()


def test_saved_text_size_applies_to_a_new_window(qtbot, settings):
    app_pt = QApplication.font().pointSizeF()
    settings.setValue(theme.FONT_SCALE_KEY, 1.3)
    window = make_window(qtbot, settings, lesson_id="vision_fake")
    assert QApplication.font().pointSizeF() == pytest.approx(app_pt * 1.3, abs=0.05)
    ticks = {round(a.style["tickFont"].pointSizeF(), 1) for a in axes(window.view)}
    assert ticks == {round(app_pt * 1.3, 1)}
    settings.setValue(theme.FONT_SCALE_KEY, "huge")
    assert theme.checked_scale(settings.value(theme.FONT_SCALE_KEY)) == 1.0
    window.close()


# ---- welcome page ---------------------------------------------------------------------------------
def test_welcome_page_shows_on_the_first_launch_only(qtbot, settings):
    window = make_window(qtbot, settings)
    assert window.welcome is None                       # a window built directly (tests) shows nothing
    page = window.maybe_show_welcome()
    assert isinstance(page, WelcomePage) and page.isVisible() and not page.isModal()
    assert "Alt+Right" in page.text.toPlainText() and "Ctrl+PgDown" in page.text.toPlainText()
    assert page.dont_show.isChecked()
    page.close()
    window.close()

    second = make_window(qtbot, settings)
    assert second.maybe_show_welcome() is None
    page = second.show_welcome()                         # Help > Welcome still opens it
    page.dont_show.setChecked(False)                     # "show it at every start"
    assert settings.value(SHOW_AT_START_KEY) in (True, "true")
    page.close()
    second.close()
    third = make_window(qtbot, settings)
    assert third.maybe_show_welcome() is not None
    third.close()


def test_welcome_start_button_opens_the_playground_on_the_spiral(qtbot, settings):
    from visualizer.core import registry

    window = make_window(qtbot, settings, lessons={"toy": ToyLesson, "playground": registry.get("playground")},
                         lesson_id="toy")
    page = window.show_welcome()
    assert page.start_button.isEnabled()
    page.start_button.click()
    view = window.view
    assert view.lesson_cls.info.id == "playground"
    assert view.panel.value("dataset") == "spiral"
    assert view.narrative.current.set_params.get("dataset") == "spiral"
    qtbot.waitUntil(lambda: view.builds >= 1, timeout=20_000)
    assert not page.isVisible()
    window.close()


def test_welcome_start_button_is_off_without_the_playground(qtbot, settings):
    window = make_window(qtbot, settings)
    assert not window.show_welcome().start_button.isEnabled()
    assert window.start_playground() is None
    window.close()


# ---- the data set box after an offline fallback ----------------------------------------------------
def _offline_mnist() -> int:
    raise DownloadError("mnist: no network", reason="no network")


class OfflineLesson(ToyLesson):
    """Asks for MNIST, which cannot be downloaded here, and falls back to the digits."""
    params = ToyLesson.params + (ChoiceParam("dataset", "Data set", "mnist", ("digits", "mnist"), live=False),)

    def __init__(self, hp, context=None):
        super().__init__(hp, context)
        if hp["dataset"] == "mnist":
            load_with_fallback(context, _offline_mnist, lambda: 0, what="MNIST",
                               instead="the embedded 8×8 digits", param="dataset")


def test_data_set_box_shows_the_offline_fallback(qtbot, make_view):
    view = make_view(OfflineLesson)
    control = view.panel.control("dataset")
    qtbot.waitUntil(lambda: control.substitute is not None, timeout=10_000)
    assert control.combo.currentText() == "mnist (offline)"
    assert control.value() == "mnist"
    assert not control.substitute_note.isHidden()
    assert "embedded 8×8 digits" in control.substitute_note.text()

    control.combo.setCurrentIndex(control.combo.findData("digits"))     # another choice: the note goes
    assert control.substitute is None and control.substitute_note.isHidden()
    assert [control.combo.itemText(i) for i in range(control.combo.count())] == ["digits", "mnist"]
    view.reset()
    qtbot.waitUntil(lambda: view.builds >= 2, timeout=10_000)
    assert control.substitute is None


# ---- exported pictures carry their title ----------------------------------------------------------
def _array(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    return arr[:, :img.width(), :3].astype(int)


def test_exported_png_and_svg_carry_the_plot_and_lesson_titles(qtbot, make_view, tmp_path):
    view = make_view(ToyLesson)
    plot = view.views["loss"]
    qtbot.waitUntil(lambda: plot.isVisible() and plot.height() > 100)
    band = plot.export_title_height()
    assert band > 10
    assert plot.lesson_title() == "Toy"

    path = tmp_path / "loss.png"
    plot.export_png(path, scale=1.0)
    img = QImage(str(path))
    assert img.height() == plot.height() + band
    top = _array(img)[:band]
    ink = (top.sum(axis=2) < 3 * 128).sum()                  # dark text pixels on the white band
    assert ink > 30

    svg = ET.fromstring(plot.svg_bytes())
    texts = " ".join("".join(el.itertext()) for el in svg.iter() if el.tag.endswith("text"))
    assert "Loss" in texts and "Toy" in texts


def test_larger_text_reaches_widgets_with_a_style_sheet(qtbot, settings):
    window = make_window(qtbot, settings, lesson_id="vision_fake")
    title = window.view.frames["loss"].title                 # a label inside a frame with a style sheet
    before = title.font().pointSizeF()
    window.change_font_scale(+1)
    QApplication.processEvents()
    assert title.font().pointSizeF() == pytest.approx(before * theme.FONT_SCALE_STEP, abs=0.05)
    window.close()
