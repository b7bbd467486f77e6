"""A day with encrypted mail, in the real `tui-mail` in tmux, with the README's account and
its `sign` and `encrypt` settings: a friend's signed and encrypted message arrives over IMAP
and is read decrypted with its signature checked, the reply quotes it and goes out signed and
encrypted through the real Postfix, and the friend's GnuPG opens it with a good signature."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from email.utils import format_datetime

import pytest

from tests.e2e.tmux import TMUX
from tests.journeys.session import StartApp, wait_for_server_copy
from tests.journeys.world import MailWorld, minutes_ago, unique
from tests.support.crypto import Correspondents, correspondents, pgp_mime_encrypted
from tui_mail.mail.autocrypt import autocrypt_header, parse_autocrypt

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]


@pytest.fixture
def keys(world: MailWorld) -> Iterator[Correspondents]:
    """The user's GnuPG home (their key, the friend's public key) and the friend's."""
    pair = correspondents(world.user.address, world.friend.address)
    world.env["GNUPGHOME"] = str(pair.mine)  # as in the user's shell
    try:
        yield pair
    finally:
        pair.close()


def friend_sends_encrypted(world: MailWorld, keys: Correspondents, subject: str, text: str,
                           *, signed: bool = False) -> None:
    """The friend's GnuPG encrypts `text` to the user (signed too when asked), the Subject
    protected inside and `...` outside, delivered to the user's INBOX."""
    inner = (b'Content-Type: text/plain; charset=utf-8; protected-headers="v1"\r\n'
             + f"Subject: {subject}\r\n\r\n{text}\r\n".encode())
    ciphertext = keys.gpg(keys.theirs, "--armor", "--trust-model", "always", "--encrypt",
                          "--recipient", world.user.address, *(["--sign"] if signed else []),
                          data=inner)
    headers = (f"From: Friend <{world.friend.address}>\r\nTo: <{world.user.address}>\r\n"
               f"Subject: ...\r\nDate: {format_datetime(minutes_ago(5))}\r\n"
               f"Message-ID: <{subject.replace(' ', '.')}@test>\r\nMIME-Version: 1.0\r\n")
    world.servers.deliver(world.user, pgp_mime_encrypted(headers, ciphertext))


def test_an_encrypted_message_is_read_and_answered_encrypted(
        world: MailWorld, keys: Correspondents, start_app: StartApp) -> None:
    world.write_config('sign = "always"\nencrypt = "if-all-recipients-have-keys"\n',
                       ui="sync_every_minutes = 0")
    subject = unique("The gate code")
    friend_sends_encrypted(world, keys, subject, "It is 2024, until Friday.", signed=True)

    app = start_app()
    app.wait_for_mailbox("...")
    app.press("Home")
    app.press("Enter")
    # Read decrypted: the protected subject, the text, and what was checked.
    app.wait_for(f"Subject: {subject}", "It is 2024, until Friday.",
                 "Encrypted: OpenPGP", f"⚠ Signed: Friend <{world.friend.address}>",
                 timeout=30)

    app.press("r")
    app.wait_for("Security", f"signed as {world.user.address}",
                 "encrypted to every recipient (and you)", "> It is 2024, until Friday.")
    app.type("Thanks, noted.")
    app.wait_for("Thanks, noted.")
    app.press("C-t")
    app.wait_for("Sent", timeout=30)

    _flags, received = wait_for_server_copy(world, "...", user=world.friend)
    assert received.get_content_type() == "multipart/encrypted"
    raw = received.as_bytes()
    assert b"Thanks, noted." not in raw and b"2024" not in raw
    # The friend's GnuPG opens it: Me's good signature, the reply quoting the original.
    encrypted = next(part for part in received.walk()
                     if part.get_content_type() == "application/octet-stream")
    plain = keys.gpg(keys.theirs, "--decrypt", data=encrypted.get_payload(decode=True))
    assert b"Thanks, noted." in plain and b"> It is 2024, until Friday." in plain
    assert f"Subject: Re: {subject}".encode() in plain  # protected, inside
    # Signed, then encrypted (RFC 3156 6.1): the signature is the inner multipart/signed's.
    verified = keys.verify_inner(keys.theirs, plain)
    assert b"[GNUPG:] GOODSIG" in verified and world.user.address.encode() in verified


