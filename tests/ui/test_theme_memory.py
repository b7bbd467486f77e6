"""A theme picked in the app is remembered for the next start, until the config changes it."""

from __future__ import annotations

from pathlib import Path

from rich.color import Color as RichColor

from tests.support import app as support
from tui_mail.demo.builder import build_demo_cache


def hex_of(color: RichColor) -> str:
    """A colour given as RGB (the themes' colours are), as "#rrggbb"."""
    assert color.triplet is not None, f"{color} is not an RGB colour"
    return color.triplet.hex


async def test_theme_switch_is_remembered_until_the_config_names_another(tmp_path: Path) -> None:
    cache = build_demo_cache(tmp_path / "demo.sqlite3")
    state = tmp_path / "state"
    app = support.make_app(cache, demo=True, state_dir=state)
    async with app.run_test(size=(100, 30)):
        assert app.theme == "tui-mail-dark"
        app.theme = "tui-mail-nord"
    again = support.make_app(cache, demo=True, state_dir=state)
    async with again.run_test(size=(100, 30)):
        assert again.theme == "tui-mail-nord"
    (state / "ui-state.json").write_text('{"theme": "tui-mail-nord", "config_theme": "other"}')
    third = support.make_app(cache, demo=True, state_dir=state)
    async with third.run_test(size=(100, 30)):
        assert third.theme == "tui-mail-dark"


async def test_a_theme_switch_recolours_the_unread_counts_at_once(tmp_path: Path) -> None:
    from textual.color import Color

    from tui_mail.ui.widgets.folder_tree import FolderTree

    cache = build_demo_cache(tmp_path / "demo.sqlite3")
    app = support.make_app(cache, demo=True, state_dir=tmp_path / "state")
    async with app.run_test(size=(160, 30)) as pilot:  # the folder pane beside list and preview
        tree = app.screen.query_one(FolderTree)

        def count_colours() -> set[str]:
            return {hex_of(segment.style.color) for y in range(8) if y != tree.cursor_line
                    for segment in tree.render_line(y)
                    if segment.text.strip().isdigit() and segment.style and segment.style.color}

        for name in ("tui-mail-light", "tui-mail-high-contrast", "tui-mail-dark"):
            app.theme = name
            await pilot.pause(0.3)
            wanted = Color.parse(app.theme_variables["folder-count-foreground"]).rich_color
            assert count_colours() == {hex_of(wanted)}, name
