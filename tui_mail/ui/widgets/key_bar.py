"""The bottom line of every screen: the keys in force where the focus is, clickable.

Textual's `Footer` mounts one widget per key and mounts them all again whenever the focus
moves; on the main screen that was a dozen widgets to style before the first frame and on
every change of pane. `KeyBar` is one widget that draws the same line, so the first frame and
each focus change cost a single line of rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class KeyHint:
    """One key as the bar shows it, and the columns it takes."""

    key: str
    display: str
    description: str
    enabled: bool
    start: int = 0
    end: int = 0


class KeyBar(Widget, can_focus=False):
    """The shown bindings of the focused widget, its ancestors and the app; the command
    palette's key at the right edge. A click on a key presses it."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--hover",
        "key-bar--disabled",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-bar--hover { background: $block-hover-background; }
        & > .key-bar--disabled { text-style: dim; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._hints: list[KeyHint] = []
        self._hover: int | None = None
        self._shown_hints: list[KeyHint] | None = None  # what the last binding change showed

    @property
    def drawn(self) -> tuple[KeyHint, ...]:
        """The keys the last render drew, each with the columns it took: where a click on the
        bar presses it."""
        return tuple(self._hints)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        """Redrawn only when the keys shown change: the bindings are "updated" at each focus
        change and screen switch, mostly to the same keys, and drawing the bar anew cost
        3 ms of the frame that opens a message."""
        if screen is self.screen:
            hints = self.hints()
            if hints != self._shown_hints:
                self._shown_hints = hints
                self.refresh()

    # ---- what is shown ----------------------------------------------------------------------

    def hints(self) -> list[KeyHint]:
        """The keys to show, in binding order, one per action (its first key)."""
        app = self.app
        seen: set[str] = set()
        shown: list[KeyHint] = []
        palette: KeyHint | None = None
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = KeyHint(binding.key, app.get_key_display(binding),
                                  binding.description, enabled)
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            shown.append(KeyHint(binding.key, app.get_key_display(binding),
                                 binding.description, enabled))
        if palette is None and app.ENABLE_COMMAND_PALETTE and self.screen.is_modal:
            # A form ends the binding chain at itself, so the app's palette binding is not
            # among its active ones; being a priority binding, it still acts there.
            binding = Binding(app.COMMAND_PALETTE_BINDING, "command_palette", "palette",
                              key_display=app.COMMAND_PALETTE_DISPLAY)
            palette = KeyHint(binding.key, app.get_key_display(binding), binding.description,
                              True)
        if palette is not None:
            shown.append(palette)
        return shown

    def render(self) -> Text:
        width = self.size.width
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        hover_style = self.get_component_rich_style("key-bar--hover")
        disabled_style = self.get_component_rich_style("key-bar--disabled")
        hints = self.hints()
        palette = hints.pop() if hints and hints[-1].key == self.app.COMMAND_PALETTE_BINDING \
            else None
        text = Text(no_wrap=True, overflow="crop", end="")
        placed: list[KeyHint] = []
        palette_width = _cells(palette) + 1 if palette else 0
        for hint in hints:
            if text.cell_len + _cells(hint) > width - palette_width:
                break
            placed.append(self._append(text, hint, len(placed), key_style, description_style,
                                       hover_style, disabled_style))
        if palette is not None and width >= palette_width:
            text.append(" " * max(0, width - palette_width - text.cell_len))
            text.append("▏")
            placed.append(self._append(text, palette, len(placed), key_style, description_style,
                                       hover_style, disabled_style))
        self._hints = placed
        return text

    def _append(self, text: Text, hint: KeyHint, index: int, key_style: object,
                description_style: object, hover_style: object, disabled_style: object,
                ) -> KeyHint:
        start = text.cell_len
        text.append(f" {hint.display} ", key_style)  # type: ignore[arg-type]
        if hint.description:
            text.append(f"{hint.description} ", description_style)  # type: ignore[arg-type]
        end = text.cell_len
        if index == self._hover:
            text.stylize(hover_style, start, end)  # type: ignore[arg-type]
        if not hint.enabled:
            text.stylize(disabled_style, start, end)  # type: ignore[arg-type]
        return KeyHint(hint.key, hint.display, hint.description, hint.enabled, start, end)

    # ---- mouse ------------------------------------------------------------------------------

    def _hint_at(self, x: int) -> int | None:
        return next((i for i, h in enumerate(self._hints) if h.start <= x < h.end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        hover = self._hint_at(event.x)
        if hover != self._hover:
            self._hover = hover
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        index = self._hint_at(event.x)
        if index is None:
            return
        hint = self._hints[index]
        if hint.enabled:
            self.app.simulate_key(hint.key)
        else:
            self.app.bell()


def _cells(hint: KeyHint | None) -> int:
    if hint is None:
        return 0
    from rich.cells import cell_len

    return cell_len(f" {hint.display} ") + (cell_len(hint.description) + 1 if hint.description
                                            else 0)


__all__ = ["KeyBar", "KeyHint"]
