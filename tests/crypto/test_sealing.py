"""Signing and encrypting before the outbox (PGP/MIME), read back as the reader opens mail,
and sent for real through Postfix to Dovecot."""

from __future__ import annotations

import subprocess
from email import message_from_bytes
from email.policy import default

import pytest

from tests.support.crypto import CAROL_PASSPHRASE, Keyring
from tests.support.mail_users import fetch_all, outbox_for, wait_for
from tui_mail.crypto.gnupg import GnuPG
from tui_mail.crypto.opening import open_message
from tui_mail.crypto.sealing import PassphraseNeeded, Seal, SealError, seal, without_keys
from tui_mail.mail.compose import Composed, compose
from tui_mail.mail.parse import parse_message
from tui_mail.model import Address, CryptoKind, Draft, Encryption, Signature, SignatureState

pytestmark = pytest.mark.usefixtures("gnupg")


def composed(subject: str = "Plans for Friday", body: str = "Dinner at eight?\n",
             to: str = "bob@example.net", sender: str = "alice@example.org") -> Composed:
    return compose(Draft(identity=Address("Alice", sender), to=(Address("Bob", to),),
                         subject=subject, body=body))


def states(layers: tuple) -> list[str]:
    return [layer.state.value if isinstance(layer, Signature)
            else "decrypted" if layer.decrypted else "not decrypted" for layer in layers]


def test_a_signed_message_opens_with_a_good_signature_and_its_headers_protected() -> None:
    signed = seal(composed(), Seal(sign_as="alice@example.org"))
    outer = message_from_bytes(signed.raw, policy=default)
    assert outer.get_content_type() == "multipart/signed"
    assert str(outer.get_param("micalg")).startswith("pgp-sha")  # named from gpg's own
    assert outer["Subject"] == "Plans for Friday"  # signed only: the subject stays readable
    opened = open_message(signed.raw)
    assert states(opened.layers) == ["good signature"]
    shown = parse_message(opened.raw)
    assert shown.subject == "Plans for Friday" and shown.text_body == "Dinner at eight?\n"
    assert signed.rcpts == ("bob@example.net",) and signed.message_id in signed.raw.decode()


def test_an_encrypted_message_hides_its_subject_and_opens_whole_for_its_reader() -> None:
    sealed = seal(composed(subject="Surprise party"),
                  Seal(sign_as="alice@example.org",
                       encrypt_to=("bob@example.net", "alice@example.org")))
    outer = message_from_bytes(sealed.raw, policy=default)
    assert outer.get_content_type() == "multipart/encrypted"
    assert outer["Subject"] == "..."
    assert b"Surprise party" not in sealed.raw and b"Dinner at eight" not in sealed.raw
    opened = open_message(sealed.raw)  # the sender's own key opens it: the Sent copy reads
    assert states(opened.layers) == ["decrypted", "good signature"]
    shown = parse_message(opened.raw)
    assert shown.subject == "Surprise party" and shown.text_body == "Dinner at eight?\n"


def test_recipients_without_a_key_are_named_before_anything_is_sent() -> None:
    gpg = GnuPG("gpg")
    assert without_keys(gpg, ("bob@example.net", "nobody@example.org", "dave@example.net")) == \
        ["nobody@example.org"]
    with pytest.raises(SealError, match="no usable key for nobody@example.org"):
        seal(composed(to="nobody@example.org"), Seal(encrypt_to=("nobody@example.org",)))


def test_a_signing_key_with_a_passphrase_asks_for_it_and_says_when_it_is_wrong() -> None:
    message = composed(sender="carol@example.com")
    with pytest.raises(PassphraseNeeded) as asked:
        seal(message, Seal(sign_as="carol@example.com"))
    assert "Carol <carol@example.com>" in asked.value.key_hint
    with pytest.raises(SealError, match="passphrase for .* was wrong"):
        seal(message, Seal(sign_as="carol@example.com"), passphrase="wrong")
    signed = seal(message, Seal(sign_as="carol@example.com"), passphrase=CAROL_PASSPHRASE)
    assert states(open_message(signed.raw).layers) == ["good signature"]


