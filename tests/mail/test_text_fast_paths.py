"""Quick answers for plain text give what the regexes give (sanitize_text, number_links)."""

from __future__ import annotations

import random

from tui_mail.mail import sanitize
from tui_mail.mail.links import find_links, number_links
from tui_mail.mail.sanitize import sanitize_text


def _regex_sanitize(s: str, tab_width: int = 8) -> str:
    text = sanitize._LINE_SEPARATORS.sub("\n", s)
    text = sanitize._ESCAPES.sub("", text)
    text = sanitize._FORBIDDEN.sub("", text)
    if "\u200d" in text or "\ufe0f" in text:
        text = sanitize._STRAY_ZWJ.sub("", sanitize._STRAY_VS16.sub("", text))
    return text.expandtabs(tab_width) if "\t" in text else text


def _random_texts(seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces = ["word ", "\n", "\t", "\r\n", "\r", "\x1b[31m", "\x1b]52;c;x\x07", "\x00", "\x7f",
              "\x0b", "\x0c", "\x1c", "é", "\u200b", "\u202e", "\x85", "\u2028", "http://x.org/a",
              "mailto:a@b", "MAILTO:a@b", "ftp://h", "to:", "Go: ", "https://", "://", "o:"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(5000)]


def test_sanitize_text_of_any_text_is_what_the_regexes_give() -> None:
    for text in _random_texts(1):
        assert sanitize_text(text) == (_regex_sanitize(text) if text else ""), repr(text)


def test_sanitize_text_of_any_unicode_text_is_what_the_regexes_give() -> None:
    """Text beyond ASCII with nothing to remove skips the regexes: the same answer."""
    rng = random.Random(3)
    pieces = ["mot ", "é", "Müller", "日本語", "\u00a0", "\u00ad", "\u034f", "\u115f", "\u3164",
              "\u200b", "\u200d", "\ufe0f", "\ufe00", "❤", "👩", "1", "\u20e3", "\u2028", "\U000e0041",
              "\U000e0100", "\U0001bca0", "\ud800", "\x9b", "\x1b[1m", "\t", "\u0378", "\ue000"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        assert sanitize_text(text) == _regex_sanitize(text), repr(text)
    for code in [*range(0x80, 0x3000), *range(0xfe00, 0x10000), *range(0xe0000, 0xe1000)]:
        text = f"a{chr(code)}b"
        assert sanitize_text(text) == _regex_sanitize(text), hex(code)


def test_text_without_a_scheme_has_no_links_to_number() -> None:
    for text in _random_texts(2):
        found = find_links(text)
        if found:
            assert "://" in text or "o:" in text or "O:" in text, repr(text)
        assert number_links(text, ("k",), mark=False) == (text, ("k", *found)), repr(text)
