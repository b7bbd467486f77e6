"""Real keys for signed and encrypted mail: a GnuPG home made by the suite, and messages made
with the gpg and openssl commands as other mail programs make them.

The home holds, for OpenPGP:
- alice@example.org: signs and decrypts, no passphrase, ultimately trusted (the user's own key);
- bob@example.net: a correspondent's key, imported and not certified (validity unknown);
- carol@example.com: the user's second key, protected by CAROL_PASSPHRASE (asked through
  loopback; the agent caches nothing, so each test asks again);
- dave@example.net: only his public key (mail encrypted to him cannot be opened here);
- mallory: a key made in another home, so it is unknown here.
and, for S/MIME (gpgsm): a test CA the home trusts, a certificate and key for
alice@example.org made by openssl and signed by that CA (imported as PKCS#12).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

CAROL_PASSPHRASE = "carol's passphrase"
OWN = ("alice@example.org", "carol@example.com")  # secret keys in the user's home
BOUNDARY = "=-=signed-boundary=-="


@dataclass
class Keyring:
    """A GnuPG home (short path: the agent's socket lives in it) and the keys made in it."""

    home: Path
    other: Path  # a second home, for a stranger's key
    fingerprints: dict[str, str] = field(default_factory=dict)
    smime: Path = Path()  # the S/MIME files (ca.pem, alice.pem, alice.key)

    def run(self, program: str, *args: str, data: bytes = b"", home: Path | None = None,
            check: bool = True) -> subprocess.CompletedProcess[bytes]:
        done = subprocess.run([program, "--batch", "--no-tty", "--homedir",
                               str(home or self.home), *args],
                              input=data, capture_output=True, timeout=60, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"{program} {' '.join(args)} failed: "
                                 f"{done.stderr.decode(errors='replace')}")
        return done

    def gpg(self, *args: str, data: bytes = b"", home: Path | None = None) -> bytes:
        return self.run("gpg", *args, data=data, home=home).stdout

    def home_of(self, address: str) -> Path:
        """Where the secret key of `address` is: the user's own, or another's home."""
        return self.home if address in OWN else self.other

    def close(self) -> None:
        for home in (self.home, self.other):
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"],
                           capture_output=True, check=False, timeout=30)
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.rmtree(self.other, ignore_errors=True)

    # ---- messages, made as other programs make them ------------------------------------

    def pgp_signed(self, inner: bytes, *, signer: str = "alice@example.org",
                   headers: str = "") -> bytes:
        """multipart/signed (RFC 3156) over `inner` (an entity, CRLF line ends)."""
        signature = self.gpg("--armor", "--detach-sign", "--local-user", signer, data=inner,
                             home=self.home_of(signer))
        return _multipart(headers or _headers(signer), "signed",
                          'protocol="application/pgp-signature"; micalg=pgp-sha256',
                          inner, b"Content-Type: application/pgp-signature;"
                          b" name=\"signature.asc\"\r\n\r\n" + _crlf(signature))

    def pgp_encrypted(self, inner: bytes, *, to: str = "alice@example.org",
                      signer: str | None = None, headers: str = "") -> bytes:
        """multipart/encrypted (RFC 3156) of `inner`, signed inside the encryption (6.2)
        when `signer` is given."""
        args = ["--armor", "--trust-model", "always", "--encrypt", "--recipient", to]
        if signer is not None:
            args += ["--sign", "--local-user", signer]
        ciphertext = self.gpg(*args, data=inner, home=self.home_of(signer or to))
        return _multipart(headers or _headers(signer or "bob@example.net", to), "encrypted",
                          'protocol="application/pgp-encrypted"',
                          b"Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n",
                          b"Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
                          b"\r\n" + _crlf(ciphertext))

    def inline_signed(self, text: str, *, signer: str = "alice@example.org") -> bytes:
        body = self.gpg("--clearsign", "--local-user", signer, data=text.encode(),
                        home=self.home_of(signer))
        return (_headers(signer) + "Content-Type: text/plain; charset=utf-8\r\n\r\n").encode() \
            + _crlf(body)

    def inline_encrypted(self, text: str, *, to: str = "alice@example.org") -> bytes:
        body = self.gpg("--armor", "--trust-model", "always", "--encrypt", "--recipient", to,
                        data=text.encode())
        return (_headers("bob@example.net", to)
                + "Content-Type: text/plain; charset=utf-8\r\n\r\n").encode() + _crlf(body)

    def smime_signed(self, inner: bytes, *, opaque: bool = False,
                     sender: str = "alice@example.org") -> bytes:
        """What openssl's S/MIME command sends: multipart/signed, or signed-data."""
        args = ["smime", "-sign", "-signer", str(self.smime / "alice.pem"),
                "-inkey", str(self.smime / "alice.key")]
        args += ["-nodetach"] if opaque else ["-binary"]
        done = subprocess.run(["openssl", *args], input=inner, capture_output=True,
                              check=True, timeout=60)
        return _headers(sender).encode() + _crlf(done.stdout)

    def smime_encrypted(self, inner: bytes, *, certificate: Path | None = None) -> bytes:
        done = subprocess.run(["openssl", "smime", "-encrypt", "-aes256",
                               str(certificate or self.smime / "alice.pem")],
                              input=inner, capture_output=True, check=True, timeout=60)
        return _headers("bob@example.net").encode() + _crlf(done.stdout)


