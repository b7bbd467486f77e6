"""Whether the message being written is signed and encrypted: the composer's choice, where it
starts (the account's `sign` and `encrypt` settings, and the message answered), and what it
does to the built message when it is sent (crypto.sealing, in the send worker).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tui_mail.mail.autocrypt import Recommendation
from tui_mail.mail.compose import Composed
from tui_mail.mail.draftfile import DraftFields
from tui_mail.model import Account, AutocryptMode, CryptoKind, EncryptPolicy, SignPolicy

if TYPE_CHECKING:
    from tui_mail.crypto.gnupg import GnuPG
    from tui_mail.mail.autocrypt import Peer


# Keys looked for elsewhere (a key directory) for addresses neither the keyring nor Autocrypt
# has one for: what was found (address: key data, checked before use), and for each address
# not found, why, in words.
KeyFinder = Callable[[Sequence[str]], tuple[dict[str, bytes], dict[str, str]]]


class Encrypt(enum.StrEnum):
    OFF = "off"
    ON = "on"  # every recipient must have a key, or nothing is sent
    AUTO = "auto"  # encrypted when every recipient has a key, else sent as it is


@dataclass(frozen=True)
class SecurityChoice:
    sign: bool = False
    encrypt: Encrypt = Encrypt.OFF
    kind: CryptoKind = CryptoKind.OPENPGP  # the account's `crypto`
    # Autocrypt's recommendation for the recipients typed so far (None: the account does not
    # take part), and whether the user chose encryption with F6 (then it no longer follows).
    recommendation: Recommendation | None = None
    chosen: bool = False

    @property
    def encrypts(self) -> Encrypt:
        """What happens at send time: the choice, or Autocrypt's "encrypt" until F6."""
        if not self.chosen and self.recommendation is Recommendation.ENCRYPT:
            return Encrypt.ON
        return self.encrypt

    @classmethod
    def initial(cls, account: Account, fields: DraftFields) -> SecurityChoice:
        sign = account.sign is SignPolicy.ALWAYS or (
            account.sign is SignPolicy.IF_REPLYING_TO_SIGNED and fields.answers_signed)
        if fields.sign is not None:  # a draft keeps the F5 choice it was saved with
            sign = fields.sign
        encrypt = {EncryptPolicy.ALWAYS: Encrypt.ON,
                   EncryptPolicy.IF_ALL_RECIPIENTS_HAVE_KEYS: Encrypt.AUTO}.get(
            account.encrypt, Encrypt.OFF)
        if fields.answers_encrypted:
            # An encrypted conversation stays encrypted: a recipient without a key is named
            # before anything is sent, never answered in clear without the user's F6.
            encrypt = Encrypt.ON
        if fields.encrypt is not None:  # a draft keeps the F6 choice it was saved with
            return cls(sign, Encrypt.ON if fields.encrypt else Encrypt.OFF, account.crypto,
                       chosen=True)
        return cls(sign, encrypt, account.crypto)

    @property
    def encrypt_field(self) -> bool | None:
        """F6's choice as a draft keeps it (None: the user has not chosen)."""
        return (self.encrypt is Encrypt.ON) if self.chosen else None

    def toggle_sign(self) -> SecurityChoice:
        return replace(self, sign=not self.sign)

    def toggle_encrypt(self) -> SecurityChoice:
        return replace(self, encrypt=Encrypt.OFF if self.encrypts is Encrypt.ON else Encrypt.ON,
                       chosen=True)

    def recommending(self, recommendation: Recommendation | None) -> SecurityChoice:
        return replace(self, recommendation=recommendation)

    def describe(self, signer: str) -> str:
        """The composer's line, in words."""
        encrypts = self.encrypts
        signed = f"signed as {signer}" if self.sign else "not signed"
        if self.kind is CryptoKind.SMIME and (self.sign or encrypts is not Encrypt.OFF):
            signed = f"S/MIME: {signed}"
        encrypted = {Encrypt.OFF: "not encrypted",
                     Encrypt.ON: "encrypted to every recipient (and you)",
                     Encrypt.AUTO: "encrypted if every recipient has a key"}[encrypts]
        return f"{signed} · {encrypted}{self._autocrypt_says(encrypts)}"

    def _autocrypt_says(self, encrypts: Encrypt) -> str:
        if self.recommendation is Recommendation.ENCRYPT and encrypts is Encrypt.ON \
                and not self.chosen:
            return " · Autocrypt: every recipient asks for it"
        if encrypts is not Encrypt.OFF:
            return ""
        if self.recommendation is Recommendation.AVAILABLE:
            return " · Autocrypt: every recipient has a key"
        if self.recommendation is Recommendation.DISCOURAGE:
            return " · Autocrypt: a recipient's key is old or known only from others"
        return ""


