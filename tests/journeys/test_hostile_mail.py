"""Journeys of hostile mail (issue 17), walked by hand in tmux first: a phishing message
and a message of more parts than are read, put in the user's INBOX on the suite's Dovecot,
opened in the installed `tui-mail` with the config the README describes.

What the user must see: who really sent it, that the server did not verify the sender, the
link whose text shows another host, the attachment whose name hides `.exe`, no text hidden by
CSS, nothing of the escape sequences in the subject; and for the huge message, the first
parts listed and a note that the rest are not shown.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from tests.e2e.tmux import TMUX
from tests.journeys.session import WIDE, StartApp
from tests.journeys.world import MailWorld, unique

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]


def phishing(subject: str) -> bytes:
    msg = EmailMessage()
    # As the server that delivered it wrote them: its verdict above its Received.
    msg["Authentication-Results"] = ("mx.example.test; dkim=none; spf=fail "
                                     "smtp.mailfrom=evil.example; dmarc=fail "
                                     "header.from=evil.example")
    msg["Received"] = ("from relay.evil.example (relay.evil.example [192.0.2.9]) by "
                       "mx.example.test (Postfix) with ESMTPS id 4XyZ; "
                       "Wed, 02 Dec 2026 08:00:00 +0000")
    msg["From"] = '"service@paypal.example" <security@evil.example>'
    msg["To"] = "me@example.test"
    msg["Subject"] = f"{subject} \x1b]0;owned\x07locked\u2067 now"
    msg["Date"] = "Wed, 02 Dec 2026 08:00:00 +0000"
    msg.set_content("Please log in to unlock your account.\n")
    msg.add_alternative(
        '<p>Dear customer,</p><p style="font-size:0">TINYSECRET</p>'
        '<p style="color:#fff;background-color:#fff">PALESECRET</p>'
        '<p>Please <a href="https://evil.example/login">https://www.paypal.example/login</a>'
        " to unlock.</p>", subtype="html")
    msg.add_attachment(b"MZ\x90\x00", maintype="application", subtype="pdf",
                       filename="invoice.pdf\u3164\u3164\u3164.exe")
    return msg.as_bytes()


def many_parts(subject: str, count: int) -> bytes:
    parts = "".join(f"--P\r\nContent-Type: application/octet-stream\r\nContent-Disposition: "
                    f'attachment; filename="part{i}.bin"\r\n\r\ndata {i}\r\n'
                    for i in range(count))
    return ("From: Mallory <mallory@example.net>\r\nTo: me@example.test\r\n"
            f"Subject: {subject}\r\nDate: Wed, 02 Dec 2026 08:30:00 +0000\r\n"
            'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="P"\r\n\r\n'
            "--P\r\nContent-Type: text/plain\r\n\r\nThe parts follow.\r\n"
            f"{parts}--P--\r\n").encode()


def test_a_phishing_message_shows_who_sent_it_and_what_its_links_and_attachment_hide(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config()
    subject = unique("Your account is")
    world.append(phishing(subject))
    app = start_app(width=WIDE, height=45)
    screen = app.open_newest(
        subject, "⚠ Warning: name shows service@paypal.example, sent from security@evil.example",
        "Not verified: evil.example (dmarc=fail", "invoice.pdf.exe", "⚠ real type: .exe",
        "⚠ Link: text shows www.paypal.example, goes to evil.example")
    assert f"Subject: {subject} locked now" in screen  # the escapes and the isolate: gone
    assert "owned" not in screen

    app.press("h")  # the HTML part: the text CSS hides stays hidden
    screen = app.wait_for("[html part]", "Dear customer,",
                          "https://evil.example/login  ⚠ text shows www.paypal.example")
    assert "TINYSECRET" not in screen and "PALESECRET" not in screen
    assert app.quit() == 0


def test_a_message_of_more_parts_than_are_read_lists_the_first_and_says_so(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config()
    subject = unique("Parts galore")
    world.append(many_parts(subject, 1_200))
    app = start_app(width=WIDE, height=45)
    app.open_newest(subject, "📎 998 attachments (a):", "1. part0.bin")
    app.press("G")
    app.wait_for("… and 898 more (a lists them all)", "The parts follow.",
                 "Notes on this message:",
                 "more than 1,000 MIME parts: the first 1,000 are read and listed, the rest are "
                 "not shown")
    app.press("a")  # the picker lists every part that was read
    app.press("End")
    app.wait_for("part997.bin")
    app.press("Escape")
    app.wait_for("Notes on this message:", absent=["Esc: close"])
    assert app.quit() == 0
