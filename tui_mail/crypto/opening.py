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

from tui_mail.crypto.gnupg import CryptoError, GnuPG, GpgRun, addresses_in, colon_field
from tui_mail.crypto.verdicts import encryption, signature_failure, signatures
from tui_mail.mail.protected import (
    DetachedSignature,
    Encrypted,
    Protection,
    charset_of,
    header_fields,
    protected_from,
    protection_of,
    split_head,
    text_entity,
    with_inner,
)
from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import (
    CryptoKind,
    Encryption,
    KeyValidity,
    ProtectedSender,
    SecurityLayer,
    Signature,
    SignatureState,
    UnprotectedText,
)

MAX_LAYERS = 4  # encrypted, signed, and a little more; a message nested deeper is shown as is


@dataclass(frozen=True)
class Opened:
    """The message to show and the layers opened to get it, outermost first."""

    raw: bytes
    layers: tuple[SecurityLayer, ...] = ()
    # The Autocrypt-Gossip headers at the root of what was decrypted (mail.autocrypt).
    gossip: tuple[str, ...] = ()

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

    def name_of(self, kind: CryptoKind, key_id: str) -> str:
        """Who a key id an encrypted message names is: the key's first user id as the
        keyring has it, "a hidden recipient" for gpg's id of zeros, else the id itself."""
        if kind is not CryptoKind.OPENPGP or not re.fullmatch(r"[0-9A-Fa-f]{8,40}", key_id):
            return key_id
        if not key_id.strip("0"):
            return "a hidden recipient"
        try:
            run = self.gpg.run(["--list-keys", "--with-colons", key_id])
        except CryptoError:
            return key_id
        for line in run.output.decode("utf-8", "replace").splitlines():
            fields = line.split(":")
            if fields[0] == "uid" and len(fields) > 9 and fields[1] not in _UNUSABLE:
                return sanitize_line(colon_field(fields[9]))
        return key_id

    def user_ids_of(self, kind: CryptoKind, fingerprint: str) -> dict[str, UserId]:
        """The e-mail addresses (lower-cased) of the key (OpenPGP user ids) or certificate
        (S/MIME subject and alternative names) with this fingerprint. An OpenPGP user id has
        its own validity: a key certified for one address proves nothing of the others. A
        revoked, expired or invalid user id is left out."""
        if not fingerprint:
            return {}
        run = self.of(kind).run(["--list-keys", "--with-colons", fingerprint])
        found: dict[str, UserId] = {}
        for line in run.output.decode("utf-8", "replace").splitlines():
            fields = line.split(":")
            if fields[0] not in ("uid", "crt", "crs") or len(fields) <= 9:
                continue
            if kind is CryptoKind.OPENPGP and fields[0] == "uid" and fields[1] in _UNUSABLE:
                continue
            text = colon_field(fields[9])
            validity = (_UID_VALIDITY.get(fields[1], KeyValidity.UNKNOWN)
                        if kind is CryptoKind.OPENPGP else None)
            for address in addresses_in(text):
                found.setdefault(address, UserId(sanitize_line(text), validity))
        return found


@dataclass(frozen=True)
class UserId:
    """One address of a key: the user id that names it and, for OpenPGP, its own validity
    (None: the key's, as for an S/MIME certificate, whose CA vouches for all its names)."""

    text: str
    validity: KeyValidity | None


# A user id's validity in a --with-colons listing (GnuPG's DETAILS, field 2).
_UID_VALIDITY = {"u": KeyValidity.FULL, "f": KeyValidity.FULL, "m": KeyValidity.MARGINAL,
                 "n": KeyValidity.NEVER}
_UNUSABLE = frozenset("rei" "d")  # revoked, expired, invalid, disabled
_STRENGTH = (KeyValidity.NEVER, KeyValidity.UNKNOWN, KeyValidity.MARGINAL, KeyValidity.FULL)


def is_protected(raw: bytes) -> bool:
    """Whether `raw` is signed or encrypted at its top (cheap: headers and a prefix only)."""
    return protection_of(raw) is not None


def open_message(raw: bytes, keyrings: Keyrings | None = None, *,
                 passphrase: str | None = None) -> Opened:
    """Decrypt and verify what can be; a message that is neither is returned as it is.

    Failures are layers that say what went wrong (not decrypted, bad signature, GnuPG not
    installed); nothing here raises for a message, however it is made. Signatures are checked
    against the outer From, which stays the From shown (see mail.protected)."""
    keyrings = keyrings or Keyrings()
    layers: list[SecurityLayer] = []
    gossip: tuple[str, ...] = ()
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
        found = _with_sender(keyrings, found, sender)
        layers.extend(found)
        if inner is not None and getattr(protection, "inline", False) \
                and _text_after_block(protection):
            layers.append(UnprotectedText(protection.kind, isinstance(protection, Encrypted)))
        if inner is None:
            break
        if _holds(found):
            layers.extend(_other_sender(protection.kind, inner, sender, found))
            if not gossip and isinstance(protection, Encrypted) and not protection.inline:
                gossip = tuple(value.decode("utf-8", "replace").split(":", 1)[1].strip()
                               for name, value in header_fields(split_head(inner)[0])
                               if name.lower() == "autocrypt-gossip")
        raw = with_inner(raw, inner, trusted=_holds(found))
    return Opened(raw, tuple(layers), gossip)


