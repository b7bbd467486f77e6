"""The cache knows which messages are signed or encrypted from their Content-Type, headers
alone being enough, and counts the encrypted ones of a place: search says their text is not
searched."""

from __future__ import annotations

from tests.support.cache import sql
from tui_mail.mail.headers import sealing_of
from tui_mail.model import FolderRole, Sealing
from tui_mail.store import NewMessage, Store


def message(content_type: str, n: int) -> bytes:
    return (f"From: a@example.com\r\nSubject: m{n}\r\nMessage-ID: <m{n}@x>\r\n"
            f"Content-Type: {content_type}\r\n\r\nbody\r\n").encode()


PGP_ENCRYPTED = 'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"'
SMIME_ENCRYPTED = 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'
SMIME_SIGNED_DATA = "application/x-pkcs7-mime; smime-type=signed-data"
PGP_SIGNED = 'multipart/signed; protocol="application/pgp-signature"; boundary="b"'


def test_the_content_type_says_signed_or_encrypted() -> None:
    assert sealing_of(PGP_ENCRYPTED) == sealing_of(SMIME_ENCRYPTED) == Sealing.ENCRYPTED
    assert sealing_of("application/pkcs7-mime") == Sealing.ENCRYPTED  # no smime-type: older clients
    assert sealing_of(PGP_SIGNED) == sealing_of(SMIME_SIGNED_DATA) == Sealing.SIGNED
    assert sealing_of("text/plain; charset=utf-8") == sealing_of("") == Sealing.PLAIN


def test_encrypted_messages_are_counted_by_account_and_folder(store: Store) -> None:
    store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    store.ensure_folder("home", "INBOX", FolderRole.INBOX)
    store.add_messages("work", "INBOX", [
        NewMessage(uid=1, raw=message(PGP_ENCRYPTED, 1)),
        NewMessage(uid=2, raw=message(PGP_SIGNED, 2)),
        NewMessage(uid=3, raw=message("text/plain", 3)),
        # headers only (the body not downloaded yet): the header block says it
        NewMessage(uid=4, raw=None, raw_headers=message(SMIME_ENCRYPTED, 4).split(b"\r\n\r\n")[0]
                   + b"\r\n\r\n", size=900),
    ])
    store.add_messages("home", "INBOX", [NewMessage(uid=1, raw=message(PGP_ENCRYPTED, 5))])
    store.ensure_folder("work", "Archive", FolderRole.ARCHIVE)
    assert store.encrypted_count() == 3
    assert store.encrypted_count("work") == 2
    assert store.encrypted_count("work", "INBOX") == 2
    assert store.encrypted_count("work", "Archive") == 0
    assert store.encrypted_count(None, "INBOX") == 3
    assert store.encrypted_count("nobody") == store.encrypted_count("work", "Nope") == 0
    assert sorted(row[0] for row in sql(store, "SELECT sealed FROM messages")) == [
        0, 1, 2, 2, 2]


def test_an_encrypted_messages_prepared_row_crosses_to_the_text_process() -> None:
    """Whole fetches prepare rows in worker processes and marshal them back: every value of
    a prepared row must be plain (an enum is not)."""
    import marshal

    from tui_mail.store.prepare import Prepared, prepare_fetched

    raw = message(PGP_ENCRYPTED, 9)
    packed = marshal.loads(marshal.dumps(prepare_fetched(raw, 1_700_000_000, 0)))
    assert Prepared.unpack(NewMessage(uid=9, raw=raw), packed).headers.sealed \
        == Sealing.ENCRYPTED