def text_part(text: str, **params: str) -> bytes:
    extra = "".join(f'; {name}="{value}"' for name, value in params.items())
    return (f"Content-Type: text/plain; charset=utf-8{extra}\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + _crlf(text.encode())


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _headers(sender: str, to: str = "alice@example.org", subject: str = "A protected note"
             ) -> str:
    date = format_datetime(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    return (f"From: {sender.split('@')[0].title()} <{sender}>\r\nTo: <{to}>\r\n"
            f"Subject: {subject}\r\nDate: {date}\r\n"
            f"Message-ID: <{abs(hash((sender, to, subject)))}@test>\r\nMIME-Version: 1.0\r\n")


def _multipart(headers: str, subtype: str, params: str, first: bytes, second: bytes) -> bytes:
    return (f"{headers}Content-Type: multipart/{subtype}; {params};"
            f' boundary="{BOUNDARY}"\r\n\r\n').encode() + (
        b"This is an OpenPGP/MIME message (RFC 4880 and 3156)\r\n"
        + f"--{BOUNDARY}\r\n".encode() + first
        + f"\r\n--{BOUNDARY}\r\n".encode() + second
        + f"\r\n--{BOUNDARY}--\r\n".encode())


def make_keyring() -> Keyring:
    """Generate the keys (ed25519: a fraction of a second each) and the S/MIME files."""
    home = Path(tempfile.mkdtemp(prefix="g", dir="/tmp"))
    other = Path(tempfile.mkdtemp(prefix="o", dir="/tmp"))
    for folder in (home, other):
        folder.chmod(0o700)
        # Nothing cached: a test that needs a passphrase always asks for it.
        (folder / "gpg-agent.conf").write_text("default-cache-ttl 0\nmax-cache-ttl 0\n"
                                               "allow-loopback-pinentry\n")
        (folder / "gpgsm.conf").write_text("disable-crl-checks\n")
        (folder / "gpg.conf").write_text("auto-key-locate local\n")  # no WKD lookups
    keyring = Keyring(home, other)
    _key(keyring, "Alice <alice@example.org>")
    _key(keyring, "Carol <carol@example.com>", passphrase=CAROL_PASSPHRASE)
    for name in ("Bob <bob@example.net>", "Dave <dave@example.net>"):
        _key(keyring, name, home=other)
        address = name.split("<")[1].rstrip(">")
        keyring.gpg("--import", data=keyring.gpg("--export", address, home=other))
    _key(keyring, "Mallory <mallory@example.org>", home=other)
    for address in OWN:  # the others can write to the user
        keyring.gpg("--import", data=keyring.gpg("--export", address), home=other)
    keyring.smime = _smime(keyring)
    return keyring


def _key(keyring: Keyring, user_id: str, *, passphrase: str = "",
         home: Path | None = None) -> None:
    loopback = ["--pinentry-mode", "loopback", "--passphrase", passphrase]
    keyring.gpg(*loopback, "--quick-gen-key", user_id, "ed25519", "sign,cert", "never",
                home=home)
    address = user_id.split("<")[1].rstrip(">")
    listing = keyring.gpg("--with-colons", "--list-keys", address, home=home).decode()
    fingerprint = next(line.split(":")[9] for line in listing.splitlines()
                       if line.startswith("fpr:"))
    keyring.gpg(*loopback, "--quick-add-key", fingerprint, "cv25519", "encr", "never",
                home=home)
    keyring.fingerprints[address] = fingerprint


def _smime(keyring: Keyring) -> Path:
    files = keyring.home / "smime"
    files.mkdir()

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=files, capture_output=True, check=True,
                       timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "365", "-subj", "/CN=tui-mail test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    (files / "ext").write_text("subjectAltName=email:alice@example.org\n"
                               "keyUsage=digitalSignature,keyEncipherment\n"
                               "extendedKeyUsage=emailProtection\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "alice.key", "-out", "alice.csr",
            "-subj", "/CN=Alice/emailAddress=alice@example.org")
    openssl("x509", "-req", "-in", "alice.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "alice.pem", "-days", "365", "-extfile", "ext")
    keyring.run("gpgsm", "--import", str(files / "ca.pem"))
    # gpgsm 2.2 reads PKCS#12 with the older algorithms only; an empty passphrase leaves the
    # key unprotected in the agent. About one file in thirty (it depends on the random salt)
    # gpgsm cannot decrypt with the empty passphrase ("decryption failed; trying charset"),
    # every time: such a file is made again. Measured: 5 of 150 files here.
    for attempt in range(6):
        openssl("pkcs12", "-export", "-in", "alice.pem", "-inkey", "alice.key", "-out",
                "alice.p12", "-passout", "pass:", "-keypbe", "PBE-SHA1-3DES", "-certpbe",
                "PBE-SHA1-3DES", "-macalg", "sha1")
        imported = keyring.run("gpgsm", "--pinentry-mode", "loopback", "--passphrase", "",
                               "--import", str(files / "alice.p12"), check=attempt == 5)
        if imported.returncode == 0:
            break
    listing = keyring.run("gpgsm", "--with-colons", "--list-keys", "tui-mail test CA").stdout
    ca = next(line.split(":")[9] for line in listing.decode().splitlines()
              if line.startswith("fpr:"))
    (keyring.home / "trustlist.txt").write_text(f"{ca} S relax\n")
    return files


def smime_certificate_of_stranger(keyring: Keyring) -> Path:
    """A certificate (and key, left unused) that is not in the keyring: mail encrypted to it
    cannot be opened here."""
    folder = keyring.other / "stranger"
    folder.mkdir(exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    "key.pem", "-out", "cert.pem", "-days", "30", "-subj",
                    "/CN=Stranger/emailAddress=stranger@example.org"],
                   cwd=folder, capture_output=True, check=True, timeout=60)
    return folder / "cert.pem"


def smime_correspondent(keyring: Keyring, name: str = "bob", address: str = "bob@example.net"
                        ) -> tuple[Path, Path]:
    """A correspondent's certificate (and key) signed by the test CA the home trusts, not in
    the keybox: (certificate, key), PEM. What their mail program holds."""
    folder = keyring.other / f"smime-{name}"
    folder.mkdir(exist_ok=True)
    ca = keyring.smime

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, capture_output=True, check=True,
                       timeout=60)

    (folder / "ext").write_text(f"subjectAltName=email:{address}\n"
                                "keyUsage=digitalSignature,keyEncipherment\n"
                                "extendedKeyUsage=emailProtection\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "req.csr",
            "-subj", f"/CN={name.title()}/emailAddress={address}")
    openssl("x509", "-req", "-in", "req.csr", "-CA", str(ca / "ca.pem"), "-CAkey",
            str(ca / "ca.key"), "-CAcreateserial", "-out", "cert.pem", "-days", "365",
            "-extfile", "ext")
    return folder / "cert.pem", folder / "key.pem"


