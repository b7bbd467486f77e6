"""The mail servers the test suite talks to: one Dovecot, one Postfix, one OAuth2
authorization server, one set of certificates.

`start_mail_servers()` brings everything up in a fresh temp dir on random loopback ports and
returns a `MailServers`; `MailServers.close()` stops it all and removes the dir. Dovecot (and
Postfix through it) takes passwords (PLAIN, LOGIN) and the OAuth server's tokens (OAUTHBEARER,
XOAUTH2) for the same users. The same object starts what else a test needs on the same
certificates: Dovecot variants (`start_dovecot_variant`) and the other IMAP servers of the
matrix, Cyrus and Courier (`imap_server`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from subprocess import CompletedProcess

from .certs import TestCertificates, write_certificates
from .dovecot import BASE_USERS, Dovecot, DovecotSettings, MailUser
from .imapserver import ImapServer
from .netutil import HOST, start_with_retries
from .oauth import OAuthServer
from .postfix import MESSAGE_SIZE_LIMIT, REJECTED_RECIPIENT, Postfix


@dataclass
class MailServers:
    """Running servers plus the credentials and files a test needs to reach them."""

    root: Path
    certs: TestCertificates
    dovecot: Dovecot
    postfix: Postfix
    oauth: OAuthServer
    host: str = HOST
    message_size_limit: int = MESSAGE_SIZE_LIMIT
    rejected_recipient: str = REJECTED_RECIPIENT
    _variants: list[Dovecot] = field(default_factory=list)
    _shared_variants: dict[tuple[tuple[tuple[str, str], ...], str], Dovecot] = field(
        default_factory=dict)
    _imap_servers: dict[str, ImapServer] = field(default_factory=dict)

    # ----- where to connect --------------------------------------------------------------

    @property
    def imap_tls_port(self) -> int:
        assert self.dovecot.ports.imap_tls is not None
        return self.dovecot.ports.imap_tls

    @property
    def imap_starttls_port(self) -> int:
        return self.dovecot.ports.imap_starttls

    @property
    def pop3_tls_port(self) -> int:
        assert self.dovecot.ports.pop3_tls is not None
        return self.dovecot.ports.pop3_tls

    @property
    def pop3_starttls_port(self) -> int:
        return self.dovecot.ports.pop3_starttls

    @property
    def lmtp_port(self) -> int:
        return self.dovecot.ports.lmtp

    @property
    def smtp_starttls_port(self) -> int:
        return self.postfix.ports.starttls

    @property
    def smtp_tls_port(self) -> int:
        return self.postfix.ports.tls

    @property
    def smtp_plaintext_port(self) -> int:
        """A submission port that offers no STARTTLS (to test that clients refuse it)."""
        return self.postfix.ports.plaintext

    @property
    def ca_file(self) -> Path:
        return self.certs.ca_file

    @property
    def wrong_ca_file(self) -> Path:
        return self.certs.wrong_ca_file

    @property
    def users(self) -> dict[str, MailUser]:
        return self.dovecot.users

    @property
    def maildir_root(self) -> Path:
        return self.dovecot.maildir_root

    # ----- mailbox contents --------------------------------------------------------------

    def new_user(self) -> MailUser:
        return self.dovecot.new_user()

    def deliver(self, user: str | MailUser, raw: bytes, folder: str = "INBOX",
                flags: Iterable[str] = (), received: datetime | None = None) -> int:
        return self.dovecot.deliver(user, raw, folder, flags, received)

    def deliver_many(self, user: str | MailUser, messages: Sequence[bytes],
                     folder: str = "INBOX", flags: Iterable[str] = ()) -> None:
        self.dovecot.deliver_many(user, messages, folder, flags)

    def doveadm(self, *args: str, input: bytes | None = None,
                check: bool = True) -> CompletedProcess[str]:
        return self.dovecot.doveadm(*args, input=input, check=check)

    def uids(self, user: str | MailUser, folder: str = "INBOX") -> list[int]:
        return self.dovecot.uids(user, folder)

    def message_count(self, user: str | MailUser, folder: str = "INBOX") -> int:
        return self.dovecot.message_count(user, folder)

    # ----- outages -----------------------------------------------------------------------

    def stop_dovecot(self) -> None:
        self.dovecot.stop()

    def start_dovecot(self) -> None:
        self.dovecot.start()

    def kill_imap_processes(self) -> int:
        return self.dovecot.kill_imap_processes()

    def stop_postfix(self) -> None:
        self.postfix.stop()

    def start_postfix(self) -> None:
        self.postfix.start()

    @contextmanager
    def dovecot_stopped(self) -> Iterator[None]:
        """Dovecot is down inside the block and running again after it, even on failure."""
        self.stop_dovecot()
        try:
            yield
        finally:
            self.start_dovecot()

    @contextmanager
    def postfix_stopped(self) -> Iterator[None]:
        """Postfix is down inside the block and running again after it, even on failure."""
        self.stop_postfix()
        try:
            yield
        finally:
            self.start_postfix()

    def stop_oauth(self) -> None:
        self.oauth.stop()

    def start_oauth(self) -> None:
        self.oauth.start()

    @contextmanager
    def oauth_stopped(self) -> Iterator[None]:
        """The OAuth server is down (connections refused) inside the block and running again,
        with the same tokens, after it."""
        self.stop_oauth()
        try:
            yield
        finally:
            self.start_oauth()

    def ensure_running(self) -> None:
        """Restart whatever a test left stopped."""
        self.oauth.start()
        self.dovecot.start()
        self.postfix.start()

    # ----- variants ----------------------------------------------------------------------

    def start_dovecot_variant(self, settings: Mapping[str, str] | None = None,
                              extra_config: str = "") -> Dovecot:
        """Start another Dovecot with its own ports and Maildirs and the same users/passwords.

        E.g. `settings={"ssl": "no"}` (plain ports, no STARTTLS offered) or
        `settings={"imap_capability": CAPABILITY_WITHOUT_CONDSTORE}`. Stop it with `.stop()`
        (it is stopped at `close()` anyway).
        """
        variant = DovecotSettings(settings=dict(settings or {}), extra_config=extra_config)
        base_users = {name: self.users[name] for name in BASE_USERS}
        directory = Path(tempfile.mkdtemp(prefix="dovecot-variant-", dir=self.root))
        directory.chmod(0o755)
        instance = start_with_retries(
            lambda attempt: Dovecot(directory / f"try{attempt}", self.certs.cert_file,
                                    self.certs.key_file, variant, base_users,
                                    oauth=self.oauth.dovecot_settings())
        )
        self._variants.append(instance)
        return instance

    def shared_dovecot_variant(self, settings: Mapping[str, str] | None = None,
                               extra_config: str = "") -> Dovecot:
        """The variant of these settings that the whole session shares, started on first use
        (and again if a test left it stopped): a Dovecot start is the dearest part of a test
        that only needs, say, no CONDSTORE or a Gmail-like namespace. Tests sharing it take
        fresh users (`new_user()`); a test that stops it or changes the base users takes its
        own, `start_dovecot_variant`."""
        key = (tuple(sorted((settings or {}).items())), extra_config)
        instance = self._shared_variants.get(key)
        if instance is None:
            instance = self._shared_variants[key] = self.start_dovecot_variant(settings,
                                                                                extra_config)
        elif not instance.running:
            instance.start()
        return instance

    def imap_server(self, label: str) -> ImapServer:
        """The IMAP server `label` of tests/servers/imap_matrix.py ("cyrus", "courier", ...),
        started on first use with these certificates (so the one CA trusts it and Postfix) and kept
        until `close()`; started again if a test left it stopped. The journeys and the matrix
        share it: each of these servers takes seconds to start."""
        # Imported when asked: the matrix's servers build on this package, not the reverse.
        from tests.servers.imap_matrix import start_server

        if label not in self._imap_servers:
            self._imap_servers[label] = start_server(label, self.certs)
        server = self._imap_servers[label]
        if not server.running:
            server.start()
        return server

    # ----- teardown ----------------------------------------------------------------------

    def close(self) -> None:
        """Stop every server started here and delete the temp dir. Safe to call twice."""
        errors: list[BaseException] = []
        if self._imap_servers:
            from tests.servers.imap_matrix import close_server

            for imap_server in self._imap_servers.values():
                try:
                    close_server(imap_server)
                except Exception as exc:  # noqa: BLE001 - keep stopping the others
                    errors.append(exc)
            self._imap_servers.clear()
        for server in [*self._variants, self.dovecot]:
            try:
                server.stop()
            except Exception as exc:  # noqa: BLE001 - keep stopping the others
                errors.append(exc)
        for other in (self.postfix, self.oauth):
            try:
                other.stop()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
        self._variants.clear()
        self._shared_variants.clear()
        shutil.rmtree(self.root, ignore_errors=True)
        if errors:
            raise errors[0]




def _fast_temp_dir() -> Path | None:
    """/dev/shm when usable: creating thousands of Maildir files on a busy disk takes seconds."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


