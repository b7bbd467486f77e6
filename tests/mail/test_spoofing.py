"""Issue 17, spoofing: invisible characters in names, misleading attachment names, text hidden
by CSS, display names holding another address, links whose text shows another host."""

from __future__ import annotations

import pytest

from tui_mail.mail.html import html_to_text
from tui_mail.mail.html_hidden import strip_hidden
from tui_mail.mail.links import deceptive_links, shown_elsewhere
from tui_mail.mail.parse import parse_message
from tui_mail.mail.render import render_headers
from tui_mail.mail.sanitize import sanitize_filename, sanitize_line, sanitize_text
from tui_mail.mail.trust import attachment_warning, display_name_warning
from tui_mail.model import Address

# Unicode's Default_Ignorable_Code_Point, one or two of each range (DerivedCoreProperties.txt).
IGNORABLE = [
    "\u00ad", "\u034f", "\u061c", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180b", "\u180e",
    "\u180f", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2060",
    "\u2064", "\u2066", "\u2069", "\u206f", "\u3164", "\ufe00", "\ufe0f", "\ufeff", "\uffa0",
    "\ufff0", "\ufff8", "\U0001bca0", "\U0001bca3", "\U0001d173", "\U0001d17a", "\U000e0001",
    "\U000e0020", "\U000e007f", "\U000e0100", "\U000e0fff",
]


def _raw(*headers: str, body: str = "hi\n") -> bytes:
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("utf-8")


