"""Taking a signed message apart by its raw bytes: each delimiter line is found, even one right
after another (an empty part), so the signature is never taken for the signed text."""

from __future__ import annotations

from tui_mail.mail.protected import DetachedSignature, protection_of


def test_a_delimiter_right_after_another_starts_its_own_part() -> None:
    raw = (b'Content-Type: multipart/signed; protocol="application/pgp-signature";'
           b' boundary="b"\r\n\r\n--b\r\n--b\r\nContent-Type: application/pgp-signature\r\n'
           b"\r\nSIG\r\n--b--\r\n")
    found = protection_of(raw)
    assert isinstance(found, DetachedSignature)
    assert found.signed == b"" and found.signature == b"SIG"
