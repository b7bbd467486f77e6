"""The status line's short form of an error: what it keeps and how it cuts."""

from __future__ import annotations

from tui_mail.ui.widgets.status_line import REASON_WIDTH, short_reason


def test_the_server_address_the_account_name_already_says_is_left_out() -> None:
    assert short_reason("imap://mail.example.com:993 (tls): connection refused") == \
        "connection refused"


def test_a_long_reason_is_cut_after_a_whole_word_with_an_ellipsis() -> None:
    # Cut inside the number, the line read "port 4963)": a wrong port, and nothing to say so.
    error = ("imap://127.0.0.1:49639 (tls): connection refused: nothing accepts connections "
             "on port 49639 (check host, port and security)")
    short = short_reason(error)
    assert len(short) <= REASON_WIDTH
    assert short.endswith("…")
    assert "4963" not in short
    assert short == "connection refused: nothing accepts connections on port…"


def test_a_reason_without_spaces_is_cut_at_the_width() -> None:
    short = short_reason("x" * 100)
    assert short == "x" * (REASON_WIDTH - 1) + "…"
