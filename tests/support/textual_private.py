"""The only place the tests read Textual's private state, each read with the reason no public
API gives it (Textual 8.2). When Textual changes, this is the one file to fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual.app import App
from textual.message_pump import MessagePump
from textual.timer import Timer


def pending_one_shot_timers(node: MessagePump, within: float) -> Iterator[Timer]:
    """The timers of `node` set with `set_timer` for at most `within` seconds that have not
    fired, been stopped or been paused. Textual keeps a node's timers only in the private
    `_timers` and says nothing public about whether one is still to fire; repeating timers
    (`set_interval`, e.g. an autosave or a cursor blink) never end, so they are left out."""
    for timer in list(node._timers):  # noqa: SLF001 - no public list of a node's timers
        task = timer._task  # noqa: SLF001 - set while the timer has still to fire
        if (timer._repeat == 0  # noqa: SLF001 - set_timer's one shot
                and timer._interval <= within  # noqa: SLF001
                and task is not None and not task.done()
                and timer._active.is_set()):  # noqa: SLF001 - cleared while paused
            yield timer


def rendered_lines(app: App[object]) -> list[str]:
    """The rows the terminal would show, as plain text: Textual exports the screen only as
    SVG or styled segments through the compositor, which is private."""
    strips = app.screen._compositor.render_strips()  # noqa: SLF001 - no public text export
    return ["".join(segment.text for segment in strip) for strip in strips]