def test_signing_as_an_address_without_a_secret_key_says_so() -> None:
    with pytest.raises(SealError, match="cannot sign as bob@example.net: no secret key"):
        seal(composed(), Seal(sign_as="bob@example.net"))


@pytest.mark.servers
async def test_signed_and_encrypted_mail_survives_postfix_and_dovecot(
        mail_servers, fresh, store, gnupg: Keyring) -> None:
    alice, bob = fresh("alice"), fresh("bob")
    draft = Draft(identity=alice.account.address, to=(Address("Bob", bob.address),),
                  subject="Über den Zaun", body="Grüße — the gate code is 2024.\n" * 40)
    signed = seal(compose(draft), Seal(sign_as="alice@example.org"))
    sealed = seal(compose(draft), Seal(sign_as="alice@example.org",
                                       encrypt_to=("alice@example.org",)))
    outbox = outbox_for(store, alice)
    for message in (signed, sealed):
        delivery = await outbox.deliver(outbox.queue(message))
        assert delivery.sent, delivery
    wait_for(mail_servers, bob, 2)
    received = fetch_all(mail_servers, bob)
    opened = [open_message(raw) for raw in received]
    assert sorted(states(o.layers) for o in opened) == [
        ["decrypted", "good signature"], ["good signature"]]
    for result in opened:
        shown = parse_message(result.raw)
        assert shown.subject == "Über den Zaun"
        assert shown.text_body == "Grüße — the gate code is 2024.\n" * 40
    layers = [layer for o in opened for layer in o.layers]
    assert all(isinstance(layer, Encryption | Signature) for layer in layers)
    assert not any(isinstance(layer, Signature) and layer.state is SignatureState.BAD
                   for layer in layers)


