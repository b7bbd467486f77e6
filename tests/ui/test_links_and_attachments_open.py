"""Links in plain-text mail, the link picker's keys, opening attachments through mailcap, and
paging the message with space, driven through the real app over the test cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cache import add_message
from tests.support.pilot import Toasts, open_first, screen_text, settle
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.screens.picker import AttachmentPicker, LinkPicker
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.message_view import MessageView

LINKS_BODY = (
    "Hi,\n"
    "the agenda is at https://example.org/agenda. Slides (https://example.org/slides) too,\n"
    "and the wiki <https://wiki.example.org/Page_(draft)>, or write to mailto:sam@example.com,\n"
    "again: https://example.org/agenda!\n"
    "> quoted: http://old.example.net/x?a=1&b=2,\n"
    "[bold]not a link[/bold] https://evil.example/[@click=app.quit]q[/] end\n"
)
LINKS = ("https://example.org/agenda", "https://example.org/slides",
         "https://wiki.example.org/Page_(draft)", "mailto:sam@example.com",
         "http://old.example.net/x?a=1&b=2", "https://evil.example/")
HOSTILE_NAME = "$(touch PWNED); rm -rf x' `id`.pdf"
PDF = b"%PDF-1.4 the attachment"


# ---- links in plain text --------------------------------------------------------------------

async def test_urls_in_a_plain_text_body_are_numbered_in_order_once_each(make_app, cache_path):
    add_message(cache_path, "Plain links", LINKS_BODY)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first(pilot)
        view = app.screen.query_one(MessageView)
        assert view.shown is not None and view.shown.links == LINKS
        text = screen_text(app)
        assert "the agenda is at https://example.org/agenda. [1] Slides" in text
        assert "(https://example.org/slides) [2] too," in text
        assert "again: https://example.org/agenda! [1]" in text
        assert "> quoted: http://old.example.net/x?a=1&b=2, [5]" in text
        assert "[6] https://evil.example/" in text  # the list under the body
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, LinkPicker)
        picker_text = screen_text(app)
        for number, url in enumerate(LINKS, 1):
            assert f"[{number}] {url}" in picker_text


async def test_markup_around_a_url_stays_literal_text(make_app, cache_path):
    add_message(cache_path, "Plain links", LINKS_BODY)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first(pilot)
        text = screen_text(app)
        assert "[bold]not a link[/bold] https://evil.example/[@click=app.quit]q[/] [6] end" in text
        await pilot.press("o")
        await settle(pilot)
        for x in range(0, 120, 4):  # a [@click] interpreted as markup would quit on a click
            await pilot.click(offset=(x, 20))
        assert app.is_running


async def test_a_message_without_urls_still_says_it_has_no_links(make_app, cache_path):
    add_message(cache_path, "No links", "Just words, no web address here. http:// alone\n")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert any("no links" in n.message for n in app.notified)


# ---- the link picker ------------------------------------------------------------------------

async def test_a_number_key_in_the_link_picker_opens_that_link(make_app, cache_path, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    add_message(cache_path, "Plain links", LINKS_BODY)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert opened == ["https://wiki.example.org/Page_(draft)"]
        assert isinstance(app.screen, MessageScreen)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("9")  # no link 9: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, LinkPicker) and opened == [LINKS[2]]


async def test_j_and_k_move_in_the_link_picker(make_app, cache_path, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    add_message(cache_path, "Plain links", LINKS_BODY)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first(pilot)
        await pilot.press("o")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, LinkPicker)
        await pilot.press("j", "j", "j", "k")
        assert picker.highlighted == 2
        await pilot.press("enter")
        await settle(pilot)
        assert opened == [LINKS[2]]


@pytest.mark.parametrize("failure", ["returns False", "raises"])
async def test_without_a_browser_the_link_is_shown_in_a_notification(
        make_app, cache_path, monkeypatch, failure):
    def no_browser(url: str) -> bool:
        if failure == "raises":
            import webbrowser
            raise webbrowser.Error("could not locate runnable browser")
        return False

    monkeypatch.setattr("webbrowser.open", no_browser)
    add_message(cache_path, "Plain links", LINKS_BODY)
    app = make_app()
    toasts = Toasts()
    async with app.run_test(size=(120, 40), message_hook=toasts) as pilot:
        await open_first(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        notes = [n for n in toasts.shown if "https://evil.example/" in n.message]
        assert notes and "No web browser" in notes[-1].message
        assert notes[-1].markup is False
        assert app.is_running


# ---- space pages the message ----------------------------------------------------------------

async def test_space_pages_down_the_message_and_b_pages_back(make_app, cache_path):
    body = "\n".join(f"line {i}" for i in range(300)) + "\n"
    add_message(cache_path, "A long one", body)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first(pilot)
        view = app.screen.query_one(MessageView)
        assert view.scroll_y == 0
        await pilot.press("space")
        await settle(pilot)
        first_page = view.scroll_y
        assert first_page >= view.scrollable_content_region.height - 2
        await pilot.press("space")
        await settle(pilot)
        assert view.scroll_y > first_page
        await pilot.press("b")
        await settle(pilot)
        assert view.scroll_y == first_page
        await pilot.press("b", "b")
        await settle(pilot)
        assert view.scroll_y == 0


async def test_space_pages_the_focused_preview_and_tags_in_the_list(make_app, cache_path):
    body = "\n".join(f"line {i}" for i in range(300)) + "\n"
    add_message(cache_path, "A long one", body)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        preview = app.screen.query_one("#preview", MessageView)
        preview.focus()
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        assert preview.scroll_y > 0
        assert message_list.tagged == []
        message_list.focus()
        await pilot.press("space")
        await settle(pilot)
        assert [m.subject for m in message_list.tagged] == ["A long one"]


# ---- opening attachments: mailcap, then the desktop opener, then say where it is --------------

def write_mailcap(tmp_path: Path, monkeypatch, text: str) -> None:
    path = tmp_path / "test.mailcap"
    path.write_text(text)
    monkeypatch.setenv("MAILCAPS", f"{tmp_path / 'missing.mailcap'}:{path}")


async def wait_for(pilot, path: Path) -> None:
    for _ in range(50):
        if path.exists() and path.stat().st_size:
            return
        await pilot.pause(0.1)


async def open_attachment(pilot) -> None:
    await open_first(pilot)
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, AttachmentPicker)
    await pilot.press("o")
    await settle(pilot)


async def test_open_uses_the_mailcap_entry_for_the_type_with_the_file_name_quoted(
        make_app, cache_path, tmp_path, monkeypatch):
    out = tmp_path / "viewer-saw"
    monkeypatch.chdir(tmp_path)
    write_mailcap(tmp_path, monkeypatch, (
        "# a comment, then entries the opener must pass over\n"
        f"application/pdf; touch {tmp_path}/copious; copiousoutput\n"
        f"application/pdf; touch {tmp_path}/failed-test; test=false\n"
        f"application/pdf; touch {tmp_path}/needs-t %t\n"
        f"application/pdf; cp '%s' {out} && \\\n"
        f"  echo %s > {out}.name; test=true\n"
        f"application/*; touch {tmp_path}/wildcard\n"))
    monkeypatch.setattr("tui_mail.ui.screens.picker.open_with_system",
                        lambda path: pytest.fail("the mailcap entry comes first"))
    add_message(cache_path, "With a PDF", "See attached.\n", attachment=(HOSTILE_NAME, PDF))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_attachment(pilot)
        await wait_for(pilot, Path(f"{out}.name"))
        assert out.read_bytes() == PDF
        name = Path(Path(f"{out}.name").read_text().strip())
        assert name.parent.name.startswith("tui-mail-")
        assert name.name.endswith(".pdf")
        assert set(name.name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789._-")
        for passed_over in ("copious", "failed-test", "needs-t", "wildcard", "PWNED"):
            assert not (tmp_path / passed_over).exists()
        assert isinstance(app.screen, MessageScreen)


async def test_the_copy_is_named_as_the_entry_s_name_template_asks(
        make_app, cache_path, tmp_path, monkeypatch):
    out = tmp_path / "named"
    write_mailcap(tmp_path, monkeypatch,
                  f"application/pdf; echo %s > {out}; nametemplate=%s.pdfdoc\n")
    add_message(cache_path, "With a PDF", "See attached.\n", attachment=("report.pdf", PDF))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_attachment(pilot)
        await wait_for(pilot, out)
        copy = Path(out.read_text().strip())
        assert copy.name == "report.pdfdoc"
        assert copy.read_bytes() == PDF


async def test_a_wildcard_mailcap_entry_serves_the_whole_type(
        make_app, cache_path, tmp_path, monkeypatch):
    out = tmp_path / "wild"
    write_mailcap(tmp_path, monkeypatch, f"application/*; cat > {out}\n")  # no %s: stdin
    add_message(cache_path, "With a PDF", "See attached.\n", attachment=("report.pdf", PDF))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_attachment(pilot)
        await wait_for(pilot, out)
        assert out.read_bytes() == PDF


async def test_a_needsterminal_entry_is_passed_over_when_the_app_cannot_suspend(
        make_app, cache_path, tmp_path, monkeypatch):
    out = tmp_path / "gui"
    write_mailcap(tmp_path, monkeypatch, (
        f"application/pdf; touch {tmp_path}/terminal; needsterminal\n"
        f"application/pdf; cp %s {out}\n"))
    add_message(cache_path, "With a PDF", "See attached.\n", attachment=("report.pdf", PDF))
    app = make_app()  # the test driver cannot hand the terminal over
    async with app.run_test(size=(120, 40)) as pilot:
        await open_attachment(pilot)
        await wait_for(pilot, out)
        assert out.read_bytes() == PDF
        assert not (tmp_path / "terminal").exists()


async def test_a_viewer_that_fails_at_once_is_reported(
        make_app, cache_path, tmp_path, monkeypatch):
    write_mailcap(tmp_path, monkeypatch, "application/pdf; exit 3\n")
    add_message(cache_path, "With a PDF", "See attached.\n", attachment=("report.pdf", PDF))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_attachment(pilot)
        await pilot.pause(0.5)
        await settle(pilot)
        assert any("exited with status 3" in n.message for n in app.notified)


async def test_without_a_mailcap_entry_the_desktop_opener_gets_the_file(
        make_app, cache_path, tmp_path, monkeypatch):
    write_mailcap(tmp_path, monkeypatch, "image/*; false\n")
    opened: list[str] = []
    monkeypatch.setattr("tui_mail.ui.screens.picker.open_with_system",
                        lambda path: opened.append(path) or True)
    add_message(cache_path, "With a PDF", "See attached.\n", attachment=("report.pdf", PDF))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_attachment(pilot)
        assert len(opened) == 1 and Path(opened[0]).read_bytes() == PDF
        assert isinstance(app.screen, MessageScreen)


async def test_with_no_viewer_at_all_the_user_is_told_where_the_file_was_saved(
        make_app, cache_path, tmp_path, monkeypatch):
    write_mailcap(tmp_path, monkeypatch, "")
    monkeypatch.setattr("tui_mail.ui.screens.picker.open_with_system", lambda path: False)
    add_message(cache_path, "With a PDF", "See attached.\n", attachment=(HOSTILE_NAME, PDF))
    app = make_app()
    toasts = Toasts()
    async with app.run_test(size=(120, 40), message_hook=toasts) as pilot:
        await open_attachment(pilot)
        note = next(n for n in toasts.shown if "Saved as" in n.message)
        assert note.markup is False
        saved = Path(str(note.message).split("Saved as ", 1)[1])
        assert saved.read_bytes() == PDF
        assert os.sep not in saved.name and "$" not in saved.name
        assert isinstance(app.screen, AttachmentPicker)  # still there: save it elsewhere