def start_mail_servers(parent: Path | None = None) -> MailServers:
    """Start the OAuth server, Dovecot and Postfix in a fresh temp dir; everything is stopped
    if any part fails.

    The OAuth server comes first (Dovecot's config names its URL) but is waited for last: its
    port is listening from the start, and its half second of importing Flask and authlib
    passes while Dovecot and Postfix start.
    """
    root = Path(tempfile.mkdtemp(prefix="tui-mail-servers-", dir=parent or _fast_temp_dir()))
    # The servers drop privileges to dovenull/postfix, which must be able to walk into it.
    root.chmod(0o755)
    oauth: OAuthServer | None = None
    dovecot: Dovecot | None = None
    postfix: Postfix | None = None
    try:
        certs = write_certificates(root / "tls")
        oauth = OAuthServer(root / "oauth", certs)
        oauth.start(wait=False)
        dovecot_oauth = oauth.dovecot_settings()
        dovecot = start_with_retries(
            lambda attempt: Dovecot(root / f"dovecot{attempt}", certs.cert_file, certs.key_file,
                                    oauth=dovecot_oauth)
        )
        postfix = start_with_retries(
            lambda attempt: Postfix(root / f"postfix{attempt}", certs.cert_file, certs.key_file,
                                    sasl_port=dovecot.ports.auth, lmtp_port=dovecot.ports.lmtp)
        )
        oauth.wait_until_ready()
        oauth.read_passwords_from(dovecot.passwd_file)
    except BaseException:
        for server in (postfix, dovecot, oauth):
            if server is not None:
                server.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    return MailServers(root=root, certs=certs, dovecot=dovecot, postfix=postfix, oauth=oauth)
