"""The keys the app works with: listed with their fingerprints, the user's own first, and a
correspondent's key imported from what they sent."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.crypto import Keyring
from tui_mail.crypto.gnupg import CryptoError
from tui_mail.crypto.keys import import_keys, list_keys


def test_the_keys_are_listed_the_users_own_first_with_what_each_can_do(
        gnupg: Keyring) -> None:
    keys = list_keys()
    own = [key.user_ids[0] for key in keys if key.secret]
    assert own == ["Alice <alice@example.org>", "Carol <carol@example.com>"]
    assert [key.secret for key in keys] == sorted((key.secret for key in keys), reverse=True)
    alice = next(key for key in keys if key.fingerprint == gnupg.fingerprints["alice@example.org"])
    assert alice.validity == "ultimate" and alice.can_sign and alice.can_encrypt
    bob = next(key for key in keys if key.fingerprint == gnupg.fingerprints["bob@example.net"])
    assert not bob.secret and bob.validity == "unknown" and bob.user_ids == (
        "Bob <bob@example.net>",)
    assert not any(key.fingerprint == gnupg.fingerprints["mallory@example.org"] for key in keys)


def test_a_key_sent_by_a_correspondent_is_imported_once(own_gnupg: Keyring) -> None:
    sent = own_gnupg.gpg("--armor", "--export", "mallory@example.org", home=own_gnupg.other)
    first = import_keys(sent)
    assert [key.user_ids for key in first.changed] == [("Mallory <mallory@example.org>",)]
    assert first.changed[0].fingerprint == own_gnupg.fingerprints["mallory@example.org"]
    again = import_keys(sent)
    assert again.changed == () and len(again.unchanged) == 1


def test_something_that_is_no_key_says_what_a_key_looks_like(own_gnupg: Keyring) -> None:
    with pytest.raises(CryptoError, match="no OpenPGP key in it.*BEGIN PGP PUBLIC KEY BLOCK"):
        import_keys(b"Hello, this is not a key\n")


def test_a_secret_key_is_refused_and_nothing_is_imported(own_gnupg: Keyring) -> None:
    """A stranger's secret key in the user's keyring would make mail "from" the user: only
    public keys come in through the app."""
    secret = own_gnupg.gpg("--armor", "--pinentry-mode", "loopback", "--passphrase", "",
                           "--export-secret-keys", "mallory@example.org",
                           home=own_gnupg.other)
    with pytest.raises(CryptoError, match="holds a secret key.*gpg --import"):
        import_keys(secret)
    assert not any(key.fingerprint == own_gnupg.fingerprints["mallory@example.org"]
                   for key in list_keys())


def test_a_key_with_several_user_ids_is_listed_once_as_imported(own_gnupg: Keyring) -> None:
    home = Path(tempfile.mkdtemp(prefix="f", dir="/tmp"))  # short: the agent's socket is in it
    home.chmod(0o700)
    try:
        own_gnupg.gpg("--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                      "Frank <frank@example.net>", "ed25519", "sign,cert", "never", home=home)
        own_gnupg.gpg("--pinentry-mode", "loopback", "--passphrase", "", "--quick-add-uid",
                      "frank@example.net", "Frank at work <frank@work.example>", home=home)
        sent = own_gnupg.gpg("--armor", "--export", "frank@example.net", home=home)
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"],
                       capture_output=True, check=False, timeout=30)
        shutil.rmtree(home, ignore_errors=True)
    imported = import_keys(sent)
    assert [len(key.user_ids) for key in imported.changed] == [2]
    assert imported.unchanged == ()


def test_a_correspondents_smime_certificate_is_imported_with_its_address_first(
        own_gnupg: Keyring) -> None:
    from tests.support.crypto import smime_correspondent
    from tui_mail.crypto.gnupg import GnuPG
    from tui_mail.crypto.keys import import_certificates
    from tui_mail.crypto.sealing import usable_encryption_key

    certificate, key = smime_correspondent(own_gnupg)
    gpgsm = GnuPG("gpgsm")
    assert not usable_encryption_key(gpgsm, "bob@example.net")
    imported = import_certificates(certificate.read_bytes())
    [bob] = imported.changed
    assert bob.user_ids[0] == "<bob@example.net>" and bob.can_encrypt
    assert usable_encryption_key(gpgsm, "bob@example.net")
    again = import_certificates(certificate.read_bytes())
    assert again.changed == () and bob.fingerprint in [c.fingerprint for c in again.unchanged]
    with pytest.raises(CryptoError, match="no S/MIME certificate in it"):
        import_certificates(b"hello")
    with pytest.raises(CryptoError, match="holds a private key"):
        import_certificates(certificate.read_bytes() + key.read_bytes())


def test_reading_a_correspondents_smime_signed_mail_keeps_their_certificate_to_encrypt_to(
        own_gnupg: Keyring) -> None:
    """As Thunderbird does: gpgsm keeps the certificate a good signature carries, so a reply
    can be encrypted to its sender without importing anything by hand."""
    from tests.support.crypto import smime_correspondent, smime_signed_by, text_part
    from tui_mail.crypto.gnupg import GnuPG
    from tui_mail.crypto.opening import open_message
    from tui_mail.crypto.sealing import usable_encryption_key
    from tui_mail.model import Signature, SignatureState

    certificate, key = smime_correspondent(own_gnupg)
    assert not usable_encryption_key(GnuPG("gpgsm"), "bob@example.net")
    opened = open_message(smime_signed_by(certificate, key, "bob@example.net",
                                          text_part("Write to me encrypted.\n")))
    [signature] = opened.layers
    assert isinstance(signature, Signature) and signature.state is SignatureState.GOOD
    assert usable_encryption_key(GnuPG("gpgsm"), "bob@example.net")


def test_a_learned_key_holding_a_second_key_is_not_imported(own_gnupg: Keyring) -> None:
    """A header's keydata could carry, beside its sender's key, a key for someone else: an
    import of a learned key takes one key or nothing (review F3)."""
    mallory = own_gnupg.gpg("--export", "mallory@example.org", home=own_gnupg.other)
    bob = own_gnupg.gpg("--export", "bob@example.net", home=own_gnupg.other)
    before = {key.fingerprint for key in list_keys()}
    with pytest.raises(CryptoError, match="it holds 2 keys where there should be one"):
        import_keys(mallory + bob, one=True)
    assert {key.fingerprint for key in list_keys()} == before
    [imported] = import_keys(mallory, one=True).changed
    assert imported.fingerprint == own_gnupg.fingerprints["mallory@example.org"]


def test_gossip_carries_one_key_for_an_address_the_keyring_holds_two_for(
        own_gnupg: Keyring) -> None:
    """Two keys in the keyring for bob@ (a new one beside the old): the gossip sent for him is
    one key that can encrypt, never both (review F2)."""
    from tui_mail.crypto.autocrypt_keys import can_encrypt_to, public_keydata
    from tui_mail.crypto.gnupg import GnuPG

    own_gnupg.gpg("--passphrase", "", "--quick-gen-key", "Bob again <bob@example.net>",
                  "ed25519", "sign,cert", "never")
    listed = own_gnupg.gpg("--with-colons", "--list-keys", "bob@example.net").decode()
    assert listed.count("pub:") == 2
    gpg = GnuPG("gpg")
    gossip = public_keydata(gpg, "bob@example.net")
    assert gossip and can_encrypt_to(gpg, gossip, "bob@example.net")
    shown = own_gnupg.gpg("--show-keys", "--with-colons", data=gossip).decode()
    assert shown.count("pub:") == 1 and own_gnupg.fingerprints["bob@example.net"] in shown
