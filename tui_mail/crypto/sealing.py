"""Signing and encrypting a message before it goes to the outbox, with OpenPGP (PGP/MIME,
RFC 3156, through gpg) or S/MIME (RFC 8551, through gpgsm), its headers protected (RFC 9788).

The outbox keeps the sealed bytes, so a retry sends exactly them and never asks for a
passphrase again. Encrypted mail is encrypted to the sender's own key too, so the copy in Sent
can be read. When encrypting, the Subject outside becomes "..." and the real headers travel
inside the encryption, marked protected-headers="v1"; a signed message carries them inside the
signed part, so what the reader shows is what was signed.

Blocking (it runs gpg or gpgsm): call it from a worker thread.
"""

from __future__ import annotations

import binascii
import re
import secrets
from dataclasses import dataclass, replace

from tui_mail.crypto.gnupg import CryptoError, GnuPG, GpgRun, unescape
from tui_mail.crypto.verdicts import bad_passphrase
from tui_mail.mail.compose import Composed
from tui_mail.mail.protected import header_fields, split_head
from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import CryptoKind

HIDDEN_SUBJECT = "..."  # RFC 9788's placeholder for an encrypted message's Subject
# Headers copied into the protected part: those a reader shows or threads by.
PROTECTED = ("from", "to", "cc", "reply-to", "subject", "date", "message-id", "in-reply-to",
             "references", "followup-to")
_HASHES = {"1": "md5", "2": "sha1", "3": "ripemd160", "8": "sha256", "9": "sha384",
           "10": "sha512", "11": "sha224"}  # RFC 4880 9.4, for micalg


class SealError(CryptoError):
    """The message could not be signed or encrypted; nothing was queued."""


class PassphraseNeeded(SealError):
    """The signing key needs its passphrase: ask, then seal again with it."""

    def __init__(self, key_hint: str) -> None:
        super().__init__(f"the signing key needs its passphrase ({key_hint})" if key_hint
                         else "the signing key needs its passphrase")
        self.key_hint = key_hint


