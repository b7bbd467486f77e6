"""GnuPG's status lines read into the domain's Signature and Encryption.

The keywords are those of GnuPG's doc/DETAILS ("Format of the --status-fd output"); gpg and
gpgsm share them. A run may check several signatures: each starts at NEWSIG.
"""

from __future__ import annotations

import re

from tui_mail.crypto.gnupg import GpgRun, StatusLine, unescape
from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import CryptoKind, Encryption, KeyValidity, Signature, SignatureState

_STATES = {
    "GOODSIG": SignatureState.GOOD,
    "BADSIG": SignatureState.BAD,
    "EXPSIG": SignatureState.EXPIRED_SIGNATURE,
    "EXPKEYSIG": SignatureState.EXPIRED_KEY,
    "REVKEYSIG": SignatureState.REVOKED_KEY,
}
_VALIDITY = {
    "TRUST_ULTIMATE": KeyValidity.FULL,
    "TRUST_FULLY": KeyValidity.FULL,
    "TRUST_MARGINAL": KeyValidity.MARGINAL,
    "TRUST_UNDEFINED": KeyValidity.UNKNOWN,
    "TRUST_NEVER": KeyValidity.NEVER,
}
NO_PUBLIC_KEY = "9"  # ERRSIG's return code when the signer's key is not in the keyring


def signatures(run: GpgRun, kind: CryptoKind) -> list[Signature]:
    """Each signature the run checked, in order (none when it found no signature)."""
    found: list[Signature] = []
    block: list[StatusLine] = []
    for line in run.status:
        if line.keyword == "NEWSIG":
            if block:
                found.append(_signature(block, kind))
            block = [line]
        elif block:
            block.append(line)
    if block:
        found.append(_signature(block, kind))
    return found


def _signature(block: list[StatusLine], kind: CryptoKind) -> Signature:
    state = SignatureState.ERROR
    fingerprint = key_id = user_id = error = ""
    validity = KeyValidity.UNKNOWN
    for line in block:
        if line.keyword in _STATES and line.args:
            state = _STATES[line.keyword]
            key_id = line.args[0]
            user_id = unescape(" ".join(line.args[1:]))
            user_id = sanitize_line(_subject_name(user_id) if kind is CryptoKind.SMIME
                                    else user_id)
        elif line.keyword == "VALIDSIG" and line.args:
            # the last field is the primary key's fingerprint (OpenPGP; a subkey signs)
            fingerprint = line.args[-1] if kind is CryptoKind.OPENPGP and len(line.args) >= 10 \
                else line.args[0]
        elif line.keyword == "ERRSIG" and line.args:
            key_id = line.args[0]
            if len(line.args) >= 7 and line.args[6] not in ("", "-"):
                fingerprint = line.args[6]
            code = line.args[5] if len(line.args) > 5 else ""
            if code == NO_PUBLIC_KEY:
                state = SignatureState.UNKNOWN_KEY
            else:
                state, error = SignatureState.ERROR, _errsig_reason(code)
        elif line.keyword in _VALIDITY:
            validity = _VALIDITY[line.keyword]
    if state is not SignatureState.GOOD:
        validity = KeyValidity.UNKNOWN if validity is not KeyValidity.NEVER else validity
    return Signature(kind, state, fingerprint=fingerprint, user_id=user_id, key_id=key_id,
                     validity=validity, error=error)


def _subject_name(subject: str) -> str:
    """gpgsm names a certificate by its subject ("/CN=Alice/EMail=alice@example.org"):
    "Alice <alice@example.org>" reads as the other user ids do."""
    fields = {name.lower(): value for name, value in re.findall(r"([A-Za-z][\w.-]*)=([^/,]*)",
                                                                 subject)}
    name = fields.get("cn", "")
    email = fields.get("email") or fields.get("emailaddress") or ""
    if name and email:
        return f"{name} <{email}>"
    return name or email or subject


def _errsig_reason(code: str) -> str:
    return {"4": "the signature uses an algorithm GnuPG does not support",
            "5": "the signature is damaged"}.get(code, f"GnuPG could not check it (code {code})")


BAD_PASSPHRASE = 11  # GPG_ERR_BAD_PASSPHRASE, the low 16 bits of an ERROR status's code


def encryption(run: GpgRun, kind: CryptoKind, *, passphrase_given: bool = False) -> Encryption:
    """Whether the run decrypted, to which keys the message was encrypted, and if it failed,
    why in words (and whether a passphrase would open it)."""
    recipients = tuple(line.args[0] for line in run.status
                       if line.keyword == "ENC_TO" and line.args)
    if run.has("DECRYPTION_OKAY") and not run.has("DECRYPTION_FAILED"):
        return Encryption(kind, True, recipients)
    hint = run.first("USERID_HINT")
    key_hint = sanitize_line(unescape(" ".join(hint.args[1:]))) if hint else ""
    if bad_passphrase(run):
        return Encryption(kind, False, recipients, "the passphrase was wrong",
                          needs_passphrase=True, key_hint=key_hint)
    if run.has("NEED_PASSPHRASE") and not passphrase_given:
        return Encryption(kind, False, recipients,
                          f"the key needs its passphrase{f' ({key_hint})' if key_hint else ''}",
                          needs_passphrase=True, key_hint=key_hint)
    return Encryption(kind, False, recipients, decryption_failure(run, recipients))


def bad_passphrase(run: GpgRun) -> bool:
    """Whether the run failed because the passphrase given was wrong."""
    for line in run.status:
        if line.keyword == "BAD_PASSPHRASE":
            return True
        if line.keyword in ("ERROR", "FAILURE") and len(line.args) >= 2 \
                and line.args[1].isdigit() and int(line.args[1]) & 0xFFFF == BAD_PASSPHRASE:
            return True
    return False


def decryption_failure(run: GpgRun, recipients: tuple[str, ...]) -> str:
    """Why a decryption failed, in words a user can act on."""
    missing = [line.args[0] for line in run.status if line.keyword == "NO_SECKEY" and line.args]
    if missing and len(missing) >= len(recipients):
        keys = ", ".join(missing)
        return (f"it is encrypted to {'a key' if len(missing) == 1 else 'keys'} not in your"
                f" keyring ({keys}): sent to another key of yours, or to someone else")
    if "No secret key" in run.messages:  # gpgsm names no key when it knows no certificate
        return ("it is encrypted to a key not in your keyring: sent to another key of yours,"
                " or to someone else")
    if run.has("NODATA"):
        return "the encrypted part holds no encrypted data"
    if run.has("DECRYPTION_FAILED") and run.has("BEGIN_DECRYPTION"):
        return "GnuPG could not decrypt it: the data is damaged or was altered"
    return said(run) or "GnuPG could not decrypt it"


def said(run: GpgRun) -> str:
    """GnuPG's last message for people, without its program name and error source: for a
    failure no status line explains."""
    lines = [line for line in run.messages.splitlines() if line.strip()]
    if not lines:
        return ""
    last = re.sub(r"^(gpg|gpgsm|gpg-agent): ", "", lines[-1].strip())
    return sanitize_line(re.sub(r"\s*<[A-Za-z -]+>$", "", last))


def signature_failure(run: GpgRun) -> str:
    """Why a run that checked no signature found none to check."""
    text = run.messages
    if "could not be verified" in text or "ksba_cms_parse failed" in text or run.has("NODATA"):
        detail = said(run) if "ksba_cms_parse" in text else ""
        return ("the signature part is damaged or is not a signature"
                + (f" ({detail})" if detail else ""))
    return said(run) or "GnuPG found no signature to check"
