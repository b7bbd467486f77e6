"""The composer's list of addresses to choose from: the cache's senders, vCard files and an
address book command (mutt's query protocol), merged, each address once."""

from __future__ import annotations

import stat
from pathlib import Path

from textual.widgets import Input

from tests.support.composer import composer, type_into
from tests.support.pilot import screen_text, settle
from tui_mail.ui.widgets.compose_fields import AddressChoices

VCARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Caroline Vcard\r\n"
         "EMAIL:caroline@cards.example\r\nEND:VCARD\r\n")


def query_script(tmp_path: Path, lines: str, *, status: int = 0) -> str:
    """An address book command printing `lines` (after mutt's status line) and its argv."""
    script = tmp_path / "query"
    script.write_text("#!/bin/sh\n"
                      f'printf "%s\\n" "$@" > {tmp_path / "asked"}\n'
                      "printf 'Searching...\\n'\n"
                      f"printf '{lines}'\n"
                      f"exit {status}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def choices(app) -> list[str]:
    widget = app.screen.query_one(AddressChoices)
    return [str(a) for a in widget.addresses] if widget.display else []


async def open_composer(pilot) -> None:
    await settle(pilot)
    await pilot.app.run_action("compose")
    await settle(pilot)


async def test_typing_lists_the_address_books_and_the_cache_and_enter_takes_the_chosen_one(
        make_app, tmp_path: Path) -> None:
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "caroline.vcf").write_text(VCARD)
    command = query_script(tmp_path, "carl@book.example\\tCarl Book\\tfriends\\n"
                                     "carol@example.net\\tCarol from the book\\n")
    app = make_app(address_book_command=f"{command} --mutt %s",
                   address_book_vcards=(tmp_path / "cards",))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_composer(pilot)
        await type_into(pilot, "to", "dan@example.com, car")
        await settle(pilot)
        # vCards first, then the command's (the status line dropped), then the cache's
        # senders; Carol once, as the address book names her.
        assert choices(app) == ["Caroline Vcard <caroline@cards.example>",
                                "Carl Book <carl@book.example>",
                                "Carol from the book <carol@example.net>"]
        assert (tmp_path / "asked").read_text() == "--mutt\ncar\n"  # one argument, no shell
        await pilot.press("down", "down", "up", "down", "enter")
        await settle(pilot)
        field = composer(app).query_one("#to", Input)
        assert field.value == "dan@example.com, Carol from the book <carol@example.net>, "
        assert field.has_focus and choices(app) == []


async def test_escape_closes_the_list_first_and_the_composer_only_then(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_composer(pilot)
        await type_into(pilot, "to", "car")
        await settle(pilot)
        assert choices(app) == ["Carol Chen <carol@example.net>"]  # the cache alone
        await pilot.press("escape")
        await settle(pilot)
        assert choices(app) == []
        composer(app)
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDiscard"  # "car" would be lost


async def test_a_failing_address_book_command_is_said_once_and_the_cache_still_completes(
        make_app, tmp_path: Path) -> None:
    command = query_script(tmp_path, "", status=3)
    app = make_app(address_book_command=command)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await open_composer(pilot)
        await type_into(pilot, "to", "car")
        await settle(pilot)
        await type_into(pilot, "cc", "dan")
        await settle(pilot)
        said = [n.message for n in app.notified if "address_book_command" in n.message]
        assert said == [f"address_book_command {command!r} failed (exit status 3)"]
        assert choices(app) == ["Dan Diaz <dan@example.com>"]


async def test_names_from_an_address_book_are_shown_as_text(make_app, tmp_path: Path) -> None:
    command = query_script(tmp_path, "mal@evil.example\\t[bold]Mal[/bold] \\033[31mRed\\n")
    app = make_app(address_book_command=command)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_composer(pilot)
        await type_into(pilot, "to", "mal")
        await settle(pilot)
        assert "[bold]Mal[/bold]" in screen_text(app)
        assert "\x1b" not in "".join(choices(app))
