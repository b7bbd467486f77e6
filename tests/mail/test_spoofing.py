"""Issue 17, spoofing: invisible characters in names, misleading attachment names, text hidden
by CSS, display names holding another address, links whose text shows another host."""

from __future__ import annotations

import pytest

from tui_mail.mail.parse import parse_message
from tui_mail.mail.sanitize import sanitize_filename, sanitize_line, sanitize_text

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