@dataclass(frozen=True)
class Seal:
    """What to do to a message: sign it as `sign_as` (an address or key of the user's),
    encrypt it to `encrypt_to` (every recipient's address and the sender's own), with
    OpenPGP (PGP/MIME) or S/MIME."""

    sign_as: str = ""
    encrypt_to: tuple[str, ...] = ()
    kind: CryptoKind = CryptoKind.OPENPGP
    # Bcc recipients: encrypted to without their key ids in the message (OpenPGP's hidden
    # recipients), so the others cannot tell who else can read it. S/MIME has no such thing.
    hidden: tuple[str, ...] = ()
    # Recipients whose key is not in the keyring but came in their Autocrypt header: (address,
    # binary key), given to gpg as files, never imported (OpenPGP only).
    key_files: tuple[tuple[str, bytes], ...] = ()
    # Autocrypt gossip (level 1): each visible recipient's key, inside the encryption, so
    # every recipient of group mail can answer all of them encrypted. Never a Bcc's.
    gossip: tuple[tuple[str, bytes], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.sign_as and not self.encrypt_to and not self.hidden


def usable_encryption_key(gpg: GnuPG, address: str) -> bool:
    """Whether the keyring has a key (gpg) or certificate (gpgsm) for `address` that can
    encrypt (not expired, revoked or disabled)."""
    run = gpg.run(["--list-keys", "--with-colons", f"<{address}>"])
    if run.returncode != 0:
        return False
    for line in run.output.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        # the primary key's (certificate's) capabilities, field 12, sum it up: "E" when some
        # part of it can encrypt now; its validity (field 2) "e", "r", "d" or "i" rules it out
        if fields[0] in ("pub", "crt") and len(fields) > 11 \
                and fields[1] not in ("e", "r", "d", "i") and "E" in fields[11]:
            return True
    return False


def without_keys(gpg: GnuPG, addresses: tuple[str, ...]) -> list[str]:
    """The addresses that have no key to encrypt to, in order."""
    return [address for address in addresses if not usable_encryption_key(gpg, address)]


def seal(composed: Composed, seal: Seal, gpg: GnuPG | None = None, *,
         passphrase: str | None = None) -> Composed:
    """`composed` signed and/or encrypted as `seal` says (unchanged when it says nothing).
    Raises PassphraseNeeded, or SealError saying what went wrong (a key missing, ...)."""
    if seal.empty:
        return composed
    smime = seal.kind is CryptoKind.SMIME
    gpg = gpg or GnuPG("gpgsm" if smime else "gpg")
    head, body = split_head(composed.raw)
    fields = header_fields(head)
    outer = [(name, line) for name, line in fields
             if not name.lower().startswith("content-") and name.lower() != "mime-version"]
    content = [line for name, line in fields if name.lower().startswith("content-")]
    protected = [line for name, line in outer if name.lower() in PROTECTED]
    entity = _protecting(content, protected) + b"\r\n" + _crlf(body)
    if seal.sign_as:
        entity = safe_to_sign(entity)
        entity = (_smime_signed if smime else _signed)(gpg, entity, seal.sign_as, passphrase)
    if seal.encrypt_to and seal.gossip:  # in the root part of what is encrypted (level 1)
        from tui_mail.mail.autocrypt import autocrypt_header

        entity = b"".join(f"Autocrypt-Gossip: {autocrypt_header(address, key, False)}\r\n"
                          .encode() for address, key in seal.gossip) + entity
    if seal.encrypt_to or seal.hidden:
        entity = _smime_encrypted(gpg, entity, (*seal.encrypt_to, *seal.hidden)) if smime \
            else _encrypted(gpg, entity, seal.encrypt_to, seal.hidden, dict(seal.key_files))
        outer = [(name, b"Subject: " + HIDDEN_SUBJECT.encode() + b"\r\n"
                  if name.lower() == "subject" else line) for name, line in outer]
    raw = b"".join(line for _, line in outer) + b"MIME-Version: 1.0\r\n" + entity
    return replace(composed, raw=raw)


_RISKY_LINE = re.compile(rb"[ \t]$|^From ", re.MULTILINE)


def safe_to_sign(entity: bytes) -> bytes:
    """`entity` with each 7bit or 8bit text part that a mail server might change on the way
    quoted-printable instead (RFC 3156 5): a line with trailing spaces (servers strip them)
    or one beginning "From " (mbox delivery writes ">From "). Either would break the
    signature at the other end. Unchanged when no part has such a line."""
    from email import message_from_bytes
    from email.policy import default

    message = message_from_bytes(entity, policy=default)
    changed = False
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        encoding = str(part.get("content-transfer-encoding", "7bit")).strip().lower()
        payload = part.get_payload(decode=True)
        if encoding not in ("7bit", "8bit") or not isinstance(payload, bytes):
            continue
        text = payload.replace(b"\r\n", b"\n")
        if not _RISKY_LINE.search(text):
            continue
        quoted = binascii.b2a_qp(text, istext=True)
        quoted = re.sub(rb"^From ", b"=46rom ", quoted, flags=re.MULTILINE)
        part.set_payload(quoted.decode("ascii"))
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = "quoted-printable"
        changed = True
    if not changed:
        return entity
    return _crlf(message.as_bytes(policy=default.clone(linesep="\r\n", max_line_length=0)))


def _protecting(content: list[bytes], protected: list[bytes]) -> bytes:
    """The content headers with protected-headers="v1" on the Content-Type, then the headers
    protected (a message without a Content-Type is text/plain, RFC 2045 5.2)."""
    lines = []
    typed = False
    for line in content:
        if line.lower().startswith(b"content-type:"):
            line = line.rstrip(b"\r\n") + b'; protected-headers="v1"\r\n'
            typed = True
        lines.append(line)
    if not typed:
        lines.insert(0, b'Content-Type: text/plain; charset=us-ascii; protected-headers="v1"\r\n')
    return b"".join(lines) + b"".join(protected)


def _signed(gpg: GnuPG, entity: bytes, signer: str, passphrase: str | None) -> bytes:
    run = gpg.run(["--armor", "--detach-sign", "--local-user", _exact(signer)], entity,
                  passphrase=passphrase)
    created = run.first("SIG_CREATED")
    if created is None or not run.output:
        raise _signing_failure(run, signer)
    micalg = "pgp-" + _HASHES.get(created.args[2] if len(created.args) > 2 else "", "sha256")
    boundary = _boundary()
    return (f'Content-Type: multipart/signed; micalg="{micalg}";\r\n'
            f' protocol="application/pgp-signature"; boundary="{boundary}"\r\n\r\n'
            "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
            f"--{boundary}\r\n").encode() + entity + (
        f"\r\n--{boundary}\r\n"
        'Content-Type: application/pgp-signature; name="signature.asc"\r\n'
        "Content-Description: OpenPGP digital signature\r\n"
        'Content-Disposition: attachment; filename="signature.asc"\r\n\r\n').encode() \
        + _crlf(run.output) + f"\r\n--{boundary}--\r\n".encode()


# micalg names of S/MIME (RFC 8551 3.5.3.2), by RFC 4880's hash numbers
_SMIME_HASHES = {"2": "sha-1", "8": "sha-256", "9": "sha-384", "10": "sha-512", "11": "sha-224"}


def _smime_signed(gpgsm: GnuPG, entity: bytes, signer: str, passphrase: str | None) -> bytes:
    """multipart/signed with an application/pkcs7-signature (RFC 8551 3.5.3)."""
    run = gpgsm.run(["--detach-sign", "--base64", "--local-user", _exact(signer)], entity,
                    passphrase=passphrase)
    created = run.first("SIG_CREATED")
    if created is None or not run.output:
        raise _signing_failure(run, signer)
    micalg = _SMIME_HASHES.get(created.args[2] if len(created.args) > 2 else "", "sha-256")
    boundary = _boundary()
    return (f'Content-Type: multipart/signed; micalg="{micalg}";\r\n'
            f' protocol="application/pkcs7-signature"; boundary="{boundary}"\r\n\r\n'
            "This is an S/MIME signed message\r\n"
            f"--{boundary}\r\n").encode() + entity + (
        f"\r\n--{boundary}\r\n"
        'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n').encode() \
        + _crlf(run.output.strip()) + f"\r\n--{boundary}--\r\n".encode()


def _smime_encrypted(gpgsm: GnuPG, entity: bytes, recipients: tuple[str, ...]) -> bytes:
    """application/pkcs7-mime enveloped-data (RFC 8551 3.3): the whole message body."""
    args = ["--encrypt", "--base64"]
    for address in dict.fromkeys(recipients):
        args += ["--recipient", f"<{address}>"]  # the whole address, not a part of one
    run = gpgsm.run(args, entity)
    if run.returncode != 0 or not run.output:
        raise SealError(_encryption_failure(run))
    return (b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data;'
            b' name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n'
            b'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\n'
            + _crlf(run.output.strip()) + b"\r\n")


def _encryption_failure(run: GpgRun) -> str:
    refused = [unescape(line.args[1]) for line in run.status
               if line.keyword == "INV_RECP" and len(line.args) > 1]
    if refused:
        names = ", ".join(sanitize_line(name.strip("<>")) for name in refused)
        return f"cannot encrypt: no usable key for {names}"
    last = [line for line in run.messages.splitlines() if line.strip()]
    return ("could not encrypt the message: "
            f"{sanitize_line(last[-1]) if last else 'nothing was made'}")


def _signing_failure(run: GpgRun, signer: str) -> SealError:
    hint = run.first("USERID_HINT")
    key_hint = sanitize_line(unescape(" ".join(hint.args[1:]))) if hint else signer
    if bad_passphrase(run):
        return SealError(f"the passphrase for {key_hint} was wrong")
    if run.has("NEED_PASSPHRASE"):
        return PassphraseNeeded(key_hint)
    if run.has("INV_SGNR") or "No secret key" in run.messages or "secret key not" in \
            run.messages:
        return SealError(f"cannot sign as {signer}: no secret key for it in your keyring")
    last = [line for line in run.messages.splitlines() if line.strip()]
    return SealError(f"could not sign as {signer}: "
                     f"{sanitize_line(last[-1]) if last else 'no signature made'}")


def _encrypted(gpg: GnuPG, entity: bytes, recipients: tuple[str, ...],
               hidden: tuple[str, ...] = (), files: dict[str, bytes] | None = None) -> bytes:
    # The recipients' keys are taken as they are in the keyring (the composer showed who has
    # one); gpg would otherwise refuse every key nobody certified. A key from an Autocrypt
    # header is given as a file ("{0}" in the arguments: see GnuPG.run_with_files).
    files = files or {}
    args = ["--armor", "--encrypt", "--trust-model", "always"]
    keys: list[bytes] = []

    def add(address: str, option: str) -> None:
        if address in files:
            args.extend([f"--{option}-file", "{" + str(len(keys)) + "}"])
            keys.append(files[address])
        else:
            args.extend([f"--{option}", f"<{address}>"])

    for address in dict.fromkeys(recipients):
        add(address, "recipient")
    for address in dict.fromkeys(a for a in hidden if a not in recipients):
        add(address, "hidden-recipient")
    run = gpg.run_with_files(args, keys, entity)
    if run.returncode != 0 or not run.output:
        raise SealError(_encryption_failure(run))
    boundary = _boundary()
    return (f'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\r\n'
            f' boundary="{boundary}"\r\n\r\n'
            "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
            f"--{boundary}\r\n"
            "Content-Type: application/pgp-encrypted\r\n"
            "Content-Description: PGP/MIME version identification\r\n\r\n"
            "Version: 1\r\n\r\n"
            f"--{boundary}\r\n"
            'Content-Type: application/octet-stream; name="encrypted.asc"\r\n'
            "Content-Description: OpenPGP encrypted message\r\n"
            'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n').encode() \
        + _crlf(run.output) + f"\r\n--{boundary}--\r\n".encode()


def _exact(who: str) -> str:
    """An address as GnuPG's exact match ("<a@b>"): a bare one matches any user id that
    contains it (bob@example.net would find ebob@example.net's key)."""
    return f"<{who}>" if "@" in who and not who.startswith("<") else who


def _boundary() -> str:
    return "=-" + secrets.token_urlsafe(18)


def _crlf(data: bytes) -> bytes:
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)
