"""A vertical scroll bar drawn straight into strips.

Textual's `ScrollBar` renders a Rich renderable through the console and its line cache: 3 ms
of CPU for a 38-line bar, each time the list scrolls (a jump to the end of the list redraws it,
and that was a fifth of the key's frame). The bar is one segment a line, so this builds the
strips from the same segments (`ScrollBarRender.render_bar`: the same look and the same
mouse actions) and keeps them until the bar's size, position or colours change.
"""

from __future__ import annotations

from rich.color import Color
from rich.style import Style
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.widget import Widget


class StripScrollBar(ScrollBar):
    """A `ScrollBar` whose vertical form renders its strips itself (see the module)."""

    def __init__(self, vertical: bool = True, name: str | None = None, *,
                 thickness: int = 1) -> None:
        super().__init__(vertical, name, thickness=thickness)
        self._strips: tuple[tuple[object, ...], list[Strip]] | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        renderer = self.render()
        width, height = self.size
        if not self.vertical or not isinstance(renderer, ScrollBarRender) or not width:
            return super().render_lines(crop)
        style = renderer.style if isinstance(renderer.style, Style) else Style.parse(
            str(renderer.style))
        key = (width, height, renderer.virtual_size, renderer.window_size, renderer.position,
               style)
        if self._strips is None or self._strips[0] != key:
            bar = ScrollBarRender.render_bar(
                size=height, virtual_size=renderer.virtual_size,
                window_size=renderer.window_size, position=renderer.position,
                thickness=width, vertical=True,
                back_color=style.bgcolor or Color.parse("#555555"),
                bar_color=style.color or Color.parse("bright_magenta"))
            strips = [Strip([segment], width) for segment in bar.segments]
            background = self.background_colors[1]
            for line_filter in self.get_line_filters():
                strips = [strip.apply_filter(line_filter, background) for strip in strips]
            self._strips = (key, strips)
        strips = self._strips[1][crop.y:crop.bottom]
        if crop.x or crop.right < width:
            strips = [strip.crop(crop.x, crop.right) for strip in strips]
        return strips


def use_strip_scrollbar(widget: Widget) -> ScrollBar:
    """`widget`'s vertical scroll bar, created as a `StripScrollBar` the first time (what
    Textual's `Widget.vertical_scrollbar` does with its own class)."""
    if widget._vertical_scrollbar is None:
        bar = StripScrollBar(vertical=True, name="vertical",
                             thickness=widget.scrollbar_size_vertical)
        bar.display = False
        widget._vertical_scrollbar = bar
        widget.app._start_widget(widget, bar)
    return widget._vertical_scrollbar
