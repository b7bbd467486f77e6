"""The header block's lines about signatures and encryption, in words.

A line's label says how much to believe it, as the Verified line does for the sender's domain:
"Signed" only for a good signature by a certified key of the From address; "⚠ Signed" for a
signature that holds but proves less (a key nobody certified, another address, an expired or
revoked key, a key not in the keyring); "✗ Bad signature" when the message was changed after it
was signed; "⚠ Sender" when the From inside a signed or encrypted part is another address
than the From outside. The interface colours the labels (ui/widgets/message_view.py header_content).
"""

from __future__ import annotations

from collections.abc import Iterable

from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import (
    Encryption,
    KeyValidity,
    ProtectedSender,
    SecurityLayer,
    Signature,
    SignatureState,
)

SIGNED = "Signed"
SIGNED_WARNING = "⚠ Signed"
BAD_SIGNATURE = "✗ Bad signature"
ENCRYPTED = "Encrypted"
NOT_DECRYPTED = "⚠ Encrypted"
OTHER_SENDER = "⚠ Sender"
UNPROTECTED = "⚠ Not shown"


def grouped(fingerprint: str) -> str:
    """A fingerprint in groups of four, as people compare them ("EC03 692F ...")."""
    clean = "".join(fingerprint.split())
    return " ".join(clean[i:i + 4] for i in range(0, len(clean), 4))


def security_rows(layers: Iterable[SecurityLayer]) -> list[tuple[str, str]]:
    """(label, value) for each layer, outermost first."""
    rows = []
    for layer in layers:
        if isinstance(layer, Signature):
            rows.append(_signature_row(layer))
        elif isinstance(layer, Encryption):
            rows.append(_encryption_row(layer))
        elif isinstance(layer, ProtectedSender):
            rows.append(_sender_row(layer))
        else:
            block = "encrypted" if layer.encrypted else "signed"
            rows.append((UNPROTECTED, f"text after the {block} block, which it does not"
                                      " cover; R shows the whole message"))
    return rows


def _sender_row(sender: ProtectedSender) -> tuple[str, str]:
    part = "signed" if sender.signed else "encrypted"
    return OTHER_SENDER, (f"the {part} part says it is from {sanitize_line(sender.address)},"
                          " not the From above: the From shown is the one checked")


def _signer(signature: Signature) -> str:
    who = sanitize_line(signature.user_id)
    fingerprint = signature.fingerprint or signature.key_id
    key = f"key {grouped(fingerprint)}" if fingerprint else "no key named"
    return f"{who} · {key}" if who else key


def _signature_row(signature: Signature) -> tuple[str, str]:
    kind = signature.kind.value
    state = signature.state
    if state is SignatureState.GOOD:
        if not signature.matches_sender:
            return SIGNED_WARNING, (f"{_signer(signature)} ({kind}): a good signature, but by a"
                                    " key that is not the From address's")
        if signature.validity is KeyValidity.FULL:
            return SIGNED, f"{_signer(signature)} ({kind})"
        if signature.validity is KeyValidity.NEVER:
            return SIGNED_WARNING, (f"{_signer(signature)} ({kind}): a good signature by a key"
                                    " you marked as not to be trusted")
        return SIGNED_WARNING, (f"{_signer(signature)} ({kind}): a good signature, but nothing"
                                " certifies the key is theirs; compare its fingerprint with"
                                " the sender's")
    if state is SignatureState.BAD:
        return BAD_SIGNATURE, (f"{_signer(signature)} ({kind}): the message was changed after"
                               " it was signed, or the signature is forged")
    if state is SignatureState.UNKNOWN_KEY:
        return SIGNED_WARNING, (f"by a key not in your keyring, {_signer(signature)} ({kind}):"
                                " it cannot be checked; import the sender's key to check it")
    if state in (SignatureState.EXPIRED_KEY, SignatureState.REVOKED_KEY,
                 SignatureState.EXPIRED_SIGNATURE):
        return SIGNED_WARNING, f"{_signer(signature)} ({kind}): {state.value}"
    return SIGNED_WARNING, f"{kind} signature not checked: {sanitize_line(signature.error)}"


def _encryption_row(encryption: Encryption) -> tuple[str, str]:
    kind = encryption.kind.value
    if encryption.decrypted:
        to = ", ".join(sanitize_line(name) for name in
                       encryption.recipient_names or encryption.recipients)
        kept = "decrypted; its text is kept for search (cache_decrypted)" \
            if encryption.kept_for_search else "decrypted for reading only"
        return ENCRYPTED, f"{kind}{f', to {to}' if to else ''}; {kept}"
    return NOT_DECRYPTED, f"{kind}, not decrypted: {sanitize_line(encryption.error)}"
