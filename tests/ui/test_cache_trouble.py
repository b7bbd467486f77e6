"""A cache that fails under the running interface: said once, in words that name the file and
what to do, and the interface goes on (Textual would end a screen, or the whole app, whose
handler raised)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tests.support.pilot import screen_text, settle
from tui_mail.ui.widgets.message_list import MessageList


def damage(cache: Path) -> None:
    """Noise over every page but the first, as a disk fault would leave it; the WAL is folded
    in first, so that nothing is read from it instead."""
    with sqlite3.connect(cache) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = cache.stat().st_size
    with cache.open("r+b") as handle:
        for offset in range(4096, size, 4096):
            handle.seek(offset)
            handle.write(os.urandom(4096))


def notifications(app) -> list[str]:
    return [n.message for n in app.notified]


async def test_a_cache_damaged_under_the_running_app_is_said_and_the_app_goes_on(
        make_app, cache_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.query_one(MessageList).row_count > 0
        damage(cache_path)
        await pilot.press("d")  # asks the cache what a delete would do: it cannot tell
        await settle(pilot)
        await pilot.press("slash", *"report")  # a search reads it too
        await settle(pilot)
        await pilot.press("escape", "c", "j", "enter")  # another folder: its list is read
        await settle(pilot)
        said = [n for n in notifications(app) if "damaged" in n]
        assert said, notifications(app)
        assert str(cache_path) in said[0] and "tui-mail sync" in said[0]
        assert len(said) == 1  # said once, not at every key
        assert app.is_running
        await pilot.press("question_mark")  # and it still answers keys
        await settle(pilot)
        assert "Keys" in screen_text(app) or "help" in screen_text(app).lower()
