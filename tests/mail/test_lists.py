"""Mailing-list headers read from real list mail, and replies that know the list."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

import pytest

from tui_mail.mail.lists import (
    MailingList,
    UnsubscribeWay,
    list_uris,
    mailing_list,
    parse_mailto,
)
from tui_mail.mail.parse import parse_message
from tui_mail.mail.reply import reply, reply_to_list
from tui_mail.model import Account, Address, Protocol, Security, ServerConfig

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else REPO / "tests" / "fixtures" / "corpus"
NOTMUCH = CORPUS / "notmuch" / "lkml__cur__1354585346.000261_2,.eml"
ONE_CLICK = CORPUS / "spamscope-mail-parser" / "mail_test_13.eml"


def headers_of(raw: bytes) -> MailingList | None:
    msg = message_from_bytes(raw, policy=compat32)
    return mailing_list(lambda name: msg.get(name))


def account() -> Account:
    return Account(name="me", address=Address("Me", "me@example.org"), smtp=None,
                   incoming=ServerConfig(Protocol.IMAP, "localhost", 993, Security.TLS, "me"))


@pytest.mark.skipif(not NOTMUCH.exists(), reason="shared corpus not here")
def test_a_mailman_list_message_gives_its_id_name_post_address_and_links() -> None:
    found = headers_of(NOTMUCH.read_bytes())
    assert found is not None
    assert found.id == "notmuch.notmuchmail.org"
    assert found.name == "Use and development of the notmuch mail system."
    assert found.post == "notmuch@notmuchmail.org"
    assert found.archive == ("http://notmuchmail.org/pipermail/notmuch",)
    assert found.help == ("mailto:notmuch-request@notmuchmail.org?subject=help",)
    assert found.unsubscribe_way() is not None
    assert found.unsubscribe_way().way is UnsubscribeWay.MAIL  # type: ignore[union-attr]
    assert ("list archive", "http://notmuchmail.org/pipermail/notmuch") in found.links()


@pytest.mark.skipif(not ONE_CLICK.exists(), reason="shared corpus not here")
def test_a_signed_list_message_offering_one_click_is_left_with_an_https_post() -> None:
    found = headers_of(ONE_CLICK.read_bytes())
    assert found is not None and found.one_click
    unsigned = found.unsubscribe_way()
    assert unsigned is not None and unsigned.way is UnsubscribeWay.MAIL  # a forgery could ask
    way = found.unsubscribe_way(signed=True)
    assert way is not None and way.way is UnsubscribeWay.ONE_CLICK
    assert way.uri.startswith("https://cimanagementconference.us14.list-manage.com/")
    assert "one-click" in way.describe() and "list-manage.com" in way.describe()


def test_without_the_post_header_one_click_is_not_offered() -> None:
    found = headers_of(b"List-Unsubscribe: <https://x.example/u?id=1>, <mailto:u@x.example>\n\n")
    assert found is not None and not found.one_click
    assert found.unsubscribe_way().way is UnsubscribeWay.MAIL  # type: ignore[union-attr]
    web_only = headers_of(b"List-Unsubscribe: <https://x.example/u?id=1>\n\n")
    assert web_only.unsubscribe_way().way is UnsubscribeWay.WEB  # type: ignore[union-attr]


def test_uris_are_taken_from_brackets_with_whitespace_dropped_and_odd_schemes_refused() -> None:
    value = ("(comment) <mailto:list-request@example.org?subject=unsubscribe>,\r\n"
             " <https://example.org/un\r\n subscribe>, <javascript:alert(1)>, <file:///etc/passwd>,"
             " <https://evil.example/\x1b[2J>, <ftp://x>")
    assert list_uris(value) == ("mailto:list-request@example.org?subject=unsubscribe",
                                "https://example.org/unsubscribe")


def test_a_hostile_header_with_thousands_of_uris_is_cut_short() -> None:
    assert len(list_uris(", ".join(f"<https://e.example/{n}>" for n in range(5000)))) == 8


def test_list_post_no_means_an_announce_only_list() -> None:
    found = headers_of(b"List-Id: News <news.example.org>\nList-Post: NO\n\n")
    assert found is not None
    assert (found.post, found.posting_allowed, found.label()) == ("", False,
                                                                  "News <news.example.org>")


def test_a_message_without_list_headers_has_no_list() -> None:
    assert headers_of(b"From: a@example.org\nSubject: hi\n\nbody\n") is None


def test_a_list_id_with_escape_sequences_is_shown_clean() -> None:
    found = headers_of(b"List-Id: \x1b]0;owned\x07Evil [b]x[/b] <evil.example.org>\n\n")
    assert found is not None and found.id == "evil.example.org"
    assert "\x1b" not in found.label() and "\x07" not in found.label()


def test_mailto_gives_the_address_subject_and_body() -> None:
    got = parse_mailto("mailto:leave%2Bme@example.org?subject=unsubscribe&body=please%20go")
    assert got is not None and (got.to, got.subject, got.body) == (
        "leave+me@example.org", "unsubscribe", "please go")
    assert parse_mailto("mailto:?subject=x") is None
    assert parse_mailto("https://example.org") is None


def test_a_mailto_cannot_smuggle_control_characters_into_a_message() -> None:
    assert parse_mailto("mailto:list-request%00x@example.org") is None
    assert parse_mailto("mailto:a%0D%0ABcc:%20x@example.org") is None
    got = parse_mailto("mailto:l@example.org?subject=unsubscribe%0D%0ABcc:%20e@evil.example"
                       "&body=hi%1B%5B2J")
    assert got is not None
    assert "\r" not in got.subject and "\n" not in got.subject and "\x1b" not in got.body


LIST_MAIL = (b"From: Ann <ann@example.org>\r\nTo: dev@lists.example.org\r\nCc: bob@example.org\r\n"
             b"Subject: Release plan\r\nMessage-ID: <r1@example.org>\r\n"
             b"List-Id: Dev <dev.lists.example.org>\r\nList-Post: <mailto:dev@lists.example.org>\r\n"
             b"\r\nShall we ship on Friday?\r\n")


def test_list_reply_goes_to_the_list_only_and_threads() -> None:
    draft = reply_to_list(parse_message(LIST_MAIL), account())
    assert draft is not None
    assert [a.email for a in draft.to] == ["dev@lists.example.org"] and draft.cc == ()
    assert draft.subject == "Re: Release plan" and draft.in_reply_to == "<r1@example.org>"
    assert "> Shall we ship on Friday?" in draft.body


def test_list_reply_to_a_message_of_no_list_is_none() -> None:
    assert reply_to_list(parse_message(b"From: a@example.org\r\nSubject: x\r\n\r\nhi\r\n"),
                         account()) is None


def test_reply_all_never_adds_an_address_a_list_header_names() -> None:
    """A forged List-Post would otherwise copy a private reply to whoever wrote it in; the
    list is `L`'s (reply_to_list), as in mutt."""
    forged = LIST_MAIL.replace(b"To: dev@lists.example.org", b"To: me@example.org").replace(
        b"List-Post: <mailto:dev@lists.example.org>", b"List-Post: <mailto:collect@evil.example>")
    draft = reply(parse_message(forged), account(), reply_all=True)
    assert "collect@evil.example" not in [a.email for a in (*draft.to, *draft.cc)]
    again = reply(parse_message(LIST_MAIL), account(), reply_all=True)
    emails = [a.email for a in (*again.to, *again.cc)]
    assert emails.count("dev@lists.example.org") == 1