def test_autocrypt_learns_a_friends_key_from_their_mail_and_answers_encrypted(
        world: MailWorld, keys: Correspondents, start_app: StartApp) -> None:
    """The README's account with autocrypt = "mutual": the friend's key is not in the user's
    keyring, only in the Autocrypt header of the friend's plain message. The reply is
    encrypted with it (the Security line says Autocrypt asks for it), carries the user's own
    key in its header, and the friend's GnuPG opens it."""
    friend_key = keys.gpg(keys.theirs, "--export", world.friend.address)
    fingerprint = next(line.split(":")[9] for line in keys.gpg(
        keys.mine, "--with-colons", "--list-keys", world.friend.address).decode().splitlines()
        if line.startswith("fpr:"))
    keys.gpg(keys.mine, "--yes", "--delete-keys", fingerprint)
    world.write_config('autocrypt = "mutual"\n', ui="sync_every_minutes = 0")
    subject = unique("Lunch")
    headers = (f"From: Friend <{world.friend.address}>\r\nTo: <{world.user.address}>\r\n"
               f"Subject: {subject}\r\nDate: {format_datetime(minutes_ago(5))}\r\n"
               f"Message-ID: <{subject.replace(' ', '.')}@test>\r\n"
               f"Autocrypt: {autocrypt_header(world.friend.address, friend_key, True)}\r\n"
               "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
    world.servers.deliver(world.user, headers.encode() + b"Lunch on Friday?\r\n")

    app = start_app()
    app.wait_for_mailbox(subject)
    app.press("Home")
    app.press("Enter")
    app.wait_for("Lunch on Friday?")
    app.press("r")
    app.wait_for("encrypted to every recipient (and you)", "Autocrypt: every recipient asks")
    app.type("Friday it is.")
    app.wait_for("Friday it is.")
    app.press("C-t")
    app.wait_for("Sent", timeout=30)

    _flags, received = wait_for_server_copy(world, "...",
                                            user=world.friend)
    assert received.get_content_type() == "multipart/encrypted"
    assert b"Friday it is." not in received.as_bytes()
    encrypted = next(part for part in received.walk()
                     if part.get_content_type() == "application/octet-stream")
    plain = keys.gpg(keys.theirs, "--decrypt", data=encrypted.get_payload(decode=True))
    assert b"Friday it is." in plain
    own = parse_autocrypt([str(v) for v in received.get_all("Autocrypt", [])],
                          world.user.address)
    assert own is not None and own.mutual
    assert world.user.address.encode() in keys.gpg(keys.theirs, "--show-keys", data=own.keydata)
    # the friend's key is still not in the user's keyring: it was used from the cache
    listed = subprocess.run(["gpg", "--batch", "--homedir", str(keys.mine), "--list-keys",
                             world.friend.address], capture_output=True, timeout=60, check=False)
    assert listed.returncode != 0


def test_a_reply_to_encrypted_mail_is_kept_as_an_encrypted_draft_across_a_restart(
        world: MailWorld, keys: Correspondents, start_app: StartApp) -> None:
    """The reply quotes decrypted text: ctrl+s keeps it in the server's Drafts folder only
    encrypted to the user's key. After quitting, D opens it decrypted, still encrypted, and it
    goes to the friend encrypted."""
    world.write_config("", ui="sync_every_minutes = 0")
    subject = unique("The safe code")
    friend_sends_encrypted(world, keys, subject, "It is 8812.")

    app = start_app()
    app.wait_for_mailbox("...")
    app.press("Home")
    app.press("Enter")
    app.wait_for(f"Subject: {subject}", "It is 8812.", timeout=30)
    app.press("r")
    app.wait_for("encrypted to every recipient (and you)", "> It is 8812.")
    app.type("Noted, thanks.")
    app.wait_for("Noted, thanks.")
    app.press("C-s")
    _flags, kept = wait_for_server_copy(world, "...", folder="Drafts")
    assert kept.get_content_type() == "multipart/encrypted"
    assert b"8812" not in kept.as_bytes() and b"Noted" not in kept.as_bytes()
    app.press("C-q")
    assert app.term.wait_exit() == 0

    again = start_app()
    again.wait_for_mailbox("...")
    again.press("D")
    again.wait_for("Unsent drafts (1)", "(encrypted)")
    again.press("Enter")
    again.wait_for("Noted, thanks.", "> It is 8812.", f"Re: {subject}",
                   "encrypted to every recipient (and you)", timeout=30)
    again.press("C-t")
    again.wait_for("Sent", timeout=30)
    _flags, received = wait_for_server_copy(world, "...", user=world.friend)
    encrypted = next(part for part in received.walk()
                     if part.get_content_type() == "application/octet-stream")
    plain = keys.gpg(keys.theirs, "--decrypt", data=encrypted.get_payload(decode=True))
    assert b"Noted, thanks." in plain and f"Subject: Re: {subject}".encode() in plain
