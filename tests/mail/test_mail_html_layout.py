"""Layout tables become blocks in the text rendering; tables of values stay tables."""

from __future__ import annotations

from tui_mail.mail.html import html_to_text
from tui_mail.mail.html_layout import unwrap_layout_tables

NEWSLETTER = """<!DOCTYPE html><html><body>
<table width="100%"><tr><td align="center">
<table width="600">
<tr><td><h1>Product update</h1><p>What changed this month.</p></td></tr>
<tr><td><a href="https://example.org/frankfurt">A zone in Frankfurt</a>
<p>Lower latency in central Europe.</p></td></tr>
<tr><td>You subscribed. <a href="https://example.org/unsubscribe">Unsubscribe</a></td></tr>
</table></td></tr></table></body></html>"""

PRICES = ("<table><tr><th>Plan</th><th>Price</th></tr><tr><td>Small</td><td>5 €</td></tr>"
          "<tr><td>Large</td><td>20 €</td></tr></table>")


def test_a_newsletter_laid_out_in_tables_reads_as_paragraphs():
    text, links = html_to_text(NEWSLETTER)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines == ["# Product update", "What changed this month.", "A zone in Frankfurt[1]",
                     "Lower latency in central Europe.", "You subscribed. Unsubscribe[2]"]
    assert links == ("https://example.org/frankfurt", "https://example.org/unsubscribe")


def test_a_table_of_values_stays_a_table():
    assert unwrap_layout_tables(PRICES) == PRICES
    text, _ = html_to_text(PRICES)
    assert "Small| 5 €" in text


def test_a_one_column_or_presentation_table_is_layout():
    one_column = "<table><tr><td>First</td></tr><tr><td>Second</td></tr></table>"
    assert "<table" not in unwrap_layout_tables(one_column)
    presentation = ('<table role="presentation"><tr><td>Left</td><td>Right</td></tr></table>')
    assert unwrap_layout_tables(presentation).count("<div>") == 4


def test_a_data_table_inside_a_layout_table_is_kept():
    html = f"<table><tr><td><p>Your invoice</p>{PRICES}</td></tr></table>"
    out = unwrap_layout_tables(html)
    assert out.startswith("<div><div><div><p>Your invoice</p><table>")
    assert PRICES in out


def test_broken_and_unclosed_tables_lose_no_text():
    for html, words in (("<table><tr><td><p>never closed", ["never closed"]),
                        ("</td></tr></table>stray end", ["stray end"]),
                        ("<table><tr><td>alpha<td>beta<tr><td><div>gamma</div>",
                         ["alpha", "beta", "gamma"])):
        out = unwrap_layout_tables(html)
        assert all(word in out for word in words)
        assert all(word in html_to_text(html)[0] for word in words)


def test_a_link_title_is_not_part_of_its_address():
    _, links = html_to_text('<a href="https://example.org/fb" title="Like us">Facebook</a>')
    assert links == ("https://example.org/fb",)
