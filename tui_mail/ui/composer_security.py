"""Whether the message being written is signed and encrypted: the composer's choice, where it
starts (the account's `sign` and `encrypt` settings, and the message answered), and what it
does to the built message when it is sent (crypto.sealing, in the send worker).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from tui_mail.mail.compose import Composed
from tui_mail.mail.draftfile import DraftFields
from tui_mail.model import Account, CryptoKind, EncryptPolicy, SignPolicy


class Encrypt(enum.StrEnum):
    OFF = "off"
    ON = "on"  # every recipient must have a key, or nothing is sent
    AUTO = "auto"  # encrypted when every recipient has a key, else sent as it is


@dataclass(frozen=True)
class SecurityChoice:
    sign: bool = False
    encrypt: Encrypt = Encrypt.OFF
    kind: CryptoKind = CryptoKind.OPENPGP  # the account's `crypto`

    @classmethod
    def initial(cls, account: Account, fields: DraftFields) -> SecurityChoice:
        sign = account.sign is SignPolicy.ALWAYS or (
            account.sign is SignPolicy.IF_REPLYING_TO_SIGNED and fields.answers_signed)
        encrypt = {EncryptPolicy.ALWAYS: Encrypt.ON,
                   EncryptPolicy.IF_ALL_RECIPIENTS_HAVE_KEYS: Encrypt.AUTO}.get(
            account.encrypt, Encrypt.OFF)
        if fields.answers_encrypted:
            # An encrypted conversation stays encrypted: a recipient without a key is named
            # before anything is sent, never answered in clear without the user's F6.
            encrypt = Encrypt.ON
        return cls(sign, encrypt, account.crypto)

    def toggle_sign(self) -> SecurityChoice:
        return replace(self, sign=not self.sign)

    def toggle_encrypt(self) -> SecurityChoice:
        return replace(self, encrypt=Encrypt.OFF if self.encrypt is Encrypt.ON else Encrypt.ON)

    def describe(self, signer: str) -> str:
        """The composer's line, in words."""
        signed = f"signed as {signer}" if self.sign else "not signed"
        if self.kind is CryptoKind.SMIME and (self.sign or self.encrypt is not Encrypt.OFF):
            signed = f"S/MIME: {signed}"
        encrypted = {Encrypt.OFF: "not encrypted",
                     Encrypt.ON: "encrypted to every recipient (and you)",
                     Encrypt.AUTO: "encrypted if every recipient has a key"}[self.encrypt]
        return f"{signed} · {encrypted}"


def sealed(composed: Composed, choice: SecurityChoice, signer: str, *,
           passphrase: str | None = None) -> Composed:
    """`composed` signed and encrypted as `choice` says; blocking (runs gpg). Raises
    crypto.sealing's PassphraseNeeded, or SealError saying what stops it (who has no key)."""
    if not choice.sign and choice.encrypt is Encrypt.OFF:
        return composed
    from tui_mail.crypto.gnupg import GnuPG
    from tui_mail.crypto.sealing import Seal, SealError, seal, without_keys

    gpg = GnuPG("gpgsm" if choice.kind is CryptoKind.SMIME else "gpg")
    encrypt_to: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    if choice.encrypt is not Encrypt.OFF:
        everyone = tuple(dict.fromkeys((*composed.rcpts, signer)))
        missing = without_keys(gpg, everyone)
        if missing and choice.encrypt is Encrypt.ON:
            names = ", ".join(f"{address} (yours)" if address == signer else address
                              for address in missing)
            raise SealError(f"not encrypted, so not sent: no key to encrypt to for {names};"
                            " import their keys, or turn encryption off (F6) to send it as"
                            " it is")
        if not missing:
            shown = visible_recipients(composed.raw) | {signer.lower()}
            encrypt_to = tuple(a for a in everyone if a.lower() in shown)
            hidden = tuple(a for a in everyone if a.lower() not in shown)  # Bcc
    return seal(composed, Seal(sign_as=signer if choice.sign else "", encrypt_to=encrypt_to,
                               kind=choice.kind, hidden=hidden), gpg, passphrase=passphrase)


def visible_recipients(raw: bytes) -> set[str]:
    """The addresses in the message's To and Cc (lower-cased): the envelope's others are
    its Bcc."""
    from email.utils import getaddresses

    from tui_mail.mail.protected import header_fields, split_head

    values = [line.split(b":", 1)[1].decode("utf-8", "replace")
              for name, line in header_fields(split_head(raw)[0])
              if name.lower() in ("to", "cc")]
    return {address.lower() for _, address in getaddresses(values) if address}