def test_the_header_block_names_the_list_a_message_came_through() -> None:
    from tui_mail.mail.render import render_headers

    rows = dict(render_headers(parse_message(LIST_MAIL)))
    assert rows["List"] == "Dev <dev.lists.example.org>"
    plain = dict(render_headers(parse_message(b"From: a@example.org\r\nSubject: x\r\n\r\nhi\r\n")))
    assert "List" not in plain


def test_a_hostile_list_id_reaches_the_header_block_clean() -> None:
    from tui_mail.mail.render import render_headers

    raw = LIST_MAIL.replace(b"List-Id: Dev <dev.lists.example.org>",
                            b"List-Id: =?utf-8?q?=1B]52;c;eA=3D=3D=07[b]Dev[/b]?= <d.example.org>")
    label = dict(render_headers(parse_message(raw)))["List"]
    assert "\x1b" not in label and "\x07" not in label and label.endswith("<d.example.org>")


SIGNED_LIST_MAIL = (
    b"Authentication-Results: mx.example.net; dkim=pass header.d=lists.example.org"
    b" header.s=k1\r\n"
    b"Received: from out.lists.example.org by mx.example.net with ESMTPS id 9;\r\n"
    b"\tMon, 1 Jan 2024 00:00:00 +0000\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; d=lists.example.org; s=k1;\r\n"
    b"\th=From:Subject:List-Id:List-Unsubscribe:\r\n\tList-Unsubscribe-Post; bh=x; b=abc\r\n"
    b"From: Dev <dev@lists.example.org>\r\nSubject: News\r\n"
    b"List-Id: Dev <dev.lists.example.org>\r\nList-Post: <mailto:dev@lists.example.org>\r\n"
    b"List-Unsubscribe: <https://lists.example.org/u?t=1>, <mailto:dev-request@lists.example.org"
    b"?subject=unsubscribe>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    b"List-Archive: <https://lists.example.org/archive/dev>\r\n\r\nHello\r\n"
)