def smime_signed_by(certificate: Path, key: Path, sender: str, inner: bytes) -> bytes:
    """A message `sender` signed with their certificate, as openssl sends it (the certificate
    travels in the signature)."""
    done = subprocess.run(["openssl", "smime", "-sign", "-signer", str(certificate), "-inkey",
                           str(key), "-binary"], input=inner, capture_output=True, check=True,
                          timeout=60)
    return _headers(sender).encode() + _crlf(done.stdout)


def keyring_iterator() -> Iterator[Keyring]:
    keyring = make_keyring()
    try:
        yield keyring
    finally:
        keyring.close()


@dataclass
class Correspondents:
    """Two people who write to each other: each a GnuPG home with their own key and the
    other's public key (a journey's user and friend, on the suite's mail servers)."""

    mine: Path
    theirs: Path

    def gpg(self, home: Path, *args: str, data: bytes = b"") -> bytes:
        done = subprocess.run(["gpg", "--batch", "--no-tty", "--homedir", str(home), *args],
                              input=data, capture_output=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        return done.stdout

    def verify_inner(self, home: Path, plain: bytes) -> bytes:
        """gpg's status lines for the multipart/signed that `plain` (what was decrypted) is:
        signed, then encrypted (RFC 3156 6.1)."""
        from tui_mail.mail.protected import DetachedSignature, protection_of

        signed = protection_of(plain)
        assert isinstance(signed, DetachedSignature), "not signed inside"
        signature = home / "inner-signature.asc"
        signature.write_bytes(signed.signature)
        return self.gpg(home, "--status-fd", "1", "--verify", str(signature), "-",
                        data=signed.signed)

    def close(self) -> None:
        for home in (self.mine, self.theirs):
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"],
                           capture_output=True, check=False, timeout=30)
            shutil.rmtree(home, ignore_errors=True)


