"""The demo account says how to add a real one, whichever way it was reached: `--demo`, or bare
`tui-mail` with no config file and "Try the demo instead" on the setup screen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.support import app as support
from tests.support.pilot import settle
from tui_mail import cli
from tui_mail.ui.first_run import SetupFirstApp
from tui_mail.ui.keys import REGISTRY


@pytest.fixture
def notices(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, str]]:
    """(demo, notice) of each interface that would have run (no terminal is started)."""
    seen: list[tuple[bool, str]] = []

    def fake_run_app(config, store_path: Path, *, demo: bool = False, notice: str = "") -> int:
        seen.append((demo, notice))
        return 0

    def choose_demo(app: SetupFirstApp) -> None:
        app.wants_demo = True

    monkeypatch.setattr(SetupFirstApp, "run", choose_demo)
    monkeypatch.setattr("tui_mail.ui.app.run_app", fake_run_app)
    monkeypatch.setattr("tui_mail.demo.builder.ensure_demo_cache", lambda data_dir: data_dir / "d")
    return seen


def test_the_demo_flag_opens_the_demo_with_the_add_account_hint(notices):
    assert cli.main(["--demo"]) == 0
    assert notices == [(True, cli.DEMO_NOTICE)]


def test_the_demo_chosen_at_first_run_shows_the_hint_too(notices):
    assert cli.main([]) == 0  # no config file: setup, where the user picks the demo
    assert notices == [(True, cli.DEMO_NOTICE)]


def test_the_hint_names_the_real_ways_to_add_an_account():
    palette = {a.description for a in REGISTRY}
    assert "Add account" in palette  # the command palette entry the hint names
    assert "“Add account”" in cli.DEMO_NOTICE and "ctrl+p" in cli.DEMO_NOTICE
    assert "`tui-mail` without --demo" in cli.DEMO_NOTICE  # bare tui-mail opens the setup
    assert "tui-mail setup" not in cli.DEMO_NOTICE  # there is no such subcommand


async def test_the_demo_app_shows_the_hint_after_its_first_frame(demo_template, tmp_path):
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_template, path)
    app = support.make_app(path, demo=True, notice=cli.DEMO_NOTICE)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert str(app.screen.query_one("#welcome", Static).render()) == cli.DEMO_NOTICE