def test_one_click_is_signed_when_the_users_server_passed_a_dkim_signature_covering_it() -> None:
    from tui_mail.mail.lists import one_click_signed

    assert one_click_signed(SIGNED_LIST_MAIL)
    assert one_click_signed(SIGNED_LIST_MAIL, "mx.example.net")


@pytest.mark.parametrize("change", [
    (b"dkim=pass", b"dkim=fail"),  # the server found the signature invalid
    (b"h=From:Subject:List-Id:List-Unsubscribe:\r\n\tList-Unsubscribe-Post;",
     b"h=From:Subject:List-Id:List-Unsubscribe;"),  # the Post header is not covered
    (b"d=lists.example.org; s=k1", b"d=other.example; s=k1"),  # another domain's signature
    (b"header.s=k1", b"header.s=k2"),  # another selector passed
    (b"by mx.example.net", b"by mx.elsewhere.net"),  # a result the sender wrote itself
], ids=["failed", "post-not-signed", "other-domain", "other-selector", "forged-results"])
def test_one_click_is_not_signed_when_any_condition_of_rfc_8058_fails(
        change: tuple[bytes, bytes]) -> None:
    from tui_mail.mail.lists import one_click_signed

    assert not one_click_signed(SIGNED_LIST_MAIL.replace(*change))


def test_the_question_names_the_list_and_exactly_how_it_is_left() -> None:
    from tui_mail.mail.lists import list_of_message, one_click_signed

    found = list_of_message(SIGNED_LIST_MAIL)
    assert found is not None
    one_click = found.unsubscribe_way(signed=one_click_signed(SIGNED_LIST_MAIL))
    assert one_click is not None
    assert found.question(one_click) == ("Unsubscribe from dev@lists.example.org by a one-click"
                                         " request to lists.example.org?")
    mail = found.unsubscribe_way()
    assert mail is not None and found.question(mail) == (
        "Unsubscribe from dev@lists.example.org by sending a mail to"
        " dev-request@lists.example.org?")
    web = list_of_message(b"List-Id: <news.example.org>\r\n"
                          b"List-Unsubscribe: <https://news.example.org/u>\r\n\r\n")
    assert web is not None and web.question(web.unsubscribe_way()) == (  # type: ignore[arg-type]
        "Unsubscribe from news.example.org by opening https://news.example.org/u in the browser?")