def sealed(composed: Composed, choice: SecurityChoice, signer: str, *,
           passphrase: str | None = None,
           peer_keys: Mapping[str, bytes] | None = None, gossip: bool = False,
           find_keys: KeyFinder | None = None) -> Composed:
    """`composed` signed and encrypted as `choice` says; blocking (runs gpg). Raises
    crypto.sealing's PassphraseNeeded, or SealError saying what stops it (who has no key).
    `peer_keys`: recipients' keys from their Autocrypt headers (lower-cased address: key),
    used for those the keyring has no key for. `gossip`: an Autocrypt account's encrypted
    mail to two or more carries each visible recipient's key inside (Autocrypt-Gossip).
    `find_keys`: where to look (the Web Key Directory) for the recipients still without one;
    a key found is used only if it is one key for that address that can encrypt."""
    encrypts = choice.encrypts
    if not choice.sign and encrypts is Encrypt.OFF:
        return composed
    from tui_mail.crypto.gnupg import GnuPG
    from tui_mail.crypto.sealing import Seal, SealError, seal, without_keys

    gpg = GnuPG("gpgsm" if choice.kind is CryptoKind.SMIME else "gpg")
    encrypt_to: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    gossiped: tuple[tuple[str, bytes], ...] = ()
    key_files: tuple[tuple[str, bytes], ...] = ()
    if encrypts is not Encrypt.OFF:
        everyone = tuple(dict.fromkeys((*composed.rcpts, signer)))
        not_in_keyring = without_keys(gpg, everyone)
        usable = _usable_peer_keys(gpg, choice.kind, not_in_keyring, peer_keys or {})
        why: dict[str, str] = {}
        unfound = [a for a in not_in_keyring if a not in usable and a.lower() != signer.lower()]
        if unfound and find_keys is not None and choice.kind is CryptoKind.OPENPGP:
            usable |= _found_keys(gpg, unfound, find_keys, why)
        key_files = tuple(usable.items())
        missing = [address for address in not_in_keyring if address not in usable]
        if missing and encrypts is Encrypt.ON:
            names = ", ".join(f"{address} (yours)" if address == signer else
                              f"{address} ({why[address]})" if address in why else address
                              for address in missing)
            raise SealError(f"not encrypted, so not sent: no key to encrypt to for {names};"
                            " import their keys, or turn encryption off (F6) to send it as"
                            " it is")
        if not missing:
            shown = visible_recipients(composed.raw) | {signer.lower()}
            encrypt_to = tuple(a for a in everyone if a.lower() in shown)
            hidden = tuple(a for a in everyone if a.lower() not in shown)  # Bcc
            others = [a for a in encrypt_to if a.lower() != signer.lower()]
            if gossip and choice.kind is CryptoKind.OPENPGP and len(others) >= 2:
                gossiped = _gossip(gpg, others, dict(key_files))
    return seal(composed, Seal(sign_as=signer if choice.sign else "", encrypt_to=encrypt_to,
                               kind=choice.kind, hidden=hidden, key_files=key_files,
                               gossip=gossiped),
                gpg, passphrase=passphrase)


def _gossip(gpg: GnuPG, addresses: list[str],
            learned: dict[str, bytes]) -> tuple[tuple[str, bytes], ...]:
    """The key each address is encrypted to, as gossip carries it."""
    from tui_mail.crypto.autocrypt_keys import can_encrypt_to, public_keydata

    found = []
    for address in addresses:
        key = learned.get(address) or public_keydata(gpg, address)
        if key and can_encrypt_to(gpg, key):  # one key, the one encrypted to
            found.append((address.lower(), key))
    return tuple(found)


def usable_peers(peers: Mapping[str, Peer]) -> dict[str, Peer]:
    """The peers whose key gpg can encrypt to (one key, not expired or revoked): a header
    with garbage, several keys or a dead key counts as no key (level 1), so it never makes
    the composer encrypt a message it then cannot send. Blocking (runs gpg)."""
    from tui_mail.crypto.autocrypt_keys import can_encrypt_to
    from tui_mail.crypto.gnupg import GnuPG

    gpg = GnuPG("gpg")
    return {address: peer for address, peer in peers.items()
            if peer.key and can_encrypt_to(gpg, peer.key)}


def secured(composed: Composed, account: Account, choice: SecurityChoice, signer: str, *,
            peers: Callable[[list[str]], Mapping[str, Peer]],
            find_keys: KeyFinder | None = None, passphrase: str | None = None) -> Composed:
    """`composed` as the account sends it, from the composer or `tui-mail send`: with the
    user's key in an Autocrypt header and the recipients' Autocrypt keys used (an account that
    takes part; `peers` reads them from the cache), the recipients' key directories asked (an
    account with `wkd`: `find_keys`), then signed and encrypted as `choice` says. Blocking
    (runs gpg); raises what `sealed` raises."""
    openpgp = account.crypto is CryptoKind.OPENPGP
    autocrypt = account.autocrypt is not AutocryptMode.OFF and openpgp
    peer_keys: dict[str, bytes] = {}
    if autocrypt:
        composed = with_own_key(composed, signer, account.autocrypt is AutocryptMode.MUTUAL)
        peer_keys = {address: peer.key for address, peer in peers(list(composed.rcpts)).items()
                     if peer.key}
    return sealed(composed, choice, signer, passphrase=passphrase, peer_keys=peer_keys,
                  gossip=autocrypt, find_keys=find_keys if account.wkd and openpgp else None)


