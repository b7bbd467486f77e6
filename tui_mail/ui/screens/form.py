"""A screen of text fields (the account setup, the composer): what it takes to type into it
safely.

Two things Textual does not give a plain `Screen`:

- The app's own keys (m compose, D drafts, O outbox, $ sync, ? help, ...) stay out. An Input
  swallows the printable keys it gets, but a key that reaches a button, a collapsible or the
  form itself bubbles up to the app, and "m" opened a composer. A modal screen ends the
  binding chain (Textual's `_modal_binding_chain` stops at it), so the form says it is one.
  Priority bindings (ctrl+p for the palette, ctrl+q to quit) still act.
- Tab and shift+tab move the focus before the next key is read. A non-priority Tab travels
  from the focused field up to the screen through each widget's message queue, while the app
  hands the keys typed after it to the field that still has the focus: typed fast (or
  pasted by a password manager), the next field's text went into the previous one. A
  priority binding runs while the app reads the key, so the focus moves first.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen, ScreenResultType

from tui_mail.ui.keys import Scope, bindings


def help_bindings() -> list[BindingType]:
    """The app's help key, for a form's own BINDINGS (after its keys, as the key bar shows
    it last): the app's keys are shut out of a form, the help of the form's keys is not
    (`?` is typed as text in a field, F1 opens the help there too)."""
    return [Binding(b.key, f"app.{b.action}", b.description, show=b.show, id=b.id,
                    key_display=b.key_display)
            for b in bindings(Scope.APP) if isinstance(b, Binding) and b.id == "app.help"]


class FormScreen(Screen[ScreenResultType]):
    """A screen whose keys belong to its fields: no app keys, Tab moves the focus at once."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    @property
    def is_modal(self) -> bool:
        """Ends the binding chain here: the app's (non-priority) keys do not act."""
        return True
