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


def _line(**state: object) -> str:
    from tui_mail.ui.widgets.status_line import AccountState, StatusLine

    line = StatusLine(["work"])
    line.states["work"] = AccountState("work", **state)  # type: ignore[arg-type]
    return line.render_states().plain


def test_a_sign_in_to_renew_says_sign_in_needed_not_dollar_to_retry() -> None:
    from tui_mail.ui.widgets.status_line import Connection

    error = ("account 'work': the sign-in has expired or was revoked (id.example.com refused: "
             "invalid_grant); sign in again with `tui-mail accounts login work`")
    assert _line(connection=Connection.OFFLINE, error=error, needs_sign_in=True) == (
        "○ work: offline, sign in needed (account 'work': the sign-in has expired or was revoked…)")
    # Another refused login: nothing retries by itself, `$` does once it is fixed.
    assert _line(connection=Connection.OFFLINE, error="login as 'zoe' failed").startswith(
        "○ work: offline, $ to retry")
    # Back online, nothing of it is left.
    assert _line(connection=Connection.ONLINE, needs_sign_in=False) == "● work: online"
