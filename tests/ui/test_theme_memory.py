"""A theme picked in the app is remembered for the next start, until the config changes it."""

from __future__ import annotations

from pathlib import Path

from tui_mail.demo.builder import build_demo_cache
from tui_mail.ui.app import TuiMailApp


async def test_theme_switch_is_remembered_until_the_config_names_another(tmp_path: Path) -> None:
    cache = build_demo_cache(tmp_path / "demo.sqlite3")
    state = tmp_path / "state"
    app = TuiMailApp(None, cache, demo=True, state_dir=state)
    async with app.run_test(size=(100, 30)):
        assert app.theme == "tui-mail-dark"
        app.theme = "tui-mail-nord"
    again = TuiMailApp(None, cache, demo=True, state_dir=state)
    async with again.run_test(size=(100, 30)):
        assert again.theme == "tui-mail-nord"
    (state / "ui-state.json").write_text('{"theme": "tui-mail-nord", "config_theme": "other"}')
    third = TuiMailApp(None, cache, demo=True, state_dir=state)
    async with third.run_test(size=(100, 30)):
        assert third.theme == "tui-mail-dark"
