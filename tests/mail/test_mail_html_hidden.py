"""Hidden HTML (preheaders, tracking text) is left out of the text rendering, and malformed
HTML never costs visible text."""

from __future__ import annotations

import pytest

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


# ---- text hidden by CSS (issue 17) ----------------------------------------------------------

def _text(html: str) -> str:
    return " ".join(html_to_text(html)[0].split())


@pytest.mark.parametrize("size", ["0", "0px", "0pt", "0em", "0.0rem", "0 !important", "0%"])
def test_words_at_font_size_zero_are_not_shown(size: str) -> None:
    assert _text(f'<p>Pay<span style="font-size:{size}">xyz9</span>Pal</p>') == "PayPal"


def test_a_zero_font_shorthand_hides_too() -> None:
    assert _text('<p>A<span style="font: 0/0 a">hidden</span>B</p>') == "AB"


def test_a_layout_that_zeroes_the_font_of_a_container_keeps_its_sized_cells() -> None:
    html = ('<div style="font-size:0;text-align:center"><div style="display:inline-block;'
            'font-size:14px">Column one</div><div style="display:inline-block">'
            '<p style="font-size:16px">Column two</p></div></div>')
    assert _text(html) == "Column one Column two"


@pytest.mark.parametrize("colour,background", [
    ("#fff", "#ffffff"), ("white", "#FFF"), ("#ffffff", "white"),
    ("rgb(255, 255, 255)", "#fff"), ("#000", "black"),
])
def test_text_in_the_colour_of_its_background_is_not_shown(colour: str, background: str) -> None:
    same = f'<div style="color:{colour};background-color:{background}">secret words</div>ok'
    inherited = (f'<table bgcolor="{background}"><tr><td><span style="color:{colour}">'
                 'secret words</span> visible</td></tr></table>')
    font = (f'<body style="background:{background}"><font color="{colour}">secret words'
            '</font>shown</body>')
    assert _text(same) == "ok"
    assert _text(inherited) == "visible"
    assert _text(font) == "shown"


def test_white_text_on_a_nearer_dark_background_is_shown() -> None:
    html = ('<table bgcolor="#ffffff"><tr><td style="background-color:#1a82e2">'
            '<a href="https://example.com/" style="color:#ffffff">Confirm</a></td></tr></table>')
    assert _text(html) == "Confirm[1]"


def test_white_text_without_a_known_background_is_shown() -> None:
    # The background may come from a stylesheet class or an image: never guess it away.
    assert _text('<td class="btn"><span style="color:#fff">Buy now</span></td>') == "Buy now"
    assert _text('<td style="background:url(x.png) #fff"><span style="color:#fff">On image'
                 '</span></td>') == "On image"


def test_transparent_text_and_invisible_boxes_are_not_shown() -> None:
    html = ('<p>a<span style="color:transparent">t1</span><span style="color:rgba(0,0,0,0)">'
            't2</span>b</p><div style="opacity:0">t3</div><div style="opacity: 0.0">t4</div>'
            '<div style="max-height:0px;overflow:hidden">t5</div>'
            '<div style="height:0;overflow:hidden;mso-hide:all">t6</div>'
            '<div style="max-height:0">kept</div><div style="opacity:0.6">dim</div>')
    assert _text(html) == "ab kept dim"


def test_a_child_that_sets_a_visible_colour_again_is_shown() -> None:
    html = ('<div style="background:#fff;color:#fff">gone <span style="color:#333">shown'
            '</span></div>')
    assert _text(html) == "shown"


@pytest.mark.parametrize("html", [
    '<span style="font-size:0">never closed <p>Real text</p>',
    '<div style="background:#fff"><font color="#fff">Real text</div>',
    '<p style="color:transparent">Real text',
])
def test_text_hidden_by_an_element_that_is_never_closed_is_kept(html: str) -> None:
    assert "Real text" in _text(html)


def test_phishing_padding_hidden_between_words_leaves_the_visible_message() -> None:
    html = ('<p>Dear customer, your <span style="font-size:0px">lorem ipsum dolor</span>'
            'account is <span style="color:#FFFFFF;background:#ffffff">qwerty</span>locked.'
            '</p><p style="opacity:0">unsubscribe newsletter weather</p>')
    assert _text(html) == "Dear customer, your account is locked."


def test_styles_and_scripts_are_not_treated_as_text() -> None:
    html = '<style>p{color:#fff}</style><p style="font-size:0">x</p><p>y</p>'
    assert strip_hidden(html) == '<p style="font-size:0"></p><p>y</p>'