@pytest.mark.parametrize("ch", IGNORABLE, ids=[f"U+{ord(c):04X}" for c in IGNORABLE])
def test_an_invisible_character_is_removed_from_file_names_sender_names_and_subjects(
        ch: str) -> None:
    assert sanitize_filename(f"safe.txt{ch * 3}.exe") == "safe.txt.exe"
    msg = parse_message(_raw(
        f"From: =?utf-8?b?{_b64(f'Pay{ch}Pal')}?= <a@example.com>",
        f"Subject: =?utf-8?b?{_b64(f'Your{ch}account')}?=",
        "Content-Type: multipart/mixed; boundary=b",
        body=("--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
              "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
              f"filename*=utf-8''{_pct(f'safe.txt{ch * 4}.exe')}\r\n\r\nMZ\r\n--b--\r\n")))
    assert msg.from_[0].name == "PayPal"
    assert msg.subject == "Youraccount"
    assert msg.attachments[0].filename == "safe.txt.exe"
    assert sanitize_text(f"a{ch}b") == "ab"


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def _pct(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


@pytest.mark.parametrize("emoji", ["❤️", "👩\u200d💻", "🏳️\u200d🌈", "1️⃣", "👍🏽"])
def test_emoji_keep_their_joiners_in_subjects_but_not_in_file_names(emoji: str) -> None:
    assert sanitize_line(f"Hi {emoji} there") == f"Hi {emoji} there"
    assert "\u200d" not in sanitize_filename(f"{emoji}.txt")
    assert "\ufe0f" not in sanitize_filename(f"{emoji}.txt")


def test_joiners_outside_an_emoji_are_removed() -> None:
    assert sanitize_line("Pay\u200dPal\ufe0f") == "PayPal"
    assert sanitize_line("❤\u200dx") == "❤x"


def test_braille_blank_padding_shrinks_like_spaces() -> None:
    assert sanitize_line("invoice.pdf\u2800\u2800\u2800\u2800.exe") == "invoice.pdf .exe"


# ---- attachments whose shown name hides the real extension ----------------------------------

@pytest.mark.parametrize("name,ctype,warning", [
    ("report.pdf.exe", "application/octet-stream", "real type: .exe"),
    ("invoice.pdf      .exe", "application/pdf", "real type: .exe"),
    ("safe.txt\u3164\u3164\u3164\u3164.exe", "text/plain", "real type: .exe"),
    ("safe.txt\u2800\u2800\u2800.scr", "text/plain", "real type: .scr"),
    ("Invoice.PDF.js", "application/octet-stream", "real type: .js"),
    ("photo.jpg.html", "text/html", "real type: .html"),
    ("invoice.pdf.zip", "application/zip", "real type: .zip"),  # an archive passed as a PDF
    ("invoice\u202egpj.exe", "image/jpeg", "real type: .exe, sent as image/jpeg"),
    ("setup.exe", "application/pdf", "real type: .exe, sent as application/pdf"),
    ("statement.pdf", "application/x-msdownload",
     "sent as a program (application/x-msdownload), named .pdf"),
])
def test_an_attachment_name_that_hides_its_real_type_is_flagged(
        name: str, ctype: str, warning: str) -> None:
    assert attachment_warning(sanitize_filename(name), ctype) == warning


@pytest.mark.parametrize("name,ctype", [
    ("report.pdf", "application/pdf"), ("archive.tar.gz", "application/gzip"),
    ("notes.v2.txt", "text/plain"), ("setup.exe", "application/x-msdownload"),
    ("setup.exe", "application/octet-stream"),
    ("page.html", "text/html"), ("Makefile", "text/plain"), ("data.csv.gz", "application/gzip"),
])
def test_an_honest_attachment_name_is_not_flagged(name: str, ctype: str) -> None:
    assert attachment_warning(name, ctype) == ""


# ---- display names holding another address ------------------------------------------------

def test_a_display_name_holding_another_address_is_warned_of() -> None:
    sender = Address("paypal@paypal.com", "evil@x.ru")
    assert display_name_warning(sender) == "name shows paypal@paypal.com, sent from evil@x.ru"
    assert display_name_warning(Address("Service (service@paypal.com)", "a@b.ru")) == \
        "name shows service@paypal.com, sent from a@b.ru"


@pytest.mark.parametrize("name", ["", "Alice", "alice@example.com", "ALICE@Example.com",
                                  "Alice via list"])
def test_an_honest_display_name_is_not_warned_of(name: str) -> None:
    assert display_name_warning(Address(name, "alice@example.com")) == ""


def test_the_header_block_warns_of_a_spoofed_display_name_after_from() -> None:
    msg = parse_message(_raw('From: "paypal@paypal.com" <evil@x.ru>', "Subject: hi"))
    rows = render_headers(msg)
    assert rows[0] == ("From", "paypal@paypal.com <evil@x.ru>")
    assert rows[1] == ("⚠ Warning", "name shows paypal@paypal.com, sent from evil@x.ru")


# ---- links whose text shows another host ----------------------------------------------------

PHISH = """<p>Log in: <a href="https://evil.example/x?a=1&amp;b=2">https://paypal.com/login</a>,
<a href="https://www.paypal.com/help">paypal.com</a>, <a href="https://paypal.com.evil.ru/">
www.paypal.com</a>, <a href="https://paypal.com@evil.ru/">https://paypal.com</a>,
<a href="mailto:bad@evil.ru">help@paypal.com</a>, <a href="https://example.org/">Click here</a>,
<a href="https://xn--pypal-4ve.com/">https://p\u0430ypal.com</a>,
<a href="https://evil.example/2">pay<span style="font-size:0">evil</span>pal.com</a></p>"""


def test_links_whose_text_shows_another_host_are_found_by_the_url_listed() -> None:
    _text, links = html_to_text(PHISH)
    notes = deceptive_links(PHISH)
    assert notes == {
        "https://evil.example/x?a=1&b=2": "text shows paypal.com",
        "https://paypal.com.evil.ru/": "text shows www.paypal.com",
        "https://paypal.com@evil.ru/": "text shows paypal.com",
        "mailto:bad@evil.ru": "text shows help@paypal.com",
        "https://evil.example/2": "text shows paypal.com",
    }
    assert set(notes) <= set(links)


@pytest.mark.parametrize("text,href", [
    ("paypal.com", "https://www.paypal.com/"), ("www.example.com", "https://example.com/a"),
    ("https://example.com", "https://mail.example.com/x"), ("Version 2.0", "https://x.org/"),
    ("Read more", "https://tracker.example/r?u=1"), ("bücher.de", "https://xn--bcher-kva.de/"),
    ("alice@example.com", "mailto:alice@example.com"), ("", "https://a.example/"),
])
def test_a_link_whose_text_shows_its_own_host_or_no_host_is_not_flagged(text: str,
                                                                      href: str) -> None:
    assert shown_elsewhere(text, href) == ""


def test_the_header_block_lists_the_misleading_links() -> None:
    msg = parse_message(_raw("From: a@example.com", "Content-Type: text/html", body=PHISH))
    rows = [r for r in render_headers(msg) if r[0] == "⚠ Link"]
    assert rows[0] == ("⚠ Link", "text shows paypal.com, goes to evil.example")
    assert rows[-1] == ("⚠ Link", "2 more like these")


def test_malformed_html_links_do_not_break_the_check() -> None:
    assert deceptive_links('<a href="https://evil.example/">https://paypal.com') == {
        "https://evil.example/": "text shows paypal.com"}
    assert deceptive_links("<a href=>x</a><a>paypal.com</a><a href='javascript:x'>a.com</a>") \
        == {}
    assert strip_hidden("<a href") is not None
