"""Snapshots of the first-run setup screen at 80x24 and 160x48 (dark theme).

Regenerate after a deliberate visual change with `pytest tests/setup --snapshot-update` and
review the SVG diff.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Input

from tui_mail.setup.save import KeyringCheck
from tui_mail.ui.first_run import SetupFirstApp

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
SIZES = [(80, 24), (160, 48)]


@pytest.fixture(autouse=True)
def no_keyring_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the form says without a keyring, the same on every machine (the backends keyring
    tries depend on what is installed, and on the test backends a run has imported)."""
    import tui_mail.setup.save as save

    monkeypatch.setattr(save, "check_keyring",
                        lambda: KeyringCheck(False, "tried: SecretService Keyring"))


async def _typed(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()  # the keyring check
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.press(*"work", "tab", *"zoe@example.com", "tab", "tab", *"secret")
    await pilot.pause()


async def _advanced(pilot) -> None:
    await _typed(pilot)
    pilot.app.screen.query_one("#advanced").collapsed = False
    await pilot.pause()


async def _google(pilot) -> None:
    """A Gmail address: the form offers "Sign in with Google" (from the domain, no DNS)."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()  # the keyring check
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.press(*"work", "tab", *"zoe@gmail.com")
    await pilot.pause()


def make_app(tmp_path: Path) -> SetupFirstApp:
    # A fixed config path: the screen shows it, and snapshots must not depend on tmp_path.
    return SetupFirstApp(Path("/nonexistent/tui-mail/config.toml"), tmp_path / "cache.sqlite3",
                         sync_after_setup=False, clock=lambda: NOW, state_dir=tmp_path / "state",
                         themes_dir=tmp_path / "themes")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_setup_screen_snapshot(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=_typed)


def test_setup_screen_with_advanced_open_snapshot(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=(160, 48), run_before=_advanced)


def test_setup_screen_offering_google_snapshot(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=(100, 48), run_before=_google)
