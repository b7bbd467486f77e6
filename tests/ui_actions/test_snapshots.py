"""Snapshots of the folder picker and the outbox view at 80x24 and 160x48 (demo account).

Regenerate after a deliberate visual change with
`pytest tests/ui_actions/test_snapshots.py --snapshot-update` and review the SVG diff.
"""

from __future__ import annotations

import pytest

from tests.support.cache import NOW, plain_message
from tests.support.pilot import settle
from tui_mail.store.db import Store
from tui_mail.store.types import OutboxState

SIZES = [(80, 24), (160, 48)]


async def _folder_picker(pilot) -> None:
    await settle(pilot)
    await pilot.press("t", "t", "s")
    await settle(pilot)
    pilot.app.screen.query_one("#folder-query").cursor_blink = False
    await pilot.press(*"ar")
    await settle(pilot)


async def _outbox(pilot) -> None:
    await settle(pilot)
    await pilot.press("O")
    await settle(pilot)


def _fill_outbox(app) -> None:
    with Store.open(app.store_path) as store:
        for n, (state, error) in enumerate([
            (OutboxState.HELD, "550 5.1.1 <nobody@example.org>: [bold]Recipient[/] unknown"),
            (OutboxState.QUEUED, None),
        ]):
            raw = plain_message(f"Quarterly numbers, take {n + 1}", "Sam <sam@example.com>", NOW,
                                "Numbers attached.", to="nobody@example.org",
                                message_id=f"<out{n}@example.com>")
            entry = store.queues.outbox_add("demo", raw, "sam@example.com", ["nobody@example.org"],
                                     f"<out{n}@example.com>")
            if error:
                store.queues.outbox_set_state(entry, state, error)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_folder_picker_snapshot(snap_compare, demo_app, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(), terminal_size=size, run_before=_folder_picker)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_outbox_snapshot(snap_compare, demo_app, size: tuple[int, int]) -> None:
    app = demo_app()
    _fill_outbox(app)
    assert snap_compare(app, terminal_size=size, run_before=_outbox)