def _found_keys(gpg: GnuPG, addresses: list[str], find_keys: KeyFinder,
                why: dict[str, str]) -> dict[str, bytes]:
    """The keys `find_keys` finds that gpg can encrypt to, each carrying its address; `why`
    gets a reason for each address left without one."""
    from tui_mail.crypto.autocrypt_keys import can_encrypt_to

    fetched, reasons = find_keys(addresses)
    why.update(reasons)
    found = {}
    for address, key in fetched.items():
        if can_encrypt_to(gpg, key, address):
            found[address] = key
        else:
            why[address] = ("the key its domain publishes is not one key for this address"
                            " that can encrypt")
    return found


def _usable_peer_keys(gpg: GnuPG, kind: CryptoKind, addresses: list[str],
                      peer_keys: Mapping[str, bytes]) -> dict[str, bytes]:
    """The Autocrypt keys of `addresses` that gpg can encrypt to (OpenPGP only)."""
    if kind is not CryptoKind.OPENPGP:
        return {}
    from tui_mail.crypto.autocrypt_keys import can_encrypt_to

    found = {}
    for address in addresses:
        key = peer_keys.get(address.lower())
        if key and can_encrypt_to(gpg, key):
            found[address] = key
    return found


def visible_recipients(raw: bytes) -> set[str]:
    """The addresses in the message's To and Cc (lower-cased): the envelope's others are
    its Bcc."""
    from email.utils import getaddresses

    from tui_mail.mail.protected import header_fields, split_head

    values = [line.split(b":", 1)[1].decode("utf-8", "replace")
              for name, line in header_fields(split_head(raw)[0])
              if name.lower() in ("to", "cc")]
    return {address.lower() for _, address in getaddresses(values) if address}


def with_own_key(composed: Composed, address: str, mutual: bool) -> Composed:
    """`composed` with the Autocrypt header that carries the user's key for `address`
    (unchanged when the keyring has no secret key for it); blocking (runs gpg)."""
    from tui_mail.crypto.autocrypt_keys import own_keydata
    from tui_mail.crypto.gnupg import GnuPG
    from tui_mail.mail.autocrypt import autocrypt_header, with_header

    keydata = own_keydata(GnuPG("gpg"), address)
    if not keydata:
        return composed
    return replace(composed, raw=with_header(composed.raw,
                                             autocrypt_header(address.lower(), keydata, mutual)))


def sealed_draft(raw: bytes, own: str, kind: CryptoKind) -> bytes:
    """A draft's bytes encrypted to the user's own key for `own` (their From), as Thunderbird
    keeps the drafts of encrypted mail: the cache and the server's Drafts folder then hold
    ciphertext, never the text of an encrypted conversation. Blocking (runs gpg); raises
    SealError when there is no key of the user's to encrypt to."""
    from tui_mail.crypto.gnupg import GnuPG
    from tui_mail.crypto.sealing import Seal, SealError, seal, without_keys

    gpg = GnuPG("gpgsm" if kind is CryptoKind.SMIME else "gpg")
    if without_keys(gpg, (own,)):
        raise SealError(f"it is kept only encrypted, and there is no key of yours for {own}"
                        " to encrypt it to")
    draft = Composed(raw=raw, mail_from=own, rcpts=(own,), message_id="")
    return seal(draft, Seal(encrypt_to=(own,), kind=kind), gpg).raw


@dataclass(frozen=True)
class Unsealed:
    """A draft or an outbox message as the composer takes it back: its plain bytes, and
    whether it was encrypted or signed (the composer then starts so again)."""

    raw: bytes
    encrypted: bool = False
    signed: bool = False


def unsealed(raw: bytes, passphrase: str | None = None) -> Unsealed:
    """`raw` decrypted (and taken out of its signature) when it is sealed, else as it is.
    Blocking (runs gpg). Raises PassphraseNeeded when the user's key needs its passphrase, or
    SealError saying why it cannot be opened."""
    from tui_mail.crypto.opening import is_protected, open_message
    from tui_mail.crypto.sealing import PassphraseNeeded, SealError
    from tui_mail.model import Encryption, Signature

    if not is_protected(raw):
        return Unsealed(raw)
    opened = open_message(raw, passphrase=passphrase)
    waiting = opened.needs_passphrase
    if waiting is not None:
        raise PassphraseNeeded(waiting.key_hint)
    encryptions = [layer for layer in opened.layers if isinstance(layer, Encryption)]
    if any(not layer.decrypted for layer in encryptions):
        error = next(layer.error for layer in encryptions if not layer.decrypted)
        raise SealError(f"it is encrypted and cannot be opened here: {error or 'no key'}")
    return Unsealed(opened.raw, encrypted=bool(encryptions),
                    signed=any(isinstance(layer, Signature) for layer in opened.layers))
