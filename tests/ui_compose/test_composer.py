"""The composer without a server: fields, completion, signature, attachments, discard."""

from __future__ import annotations

from textual.widgets import Input, Select

from tests.support.accounts import work_account
from tests.support.composer import composer, type_into
from tests.support.pilot import screen_text, settle
from tui_mail.mail.draftfile import draft_from_bytes
from tui_mail.store.db import Store
from tui_mail.ui.screens.composer import AttachmentList
from tui_mail.ui.screens.mailbox import MailboxScreen


async def test_new_message_has_the_signature_and_the_main_identity(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        screen = composer(app)
        assert screen.body.text == "-- \nSam\nExample Corp\n"
        assert screen.fields().sender == "Sam <sam@example.com>"
        assert screen.focused is screen.query_one("#to", Input)


async def test_choosing_another_identity_swaps_the_signature(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        screen = composer(app)
        await type_into(pilot, "body", "Hello\n-- \nSam\nExample Corp\n")
        screen.query_one("#from", Select).value = 1
        await settle(pilot)
        assert screen.body.text == "Hello\n-- \nS.\n"
        assert screen.fields().sender == "Sam at home <sam@home.example>"


async def test_to_completes_from_the_addresses_in_the_cache(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "to", "dan@example.com, car")
        await settle(pilot)
        await pilot.press("right")
        await settle(pilot)
        assert app.screen.query_one("#to", Input).value == (
            "dan@example.com, Carol Chen <carol@example.net>")


async def test_an_attachment_is_listed_with_its_size_and_can_be_removed(make_app, tmp_path) -> None:
    (tmp_path / "report-2024.pdf").write_bytes(b"%PDF" + b"x" * 2044)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await type_into(pilot, "attach", str(tmp_path / "report-2"))
        await settle(pilot)
        await pilot.press("right", "enter")
        await settle(pilot)
        screen = composer(app)
        [carried] = screen.fields().attached_files
        assert (carried.filename, carried.content_type) == ("report-2024.pdf", "application/pdf")
        assert carried.data == b"%PDF" + b"x" * 2044
        listing = screen.query_one("#attachments", AttachmentList)
        assert "report-2024.pdf" in str(listing.get_option_at_index(0).prompt)
        assert "(2.0 KB)" in str(listing.get_option_at_index(0).prompt)
        listing.focus()
        await pilot.press("delete")
        await settle(pilot)
        assert screen.fields().attached_files == () and screen.fields().attachments == ()


async def test_an_attached_file_stays_in_the_draft_when_the_file_is_deleted(make_app,
                                                                            tmp_path) -> None:
    """The file is read when it is attached, so the draft has it, not a path to it."""
    from tui_mail.mail.draftfile import draft_from_bytes

    attached = tmp_path / "notes.txt"
    attached.write_bytes(b"meeting notes\n")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await type_into(pilot, "attach", str(attached))
        await pilot.press("enter")
        await settle(pilot)
        attached.unlink()
        await pilot.press("ctrl+s")
        await settle(pilot)
        [draft] = app.store.queues.drafts()
        [carried] = draft_from_bytes(draft.raw)[0].attached_files
        assert (carried.filename, carried.data) == ("notes.txt", b"meeting notes\n")


async def test_attaching_something_that_is_not_a_file_says_so_and_attaches_nothing(
        make_app, tmp_path) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await type_into(pilot, "attach", str(tmp_path))
        await pilot.press("enter")
        await settle(pilot)
        assert any("is not a file" in n.message for n in app.notified)
        assert composer(app).fields().attached_files == ()


async def test_closing_an_untouched_message_asks_nothing(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "MailboxScreen"


async def test_closing_with_typed_text_asks_and_discarding_drops_the_draft(make_app) -> None:
    app = make_app(autosave=0.05)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "subject", "Plans")
        composer(app).autosave()  # or the timer's save is already on its way: wait for either
        for _ in range(100):
            if app.store.queues.drafts():
                break
            await settle(pilot)
        assert app.store.queues.drafts()
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDiscard"
        await pilot.press("n")
        await settle(pilot)
        composer(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert type(app.screen).__name__ == "MailboxScreen"
        assert app.store.queues.drafts() == []


async def test_the_demo_cannot_send_and_keeps_the_draft(make_app, tmp_path) -> None:
    app = make_app(demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "to", "alice@example.com")
        await type_into(pilot, "subject", "From the demo")
        await pilot.press("ctrl+t")
        await settle(pilot)
        composer(app)  # still open
        assert any("no mail server" in n.message for n in app.notified)
        [saved] = app.store.queues.drafts()
        fields, _ = draft_from_bytes(saved.raw)
        assert fields.subject == "From the demo" and fields.to == "alice@example.com"
        await pilot.press("escape")  # the notice said "kept": closing asks nothing, keeps it
        await settle(pilot)
        assert isinstance(app.screen, MailboxScreen)
        assert len(app.store.queues.drafts()) == 1


async def test_a_bad_address_is_named_and_nothing_is_sent(make_app) -> None:
    app = make_app(accounts=(work_account(),))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "to", "not an address")
        await pilot.press("ctrl+t")
        await settle(pilot)
        composer(app)
        assert any("not an address" in n.message for n in app.notified)
        assert list(app.store.queues.outbox_list()) == []


async def test_a_reply_to_a_hostile_message_shows_its_text_literally_without_escapes(
        make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("reply")  # the newest message, at the cursor, is the hostile one
        await settle(pilot)
        fields = composer(app).fields()
        assert fields.to.startswith("[@click=app.quit]Mallory[/]")
        assert fields.subject.startswith("Re: [@click=app.quit]x[/]")
        assert "[bold]not bold[/bold]" in fields.body
        assert not any(c in fields.body + fields.subject for c in "\x1b\x07\u202e\u200b")
        shown = screen_text(app)
        assert "[@click=app.quit]Mallory[/]" in shown and "\x1b" not in shown
        await pilot.press("ctrl+s")  # nothing of it runs as an action: the app is still here
        await settle(pilot)
        composer(app)


async def test_the_mutt_keys_open_the_composer_from_the_list_and_the_viewer(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("j")  # a harmless message, from Alice
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert composer(app).fields().to == "Alice Archer <alice@example.com>"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")  # the viewer
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert composer(app).fields().subject.startswith("Fwd: Message number 00")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert composer(app).fields().to == ""


async def test_a_failure_while_building_the_message_is_reported_and_the_composer_still_closes(
        make_app, monkeypatch) -> None:
    from tui_mail.ui.screens import composer as composer_module

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(composer_module, "compose", broken)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "to", "bob@example.org")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert any("Could not build the message: boom" in str(n.message)
                   for n in app.notified)
        composer(app)  # still open, with what was typed
        assert composer(app).fields().to == "bob@example.org"
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDiscard"


async def test_quitting_with_ctrl_q_keeps_what_was_just_typed_as_a_draft(make_app) -> None:
    app = make_app(autosave=600.0)  # no autosave would run before the quit
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "subject", "Typed just now")
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running
    with Store.open(app.store_path) as store:
        [saved] = store.queues.drafts()
    fields, _ = draft_from_bytes(saved.raw)
    assert fields.subject == "Typed just now"


async def test_forward_as_attachment_with_e_lists_the_message_and_removing_it_drops_it(
        make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("E")  # a plain key: alt+f never arrives through some terminals
        await settle(pilot)
        screen = composer(app)
        [forwarded] = screen.fields().attached_messages
        assert b"mallory@example.com" in forwarded  # the newest message: the hostile one
        # Its subject names it, as text: the markup in it shown, not acted on.
        assert "📎 message: [@click=app.quit]x[/] Re: [/] oops [bold]B[/bold]" in screen_text(app)
        screen.query_one("#attachments").focus()
        await pilot.press("delete")
        await settle(pilot)
        assert screen.fields().attached_messages == ()
        assert "📎" not in screen_text(app)


async def test_text_typed_at_once_after_r_goes_to_the_reply_not_to_the_list(make_app) -> None:
    """"rHi d..." in one burst: the reply is built off the interface, and meanwhile the keys
    were the list's (its `d` deleted the message). They wait for the composer now."""
    from tests.support.setup_form import send_burst

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rows = app.screen.query_one("MessageList").row_count
        send_burst(app, "rHi dear")
        await settle(pilot)
        screen = composer(app)
        assert screen.body.text.startswith("Hi dear")
        assert [type(s).__name__ for s in app.screen_stack] == ["MailboxScreen", "ComposerScreen"]
        await pilot.press("ctrl+o")  # postpone: back to the list
        await settle(pilot)
        assert app.screen.query_one("MessageList").row_count == rows  # nothing deleted


async def test_escape_while_the_reply_is_being_read_gives_it_up(make_app) -> None:
    from tests.support.setup_form import send_burst

    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        send_burst(app, ["r", "escape", "d"])
        await settle(pilot)
        assert type(app.screen).__name__ == "MailboxScreen"
        assert any("Not answered" in n.message for n in app.notified)


async def test_text_typed_at_once_after_m_goes_to_the_composer(make_app) -> None:
    from tests.support.setup_form import send_burst

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rows = app.screen.query_one("MessageList").row_count
        send_burst(app, "mdan@example.com")
        await settle(pilot)
        assert composer(app).query_one("#to", Input).value == "dan@example.com"
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.screen.query_one("MessageList").row_count == rows  # its d deleted nothing


async def test_a_reply_whose_message_cannot_be_read_gives_the_keys_back(make_app,
                                                                         monkeypatch) -> None:
    """Keys are kept for the composer while the message is read; when reading fails in a way
    nobody foresaw, they must not stay kept (every key but Escape would be swallowed)."""
    from concurrent.futures import Future

    from tests.support.setup_form import send_burst

    app = make_app()
    broken: Future[bytes] = Future()
    broken.set_exception(RuntimeError("disk on fire"))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        monkeypatch.setattr(app.service, "fetch_body", lambda summary, allow_large=False: broken)
        send_burst(app, "rx")
        await settle(pilot)
        assert any("Not answered: the message could not be read (RuntimeError: disk on fire)"
                   in n.message
                   for n in app.notified)
        await pilot.press("m")  # keys act again
        await settle(pilot)
        composer(app)
