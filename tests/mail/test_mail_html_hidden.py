"""Hidden HTML (preheaders, tracking text) is left out of the text rendering, and malformed
HTML never costs visible text."""

from __future__ import annotations

from tui_mail.mail.html import html_to_text
from tui_mail.mail.html_hidden import strip_hidden

NEWSLETTER = """<html><head><title>Weekly</title><style>p { color: red }</style></head><body>
<div style="display:none;font-size:1px;max-height:0;overflow:hidden;mso-hide:all">
Your weekly teaser &amp; offers<div>nested filler</div></div>
<span style="visibility: hidden">&#8199;&#847;</span>
<p hidden>attribute-hidden</p>
<p>Hello &amp; <b>welcome</b> <a href="https://example.com/a">in</a></p>
<img src="https://t.example/pixel.gif" style="display:none" alt="tracker">
</body></html>"""


def test_a_newsletter_preheader_and_other_hidden_parts_are_not_shown() -> None:
    text, links = html_to_text(NEWSLETTER)
    assert text.strip() == "Hello & **welcome** in[1]"
    assert links == ("https://example.com/a",)


def test_an_element_hidden_but_never_closed_keeps_what_follows_it() -> None:
    text, _ = html_to_text('<div style="display: none">teaser<p>The real message</p>')
    assert "The real message" in text


def test_nested_elements_of_the_same_tag_end_the_hidden_part_at_the_right_place() -> None:
    html = '<div style="DISPLAY:NONE"><div>a</div><div>b</div></div><div>shown</div>'
    assert strip_hidden(html) == "<div>shown</div>"


def test_an_outlook_only_hidden_button_stays_for_every_other_reader() -> None:
    text, links = html_to_text('<p>Hi</p><a href="https://example.com/reset" '
                               'style="mso-hide:all">Reset password</a><p>bye</p>')
    assert "Reset password[1]" in text and links == ("https://example.com/reset",)
