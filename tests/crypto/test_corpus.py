"""The signed and encrypted messages of ../shared/corpus/ (notmuch's, mu's, MimeKit's and
others' test mail, made by other programs with keys we do not have), opened with a keyring
that holds none of their keys: each says what it is and why it could not be opened or
checked, and none is shown as good when it cannot be."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.crypto.opening import open_message
from tui_mail.mail.parse import parse_message
from tui_mail.mail.protected import protection_of
from tui_mail.mail.security import security_rows
from tui_mail.model import (
    CryptoKind,
    Encryption,
    KeyValidity,
    Signature,
    SignatureState,
    UnprotectedText,
)

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _protected() -> list[Path]:
    found = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.suffix not in (".md", ".tsv") \
                and protection_of(path.read_bytes()) is not None:
            found.append(path)
    return found


PROTECTED = _protected()


def test_the_corpus_has_signed_and_encrypted_mail_of_both_kinds() -> None:
    names = {path.name for path in PROTECTED}
    assert len(PROTECTED) >= 40
    assert {"crypto__encrypted-signed.eml", "protected-headers__smime-sign+enc.eml",
            "pkcs7__smime-onepart-signed.eml", "protected-headers__simple-signed-mail.eml"
            } <= names


@pytest.mark.parametrize("path", PROTECTED, ids=lambda p: str(p.relative_to(CORPUS)))
def test_each_is_opened_as_far_as_this_keyring_allows_and_says_why_not(path: Path) -> None:
    raw = path.read_bytes()
    opened = open_message(raw)
    assert opened.layers, "a protected message says what it is"
    assert not opened.decrypted  # none of these keys is here
    parse_message(opened.raw)  # what is shown parses
    for layer in opened.layers:
        if isinstance(layer, Encryption):
            assert not layer.decrypted and layer.error
        elif isinstance(layer, UnprotectedText):  # a list's footer after a signed block
            assert not layer.encrypted
        else:
            assert isinstance(layer, Signature)
            if layer.kind is CryptoKind.OPENPGP:  # no OpenPGP key here: never good
                assert layer.state is not SignatureState.GOOD, layer
            if layer.state is SignatureState.ERROR:
                assert layer.error
            if layer.state is SignatureState.GOOD:
                # an S/MIME signature carries its certificate, but no CA here vouches for it
                assert layer.validity is not KeyValidity.FULL
    for label, value in security_rows(opened.layers):
        assert label != "Signed" and value


def test_notmuchs_encrypted_mail_names_the_key_it_needs() -> None:
    raw = (CORPUS / "notmuch" / "crypto__encrypted-signed.eml").read_bytes()
    (layer,) = open_message(raw).layers
    assert isinstance(layer, Encryption)
    assert layer.recipients and layer.recipients[0] in layer.error
    assert "not in your keyring" in layer.error


def test_an_smime_signature_with_its_certificate_is_good_but_not_certified() -> None:
    raw = (CORPUS / "notmuch" / "protected-headers__smime-onepart-signed.eml").read_bytes()
    opened = open_message(raw)
    (signature,) = opened.layers
    assert isinstance(signature, Signature) and signature.state is SignatureState.GOOD
    label, value = security_rows(opened.layers)[0]
    assert label == "⚠ Signed" and "nothing certifies" in value
    shown = parse_message(opened.raw)  # the content inside the signed-data
    assert shown.subject == "The FooCorp contract"
    assert (shown.text_body or "").startswith("Bob, we need to cancel this contract.")