_BLOCK_END = re.compile(rb"^-----END PGP (?:SIGNATURE|MESSAGE)-----[ \t]*\r?$", re.MULTILINE)


def _text_after_block(protection: Protection) -> bool:
    """Whether an inline block's text part goes on after the block's end line."""
    data = protection.data if not isinstance(protection, DetachedSignature) else b""
    ends = list(_BLOCK_END.finditer(data))
    return bool(ends) and bool(data[ends[0].end():].strip())


def _holds(found: list[SecurityLayer]) -> bool:
    """Whether a layer may speak for the sender (its protected headers are shown): it was
    decrypted and no signature in it is bad, or it is signed and every signature is good. A
    signature that cannot be checked proves nothing, but an encryption it came in still hides
    the real Subject, which is the sender's."""
    signatures = [layer for layer in found if isinstance(layer, Signature)]
    if any(isinstance(layer, Encryption) and layer.decrypted for layer in found):
        return all(layer.state is not SignatureState.BAD for layer in signatures)
    return bool(signatures) and all(layer.state is SignatureState.GOOD for layer in signatures)


def _other_sender(kind: CryptoKind, inner: bytes, sender: str,
                  found: list[SecurityLayer]) -> list[SecurityLayer]:
    written = protected_from(inner)
    pairs = getaddresses([written]) if written else []
    address = pairs[0][1].lower() if pairs else ""
    if not address or address == sender:
        return []
    signed = any(isinstance(layer, Signature) for layer in found)
    return [ProtectedSender(kind, address, signed)]


def _open(protection: Protection, raw: bytes, keyrings: Keyrings,
          passphrase: str | None) -> tuple[bytes | None, list[SecurityLayer]]:
    """The inner entity (None when there is none to show) and the layers found."""
    kind = protection.kind
    program = keyrings.of(kind)
    # Reading a message never reaches out to a key server (that would tell the sender, or
    # whoever watches, that it was read): a user's gpg.conf may turn retrieval on.
    quiet = ["--no-auto-key-retrieve"] if kind is CryptoKind.OPENPGP else []
    if isinstance(protection, Encrypted):
        run = program.run([*quiet, "--decrypt"], protection.data, passphrase=passphrase)
        opened = encryption(run, kind, passphrase_given=passphrase is not None)
        if not opened.decrypted and not opened.recipients and run.output \
                and signatures(run, kind):  # an armored PGP MESSAGE that is only signed
            inner = text_entity(run.output, charset_of(raw)) if protection.inline \
                else run.output
            return inner, _checked(run, kind)
        if not opened.decrypted:
            return None, [opened]
        opened = replace(opened, recipient_names=tuple(
            keyrings.name_of(kind, key_id) for key_id in opened.recipients))
        # OpenPGP signs and encrypts in one go (RFC 3156 6.2): its signatures come with it
        found: list[SecurityLayer] = [opened, *signatures(run, kind)]
        inner = text_entity(run.output, charset_of(raw)) if protection.inline else run.output
        return inner, found
    if isinstance(protection, DetachedSignature):
        # the signature in a temporary file, the signed text (maybe decrypted) on stdin only
        run = program.run_with_files([*quiet, "--verify", "{0}", "-"], [protection.signature],
                                     protection.signed)
        return protection.signed, _checked(run, kind)
    if kind is CryptoKind.OPENPGP:  # clearsigned text: gpg gives the text and checks it
        run = program.run([*quiet, "--decrypt"], protection.data)
        content = text_entity(run.output, charset_of(raw)) if run.output else b""
    else:
        run = program.run(["--verify", "--output", "-"], protection.data)
        content = run.output
    return (content or None), _checked(run, kind)


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
    """Good signatures checked against the From address: named by the user id that is that
    address, with that user id's validity; marked when no usable user id of the key is the
    From address (or there is no From, or the key's user ids cannot be read)."""
    out: list[SecurityLayer] = []
    for layer in layers:
        if isinstance(layer, Signature) and layer.state is SignatureState.GOOD:
            try:
                user_ids = keyrings.user_ids_of(layer.kind, layer.fingerprint)
            except CryptoError:
                user_ids = {}
            user_id = user_ids.get(sender) if sender else None
            if user_id is None:
                layer = replace(layer, matches_sender=False)
            elif user_id.validity is not None:  # OpenPGP: that user id, as sure as it is
                validity = min(layer.validity, user_id.validity, key=_STRENGTH.index)
                layer = replace(layer, user_id=user_id.text, validity=validity)
        out.append(layer)
    return out
