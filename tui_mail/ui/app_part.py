"""The base of the app's mixins (`ComposeActions`, `MessageActions`...): each is a part of
`TuiMailApp`, and reaches the app's methods (`notify`, `push_screen`, `call_from_thread`)
through `as_app`, typed, instead of an untyped `self`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from tui_mail.ui.app import TuiMailApp


class AppPart:
    """A mixin of `TuiMailApp` (never used on its own)."""

    @property
    def as_app(self) -> TuiMailApp:
        return cast("TuiMailApp", self)


if TYPE_CHECKING:
    from textual.screen import Screen

    _Screen = Screen[Any]  # what a screen mixin is part of, for the type checker
else:
    _Screen = object


class ScreenPart(_Screen):
    """A mixin of one of `TuiMailApp`'s screens: `_app` is the app, typed, and the screen's
    own methods (`query_one`, `run_worker`...) are known to the type checker."""

    @property
    def _app(self) -> TuiMailApp:
        return cast("TuiMailApp", self.app)