def correspondents(me: str, them: str) -> Correspondents:
    """Keys for "Me <me>" and "Them <them>", each trusting only their own."""
    pair = Correspondents(*(Path(tempfile.mkdtemp(prefix=p, dir="/tmp")) for p in "mt"))
    for home, user_id in ((pair.mine, f"Me Myself <{me}>"), (pair.theirs, f"Friend <{them}>")):
        home.chmod(0o700)
        (home / "gpg-agent.conf").write_text("default-cache-ttl 0\nmax-cache-ttl 0\n")
        (home / "gpg.conf").write_text("auto-key-locate local\n")
        pair.gpg(home, "--passphrase", "", "--quick-gen-key", user_id, "ed25519", "sign,cert",
                 "never")
        listing = pair.gpg(home, "--with-colons", "--list-keys").decode()
        fingerprint = next(line.split(":")[9] for line in listing.splitlines()
                           if line.startswith("fpr:"))
        pair.gpg(home, "--passphrase", "", "--quick-add-key", fingerprint, "cv25519", "encr",
                 "never")
    pair.gpg(pair.mine, "--import", data=pair.gpg(pair.theirs, "--export"))
    pair.gpg(pair.theirs, "--import", data=pair.gpg(pair.mine, "--export"))
    return pair


def pgp_mime_encrypted(headers: str, ciphertext: bytes) -> bytes:
    """multipart/encrypted (RFC 3156) around armored `ciphertext`, under `headers` (CRLF
    lines, ending with MIME-Version)."""
    return _multipart(headers, "encrypted", 'protocol="application/pgp-encrypted"',
                      b"Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n",
                      b"Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
                      b"\r\n" + _crlf(ciphertext))
