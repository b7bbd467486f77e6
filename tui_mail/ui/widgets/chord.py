"""`g g`, vim's move to the top, sharing its key with mutt's lone `g` (group reply).

The first `g` waits `CHORD_DELAY` for a second one (vim's own `timeoutlen` is a second); a
second `g` in time moves to the top, and a lone one runs the group reply where that is what
`g` means: in the message list and the message view, while `[keys]` leaves it on `g`. The
folder pane has no message to reply to, so there a lone `g` does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.timer import Timer
from textual.widget import Widget

from tui_mail.ui.keys import BY_ID

CHORD_DELAY = 1.0  # seconds a lone `g` waits for a second `g`


class TopChord:
    """The pending-`g` state of one widget."""

    def __init__(self, widget: Widget, chord_binding: str, go_top: Callable[[], None],
                 lone_binding: Callable[[], str | None] = lambda: None) -> None:
        self._widget = widget
        self._chord_binding = chord_binding  # the binding id of the chord's own key
        self._go_top = go_top
        self._lone_binding = lone_binding  # the binding id a lone `g` stands for, if any
        self._timer: Timer | None = None
        # Keys reach the widget (`key_pressed`) before their bindings run, which happens once
        # the key has bubbled up to the app: in a fast `g o` both keys reach the widget before
        # the `g` binding starts the wait. So the widget counts keys, and a lone `g` counts
        # only when no key came after it.
        self._keys_seen = 0
        self._chord_key_seen = 0

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def press(self) -> None:
        if self._timer is not None:
            self.cancel()
            self._go_top()
            return
        self._timer = self._widget.set_timer(CHORD_DELAY, self._lone)

    def key_pressed(self, key: str) -> None:
        """Any other key ends the wait: `g` then `o` sorts, and replies to no one a second
        later. (Called for every key the widget sees, before its binding runs.)"""
        self._keys_seen += 1
        if key in _keys(self._widget, self._chord_binding):
            self._chord_key_seen = self._keys_seen
        elif self._timer is not None:
            self.cancel()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    async def _lone(self) -> None:
        """Run what a lone `g` is bound to, only while `g` is still its key: a user who moved
        the group reply elsewhere in `[keys]` gets nothing here."""
        self._timer = None
        binding_id = self._lone_binding()
        if binding_id is None or self._keys_seen != self._chord_key_seen:
            return
        if "g" in _keys(self._widget, binding_id):
            await self._widget.app.run_action(BY_ID[binding_id].action)


def _keys(widget: Widget, binding_id: str) -> set[str]:
    """The keys bound to `binding_id` now: the config's `[keys]` or the default."""
    keymap: dict[str, str] = getattr(widget.app, "_keymap", {})  # what App.set_keymap set
    keys = keymap.get(binding_id, BY_ID[binding_id].keys)
    return {key.strip() for key in keys.split(",")}
