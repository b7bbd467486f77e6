"""Opening a signed or encrypted message: decrypt and verify it with the user's GnuPG, layer
by layer (an encrypted message often holds a signed one), into the message to show and what
was found on the way.

Blocking (it runs gpg and gpgsm): call it from a worker thread. The plaintext it returns is for
the screen; it is never written to the cache (see `Opened.decrypted`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from email.utils import getaddresses

from tui_mail.crypto.gnupg import CryptoError, GnuPG, GpgRun
from tui_mail.crypto.verdicts import encryption, signature_failure, signatures
from tui_mail.mail.protected import (
    DetachedSignature,
    Encrypted,
    Protection,
    charset_of,
    protection_of,
    split_head,
    text_entity,
    with_inner,
)
from tui_mail.model import CryptoKind, Encryption, SecurityLayer, Signature, SignatureState

MAX_LAYERS = 4  # encrypted, signed, and a little more; a message nested deeper is shown as is
_EMAIL = re.compile(r"<([^<>\s]+@[^<>\s]+)>|\b([^<>\s:/=]+@[^<>\s/]+)")


@dataclass(frozen=True)
class Opened:
    """The message to show and the layers opened to get it, outermost first."""

    raw: bytes
    layers: tuple[SecurityLayer, ...] = ()

    @property
    def decrypted(self) -> bool:
        """Some layer was decrypted: `raw` holds plaintext the cache must not keep."""
        return any(isinstance(layer, Encryption) and layer.decrypted for layer in self.layers)

    @property
    def needs_passphrase(self) -> Encryption | None:
        """The layer that a passphrase would open, if that is what stopped the opening."""
        last = self.layers[-1] if self.layers else None
        return last if isinstance(last, Encryption) and last.needs_passphrase else None


class Keyrings:
    """The user's two programs: gpg (OpenPGP) and gpgsm (S/MIME)."""

    def __init__(self, gpg: GnuPG | None = None, gpgsm: GnuPG | None = None) -> None:
        self.gpg = gpg or GnuPG("gpg")
        self.gpgsm = gpgsm or GnuPG("gpgsm")

    def of(self, kind: CryptoKind) -> GnuPG:
        return self.gpg if kind is CryptoKind.OPENPGP else self.gpgsm

    def addresses_of(self, kind: CryptoKind, fingerprint: str) -> set[str]:
        """The e-mail addresses of the key (OpenPGP user ids) or certificate (S/MIME subject
        and alternative names) with this fingerprint, lower-cased."""
        if not fingerprint:
            return set()
        run = self.of(kind).run(["--list-keys", "--with-colons", fingerprint])
        found: set[str] = set()
        for line in run.output.decode("utf-8", "replace").splitlines():
            fields = line.split(":")
            if fields[0] in ("uid", "crt", "crs") and len(fields) > 9:
                found.update(m.group(1) or m.group(2) for m in _EMAIL.finditer(
                    fields[9].replace("\\x3a", ":")))
        return {address.lower().rstrip(">") for address in found}


def is_protected(raw: bytes) -> bool:
    """Whether `raw` is signed or encrypted at its top (cheap: headers and a prefix only)."""
    return protection_of(raw) is not None


def open_message(raw: bytes, keyrings: Keyrings | None = None, *,
                 passphrase: str | None = None) -> Opened:
    """Decrypt and verify what can be; a message that is neither is returned as it is.

    Failures are layers that say what went wrong (not decrypted, bad signature, GnuPG not
    installed); nothing here raises for a message, however it is made."""
    keyrings = keyrings or Keyrings()
    layers: list[SecurityLayer] = []
    sender = _sender(raw)
    for _ in range(MAX_LAYERS):
        protection = protection_of(raw)
        if protection is None:
            break
        try:
            inner, found = _open(protection, raw, keyrings, passphrase)
        except CryptoError as exc:
            layers.append(_failed(protection, str(exc)))
            break
        layers.extend(_with_sender(keyrings, found, sender))
        if inner is None:
            break
        raw = inner
    return Opened(raw, tuple(layers))


def _open(protection: Protection, raw: bytes, keyrings: Keyrings,
          passphrase: str | None) -> tuple[bytes | None, list[SecurityLayer]]:
    kind = protection.kind
    program = keyrings.of(kind)
    if isinstance(protection, Encrypted):
        run = program.run(["--decrypt"], protection.data, passphrase=passphrase)
        opened = encryption(run, kind, passphrase_given=passphrase is not None)
        if not opened.decrypted:
            return None, [opened]
        # OpenPGP signs and encrypts in one go (RFC 3156 6.2): its signatures come with it
        found: list[SecurityLayer] = [opened, *signatures(run, kind)]
        inner = text_entity(run.output, charset_of(raw)) if protection.inline else run.output
        return with_inner(raw, inner), found
    if isinstance(protection, DetachedSignature):
        if kind is CryptoKind.OPENPGP:
            run = program.run_with_files(["--verify", "{0}", "-"], [protection.signature],
                                         protection.signed)
        else:
            run = program.run_with_files(["--verify", "{0}", "{1}"],
                                         [protection.signature, protection.signed])
        return with_inner(raw, protection.signed), _checked(run, kind)
    if kind is CryptoKind.OPENPGP:  # clearsigned text: gpg gives the text and checks it
        run = program.run(["--decrypt"], protection.data)
        content = text_entity(run.output, charset_of(raw)) if run.output else b""
    else:
        run = program.run(["--verify", "--output", "-"], protection.data)
        content = run.output
    return (with_inner(raw, content) if content else None), _checked(run, kind)


def _checked(run: GpgRun, kind: CryptoKind) -> list[SecurityLayer]:
    found = signatures(run, kind)
    if found:
        return list(found)
    return [Signature(kind, SignatureState.ERROR, error=signature_failure(run))]


def _failed(protection: Protection, why: str) -> SecurityLayer:
    if isinstance(protection, Encrypted):
        return Encryption(protection.kind, False, error=why)
    return Signature(protection.kind, SignatureState.ERROR, error=why)


def _sender(raw: bytes) -> str:
    head, _ = split_head(raw)
    for line in re.split(rb"\r?\n(?![ \t])", head):
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"from":
            pairs = getaddresses([value.decode("utf-8", "replace")])
            return pairs[0][1].lower() if pairs else ""
    return ""


def _with_sender(keyrings: Keyrings, layers: list[SecurityLayer],
                 sender: str) -> list[SecurityLayer]:
    """Good signatures marked when no address of the key is the From address."""
    out: list[SecurityLayer] = []
    for layer in layers:
        if isinstance(layer, Signature) and layer.state is SignatureState.GOOD and sender:
            try:
                addresses = keyrings.addresses_of(layer.kind, layer.fingerprint)
            except CryptoError:
                addresses = set()
            if addresses and sender not in addresses:
                layer = replace(layer, matches_sender=False)
        out.append(layer)
    return out
