"""A signed or encrypted message as it is answered: the text its reader saw.

A reply quotes the decrypted text, never the ciphertext: the plaintext the message view kept
in memory when it was opened, else the message decrypted now (in the caller's worker thread;
a key that needs a passphrase leaves it as it is, and the reply quotes what the cache has).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_mail.model import Encryption, Signature

if TYPE_CHECKING:
    from tui_mail.ui.widgets.message_view import Shown


def as_read(raw: bytes, shown: tuple[Shown, bytes] | None) -> tuple[bytes, bool, bool]:
    """(the bytes to answer, whether it was signed, whether it was encrypted); blocking."""
    from tui_mail.mail.protected import protection_of

    if protection_of(raw) is None:
        return raw, False, False
    if shown is not None and shown[0].security:
        layers = shown[0].security
        text = shown[0].opened or shown[1]
    else:
        from tui_mail.crypto.opening import open_message

        opened = open_message(raw)
        layers, text = opened.layers, opened.raw
    signed = any(isinstance(layer, Signature) for layer in layers)
    encrypted = any(isinstance(layer, Encryption) for layer in layers)
    return text, signed, encrypted