def test_smime_signed_mail_is_good_for_us_and_for_openssl(gnupg: Keyring, tmp_path) -> None:
    signed = seal(composed(), Seal(sign_as="alice@example.org", kind=CryptoKind.SMIME))
    outer = message_from_bytes(signed.raw, policy=default)
    assert outer.get_content_type() == "multipart/signed"
    assert outer.get_param("protocol") == "application/pkcs7-signature"
    [signature] = open_message(signed.raw).layers
    assert isinstance(signature, Signature) and signature.state is SignatureState.GOOD
    assert signature.kind is CryptoKind.SMIME and signature.user_id == "Alice <alice@example.org>"
    sent = tmp_path / "signed.eml"
    sent.write_bytes(signed.raw)
    checked = subprocess.run(["openssl", "smime", "-verify", "-in", str(sent), "-CAfile",
                              str(gnupg.smime / "ca.pem")], capture_output=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert b"Dinner at eight?" in checked.stdout


def test_smime_encrypted_mail_opens_for_us_and_for_openssl(gnupg: Keyring, tmp_path) -> None:
    sealed = seal(composed(subject="S/MIME secret"),
                  Seal(sign_as="alice@example.org", encrypt_to=("alice@example.org",),
                       kind=CryptoKind.SMIME))
    outer = message_from_bytes(sealed.raw, policy=default)
    assert outer.get_content_type() == "application/pkcs7-mime"
    assert outer.get_param("smime-type") == "enveloped-data" and outer["Subject"] == "..."
    opened = open_message(sealed.raw)
    assert states(opened.layers) == ["decrypted", "good signature"]
    assert parse_message(opened.raw).subject == "S/MIME secret"
    sent = tmp_path / "sealed.eml"
    sent.write_bytes(sealed.raw)
    plain = subprocess.run(["openssl", "smime", "-decrypt", "-in", str(sent), "-recip",
                            str(gnupg.smime / "alice.pem"), "-inkey",
                            str(gnupg.smime / "alice.key")], capture_output=True, check=False)
    assert plain.returncode == 0, plain.stderr
    assert b"application/pkcs7-signature" in plain.stdout  # signed inside, then encrypted


def test_smime_to_someone_without_a_certificate_is_named() -> None:
    gpgsm = GnuPG("gpgsm")
    assert without_keys(gpgsm, ("alice@example.org", "bob@example.net")) == ["bob@example.net"]


def test_bcc_recipients_are_encrypted_to_without_naming_their_keys(gnupg: Keyring) -> None:
    """To and Cc see each other's key ids in the message; a Bcc recipient's key id is not in
    it (gpg's hidden recipient), or the Bcc would be no secret to them."""
    from tui_mail.crypto.outgoing import Encrypt, SecurityChoice, sealed

    draft = Draft(identity=Address("Alice", "alice@example.org"),
                  to=(Address("Bob", "bob@example.net"),),
                  bcc=(Address("Dave", "dave@example.net"),), subject="Plans", body="Hi\n")
    message = sealed(compose(draft), SecurityChoice(encrypt=Encrypt.ON), "alice@example.org")
    assert message.rcpts == ("bob@example.net", "dave@example.net")
    armored = message.raw[message.raw.index(b"-----BEGIN PGP MESSAGE"):]
    listed = subprocess.run(["gpg", "--batch", "--list-only", "--list-packets"], input=armored,
                            capture_output=True, timeout=60, check=False).stdout.decode()
    key_ids = [line.rsplit("keyid", 1)[1].strip() for line in listed.splitlines()
               if line.startswith(":pubkey enc packet:")]
    assert len(key_ids) == 3  # Bob, Alice (her copy in Sent) and Dave
    assert key_ids.count("0000000000000000") == 1  # Dave's, hidden
    encryption = open_message(message.raw).layers[0]
    assert isinstance(encryption, Encryption)
    assert set(encryption.recipient_names) == {"Alice <alice@example.org>",
                                               "Bob <bob@example.net>", "a hidden recipient"}


def subkey_ids(gnupg: Keyring, address: str) -> set[str]:
    listed = gnupg.gpg("--with-colons", "--list-keys", address, home=gnupg.other).decode()
    return {line.split(":")[4] for line in listed.splitlines() if line.startswith("sub:")}


def test_an_autocrypt_key_is_used_only_where_the_keyring_has_none(gnupg: Keyring) -> None:
    """Bob's key in the keyring wins over whatever a header said for him; Mallory, whom the
    keyring does not know, is encrypted to with the key from her header."""
    from tui_mail.crypto.outgoing import Encrypt, SecurityChoice, sealed

    mallory_key = gnupg.gpg("--export", "mallory@example.org", home=gnupg.other)
    dave_key = gnupg.gpg("--export", "dave@example.net", home=gnupg.other)
    draft = Draft(identity=Address("Alice", "alice@example.org"),
                  to=(Address("Bob", "bob@example.net"), Address("", "mallory@example.org")),
                  subject="Plans", body="Hi\n")
    message = sealed(compose(draft), SecurityChoice(encrypt=Encrypt.ON), "alice@example.org",
                     peer_keys={"bob@example.net": dave_key, "mallory@example.org": mallory_key})
    armored = message.raw[message.raw.index(b"-----BEGIN PGP MESSAGE"):]
    listed = subprocess.run(["gpg", "--batch", "--list-only", "--list-packets"], input=armored,
                            capture_output=True, timeout=60, check=False).stdout.decode()
    key_ids = {line.rsplit("keyid", 1)[1].strip() for line in listed.splitlines()
               if line.startswith(":pubkey enc packet:")}
    assert subkey_ids(gnupg, "bob@example.net") <= key_ids
    assert subkey_ids(gnupg, "mallory@example.org") <= key_ids
    assert not subkey_ids(gnupg, "dave@example.net") & key_ids


def test_group_mail_gossips_each_visible_recipients_key_inside_the_encryption(
        gnupg: Keyring) -> None:
    """Autocrypt gossip: Bob and Mallory each find the other's key inside (Bob's from the
    keyring, Mallory's from her header); Dave, in Bcc, is gossiped to nobody."""
    from tui_mail.crypto.outgoing import Encrypt, SecurityChoice, sealed
    from tui_mail.mail.autocrypt import parse_autocrypt

    mallory_key = gnupg.gpg("--export", "mallory@example.org", home=gnupg.other)
    draft = Draft(identity=Address("Alice", "alice@example.org"),
                  to=(Address("Bob", "bob@example.net"), Address("", "mallory@example.org")),
                  bcc=(Address("Dave", "dave@example.net"),), subject="Plans", body="Hi\n")
    message = sealed(compose(draft), SecurityChoice(sign=True, encrypt=Encrypt.ON),
                     "alice@example.org", peer_keys={"mallory@example.org": mallory_key},
                     gossip=True)
    assert b"Autocrypt-Gossip" not in message.raw  # only inside
    assert states(open_message(message.raw).layers) == ["decrypted", "good signature"]
    inner = message_from_bytes(decrypted(gnupg, message.raw), policy=default)
    gossip = [str(v) for v in inner.get_all("Autocrypt-Gossip", [])]
    assert len(gossip) == 2 and not any("dave" in value for value in gossip)
    for address in ("bob@example.net", "mallory@example.org"):
        found = parse_autocrypt(gossip, address)
        assert found is not None
        shown = gnupg.gpg("--show-keys", "--with-colons", data=found.keydata).decode()
        assert gnupg.fingerprints[address] in shown

    alone = Draft(identity=Address("Alice", "alice@example.org"),
                  to=(Address("Bob", "bob@example.net"),), subject="Plans", body="Hi\n")
    one = sealed(compose(alone), SecurityChoice(encrypt=Encrypt.ON), "alice@example.org",
                 gossip=True)
    assert b"Autocrypt-Gossip" not in decrypted(gnupg, one.raw)  # nobody to tell


def decrypted(gnupg: Keyring, raw: bytes) -> bytes:
    """The encrypted part as the user's gpg decrypts it: the entity with its headers."""
    return gnupg.gpg("--decrypt", data=raw[raw.index(b"-----BEGIN PGP MESSAGE"):])


def test_signed_text_that_servers_would_change_goes_quoted_printable() -> None:
    """Trailing spaces (stripped by some servers) and a line beginning "From " (mbox
    delivery writes ">From ") would break the signature on the way: such text is sent
    quoted-printable, and reads back as written with a good signature."""
    body = "Signed text with a trailing space \nFrom here on, plain.\nTabbed\t\n"
    signed = seal(composed(body=body), Seal(sign_as="alice@example.org"))
    assert b"=46rom here on" in signed.raw and b"\r\nFrom here" not in signed.raw
    assert b"space=20\r\n" in signed.raw and b"Tabbed=09\r\n" in signed.raw
    opened = open_message(signed.raw)
    assert states(opened.layers) == ["good signature"]
    assert parse_message(opened.raw).text_body == body
    plain = seal(composed(body="Nothing risky here.\n"), Seal(sign_as="alice@example.org"))
    assert b"quoted-printable" not in plain.raw


def test_an_autocrypt_header_holding_two_keys_is_not_encrypted_to(gnupg: Keyring) -> None:
    """A header that carries Mallory's key and Dave's would make mail to Mallory readable by
    Dave: such keydata is not used, and the recipient is named as having no key."""
    from tui_mail.crypto.autocrypt_keys import can_encrypt_to
    from tui_mail.crypto.gnupg import GnuPG
    from tui_mail.crypto.outgoing import Encrypt, SecurityChoice, sealed

    both = gnupg.gpg("--export", "mallory@example.org", "dave@example.net", home=gnupg.other)
    assert not can_encrypt_to(GnuPG("gpg"), both)
    draft = Draft(identity=Address("Alice", "alice@example.org"),
                  to=(Address("", "mallory@example.org"),), subject="Plans", body="Hi\n")
    with pytest.raises(SealError, match="no key to encrypt to for mallory@example.org"):
        sealed(compose(draft), SecurityChoice(encrypt=Encrypt.ON), "alice@example.org",
               peer_keys={"mallory@example.org": both})
