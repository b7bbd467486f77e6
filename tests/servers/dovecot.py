"""A real Dovecot 2.3 (IMAP, POP3, LMTP, SASL auth) run from a config written into a temp dir.

Each `Dovecot` is its own instance: own base_dir, state_dir, log, passwd-file, Maildir tree and
random loopback ports, so several can run at once (pytest-xdist workers, variants).
"""

from __future__ import annotations

import os
import pwd
import secrets
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import NamedTuple

from .netutil import (
    HOST,
    ServerStartError,
    children_of,
    die_with_parent,
    free_ports,
    kill_quietly,
    log_tail,
    processes_titled,
    require_binary,
    wait_for_ports,
    wait_until_closed,
)

DOMAIN = "example.test"
BASE_USERS = ("alice", "bob", "carol", "dave")
SPARE_USERS = 200
"""Users written to the passwd-file ahead of need, handed out by `new_user()`."""
DOVEADM_TIMEOUT = 120  # seconds; doveadm answers in tens of milliseconds
SERVICE_USER = "dovenull"
"""Existing system user that owns the mail files and runs the login and internal processes."""

SPECIAL_USE_FOLDERS = {
    "Drafts": "\\Drafts",
    "Sent": "\\Sent",
    "Trash": "\\Trash",
    "Junk": "\\Junk",
    "Archive": "\\Archive",
}

CAPABILITY_WITHOUT_CONDSTORE = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH "
    "LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ "
    "NOTIFY SPECIAL-USE"
)
"""Dovecot 2.3's post-login capability list minus CONDSTORE and QRESYNC.

Use as `settings={"imap_capability": CAPABILITY_WITHOUT_CONDSTORE}` for a variant whose clients
must fall back to comparing UID lists.
"""

_MAILDIR_FLAG_LETTERS = {
    "\\Draft": "D",
    "\\Flagged": "F",
    "\\Answered": "R",
    "\\Seen": "S",
    "\\Deleted": "T",
}


class MailUser(NamedTuple):
    """Credentials of one test mailbox. `login` and `address` are the same string here."""

    login: str
    password: str
    address: str

    @property
    def name(self) -> str:
        return self.login.split("@", 1)[0]


@dataclass(frozen=True)
class DovecotPorts:
    imap_tls: int | None
    imap_starttls: int
    pop3_tls: int | None
    pop3_starttls: int
    lmtp: int
    auth: int

    def listening(self) -> list[int]:
        return [p for p in (self.imap_tls, self.imap_starttls, self.pop3_tls,
                            self.pop3_starttls, self.lmtp, self.auth) if p is not None]


@dataclass
class DovecotSettings:
    """What to change from the default test configuration.

    `settings` replaces or adds top-level `key = value` lines (e.g. `{"ssl": "no"}` or
    `{"imap_capability": CAPABILITY_WITHOUT_CONDSTORE}`); `extra_config` is appended verbatim.
    With `ssl = no` the implicit-TLS listeners are left out and the plain ports offer no STARTTLS.
    """

    settings: Mapping[str, str] = field(default_factory=dict)
    extra_config: str = ""
    # The personal namespace: e.g. prefix "INBOX." with separator "." as Courier names folders.
    namespace_prefix: str = ""
    separator: str = "/"
    # Whether every user has Drafts, Sent, Trash, Junk, Archive from the start. Without, they
    # carry their SPECIAL-USE flag once someone creates them.
    special_folders: bool = True

    @property
    def tls_enabled(self) -> bool:
        return self.settings.get("ssl", "yes") != "no"


@dataclass(frozen=True)
class DovecotOAuth:
    """How Dovecot checks OAuth2 bearer tokens (OAUTHBEARER, XOAUTH2): by RFC 7662
    introspection at `introspection_url`, which carries the resource server's client id and
    secret as its userinfo (Dovecot 2.3 sends them as HTTP Basic authentication)."""

    introspection_url: str
    ca_file: Path
    scope: str = "mail"
    """A token must carry this scope: Dovecot 2.3.19 compares it with the introspection
    answer's "scope" itself (`scope` in the oauth2 args file)."""


class Dovecot:
    """One Dovecot instance: construction writes its config and passwd-file; `start()` runs it.

    With `oauth`, OAUTHBEARER and XOAUTH2 are offered too and their tokens are checked with the
    authorization server; passwords are then good for PLAIN and LOGIN only, and tokens for the
    token mechanisms only.
    """

    def __init__(self, root: Path, cert_file: Path, key_file: Path,
                 variant: DovecotSettings | None = None,
                 users: Mapping[str, MailUser] | None = None,
                 oauth: DovecotOAuth | None = None) -> None:
        self.root = root
        self.oauth = oauth
        self.oauth_config_file = root / "dovecot-oauth2.conf.ext"
        self.cert_file = cert_file
        self.key_file = key_file
        self.variant = variant or DovecotSettings()
        self.config_file = root / "dovecot.conf"
        self.passwd_file = root / "passwd"
        self.log_file = root / "dovecot.log"
        self.maildir_root = root / "mail"
        self.binary = require_binary("dovecot", "dovecot-imapd")
        self.doveadm_binary = require_binary("doveadm", "dovecot-core")
        account = pwd.getpwnam(SERVICE_USER)
        self._uid, self._gid = account.pw_uid, account.pw_gid
        self._process: subprocess.Popen[bytes] | None = None
        self.instance_name = f"tuimail-{secrets.token_hex(4)}"
        self._ports = self._choose_ports()
        self._serial = count()
        self._mailbox_dirs: dict[tuple[str, str], Path] = {}
        self.users: dict[str, MailUser] = dict(users) if users else {
            name: MailUser(f"{name}@{DOMAIN}", secrets.token_urlsafe(12), f"{name}@{DOMAIN}")
            for name in BASE_USERS
        }
        self._spare_users: list[MailUser] = []
        self._add_spare_users()
        self._prepare_tree()

    # ----- ports and paths -------------------------------------------------------------

    @property
    def ports(self) -> DovecotPorts:
        return self._ports

    def _choose_ports(self) -> DovecotPorts:
        a, b, c, d, e, f = free_ports(6)
        tls = self.variant.tls_enabled
        return DovecotPorts(imap_tls=a if tls else None, imap_starttls=b,
                            pop3_tls=c if tls else None, pop3_starttls=d, lmtp=e, auth=f)

    def home_of(self, user: MailUser) -> Path:
        local, domain = user.login.split("@", 1)
        return self.maildir_root / domain / local

    def _prepare_tree(self) -> None:
        for sub in ("run", "state"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.maildir_root.mkdir(parents=True, exist_ok=True)
        os.chown(self.maildir_root, self._uid, self._gid)
        self._write_passwd()
        if self.oauth is not None:
            self._write_oauth_config(self.oauth)
        self.config_file.write_text(self.render_config())

    def _write_passwd(self) -> None:
        everyone = [*self.users.values(), *self._spare_users]
        lines = [
            f"{u.login}:{{PLAIN}}{u.password}:{self._uid}:{self._gid}::{self.home_of(u)}::\n"
            for u in everyone
        ]
        # Written then renamed, so Dovecot (which re-reads the file when it changes) never
        # sees half a file.
        staging = self.passwd_file.with_suffix(".new")
        staging.write_text("".join(lines))
        staging.chmod(0o640)
        os.chown(staging, 0, self._gid)  # the auth process reads it as the service user
        os.replace(staging, self.passwd_file)

    def _write_oauth_config(self, oauth: DovecotOAuth) -> None:
        """The oauth2 passdb's args file; it holds the resource server's secret, so it is
        readable by root and the auth process's group only, like the passwd-file."""
        lines = {
            "introspection_mode": "post",
            "introspection_url": oauth.introspection_url,
            "tls_ca_cert_file": str(oauth.ca_file),
            # The token's user must be the one the client names in the SASL message.
            "username_attribute": "username",
            # RFC 7662: an expired, revoked or unknown token answers {"active": false}.
            "active_attribute": "active",
            "active_value": "true",
            "force_introspection": "yes",
            # 2.3.19 checks the scope itself, against the introspection answer's "scope" (its
            # log says "Token is not valid for scope 'mail'"); no help from the server needed.
            "scope": oauth.scope,
            "timeout_msecs": "5000",
        }
        staging = self.oauth_config_file.with_suffix(".new")
        staging.write_text("".join(f"{key} = {value}\n" for key, value in lines.items()))
        staging.chmod(0o640)
        os.chown(staging, 0, self._gid)
        os.replace(staging, self.oauth_config_file)

    def _render_passdbs(self) -> str:
        if self.oauth is None:
            return f"""passdb {{
  driver = passwd-file
  args = {self.passwd_file}
}}
"""
        # Each passdb answers for its own mechanisms only: a password offered as a token, or a
        # token offered as a password, reaches a passdb that cannot accept it.
        return f"""passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = {self.passwd_file}
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {self.oauth_config_file}
}}
"""

    # ----- configuration -----------------------------------------------------------------

    def render_config(self) -> str:
        p = self._ports
        tls = self.variant.tls_enabled
        top: dict[str, str] = {
            "instance_name": self.instance_name,
            "base_dir": str(self.root / "run"),
            "state_dir": str(self.root / "state"),
            "log_path": str(self.log_file),
            "protocols": "imap pop3 lmtp",
            "listen": HOST,
            "ssl": "yes",
            "ssl_cert": f"<{self.cert_file}",
            "ssl_key": f"<{self.key_file}",
            "ssl_min_protocol": "TLSv1.2",
            "disable_plaintext_auth": "yes",
            "auth_mechanisms": "plain login" + (" oauthbearer xoauth2" if self.oauth else ""),
            "auth_failure_delay": "0",
            "auth_cache_size": "0",
            "mail_uid": SERVICE_USER,
            "mail_gid": SERVICE_USER,
            "default_internal_user": SERVICE_USER,
            "default_login_user": SERVICE_USER,
            "first_valid_uid": "0",
            "mail_location": "maildir:~/Maildir",
            "mail_max_userip_connections": "1000",
            "pop3_uidl_format": "%08Xu%08Xv",
            "login_greeting": "tui-mail test Dovecot ready.",
            "shutdown_clients": "yes",
        }
        if not tls:
            for key in ("ssl_cert", "ssl_key", "ssl_min_protocol"):
                top.pop(key)
        top.update(self.variant.settings)

        def listener(kind: str, name: str, port: int | None, ssl: bool = False) -> str:
            if port is None:
                return ""
            ssl_line = "    ssl = yes\n" if ssl else ""
            return (f"  {kind} {name} {{\n    address = {HOST}\n    port = {port}\n"
                    f"{ssl_line}  }}\n")

        auto = "subscribe" if self.variant.special_folders else "no"
        mailboxes = "".join(
            f"  mailbox {name} {{\n    special_use = {flag}\n    auto = {auto}\n  }}\n"
            for name, flag in SPECIAL_USE_FOLDERS.items()
        )
        prefix = f"  prefix = {self.variant.namespace_prefix}\n" \
            if self.variant.namespace_prefix else ""
        body = "".join(f"{key} = {value}\n" for key, value in top.items())
        body += f"""
{self._render_passdbs()}userdb {{
  driver = passwd-file
  args = {self.passwd_file}
}}
namespace inbox {{
  inbox = yes
  separator = {self.variant.separator}
{prefix}{mailboxes}}}
service imap-login {{
  chroot =
{listener("inet_listener", "imap", p.imap_starttls)}{listener("inet_listener", "imaps", p.imap_tls, ssl=tls)}}}
service pop3-login {{
  chroot =
{listener("inet_listener", "pop3", p.pop3_starttls)}{listener("inet_listener", "pop3s", p.pop3_tls, ssl=tls)}}}
service lmtp {{
{listener("inet_listener", "lmtp", p.lmtp)}}}
service auth {{
{listener("inet_listener", "auth-client", p.auth)}}}
service anvil {{
  chroot =
  # No penalty socket for the auth process: a wrong password must not slow later logins.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@{DOMAIN}
}}
{self.variant.extra_config}
"""
        return body

    # ----- lifecycle ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 15.0) -> None:
        """Start (or restart) with the same config, data and ports; return once all listen."""
        if self.running:
            return
        with open(self.root / "dovecot.stderr", "ab") as stderr:
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                preexec_fn=die_with_parent,
            )
        if not wait_for_ports(self._ports.listening(), timeout, is_alive=lambda: self.running):
            self.stop()
            stderr_tail = log_tail(self.root / "dovecot.stderr")
            raise ServerStartError(
                f"Dovecot ({self.config_file}) did not start listening on "
                f"{self._ports.listening()}:\n{stderr_tail}\n{log_tail(self.log_file)}"
            )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the master and every child; the ports are closed when this returns."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            # A plain SIGTERM costs a second: the master waits that long for its log process.
            # Mail data is crash-safe, so the children are killed outright.
            # Children forked while the signal arrives are caught by repeating the sweep.
            process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:
                for pid, _name in children_of(process.pid):
                    kill_quietly(pid)
                time.sleep(0.02)
            if process.poll() is None:
                process.kill()
                process.wait(5)
        # Children carry the instance name in their title, even once orphaned by the master
        # (a login process forked a moment ago would otherwise keep the port open).
        for pid in processes_titled(f"dovecot-{self.instance_name}/"):
            kill_quietly(pid)
        wait_until_closed(self._ports.listening(), timeout=5)

    def kill_processes(self, name: str = "imap") -> int:
        """SIGKILL the master's `name` children (e.g. "imap", "pop3"): their connections drop.

        Returns how many were killed. The master stays up and serves new connections.
        """
        if self._process is None:
            return 0
        victims = [pid for pid, comm in children_of(self._process.pid) if comm == name]
        for pid in victims:
            kill_quietly(pid)
        return len(victims)

    def kill_imap_processes(self) -> int:
        return self.kill_processes("imap")

    # ----- users -------------------------------------------------------------------------

    def _add_spare_users(self) -> None:
        self._spare_users.extend(
            MailUser(f"user{n}@{DOMAIN}", secrets.token_urlsafe(12), f"user{n}@{DOMAIN}")
            for n in range(len(self._spare_users) + len(self.users),
                           len(self._spare_users) + len(self.users) + SPARE_USERS)
        )

    def new_user(self) -> MailUser:
        """A user no test has used yet, with an empty mailbox; it can log in at once.

        Users are handed out from a batch already in the passwd-file, because Dovecot looks
        at that file at most once a second and would not yet know a user added just now.
        """
        if not self._spare_users:
            self._add_spare_users()
            self._write_passwd()
            self._wait_until_known(self._spare_users[-1])
        user = self._spare_users.pop(0)
        self.users[user.name] = user
        return user

    def _wait_until_known(self, user: MailUser, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.doveadm("user", user.login, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Dovecot did not pick up {user.login} from {self.passwd_file}")
            time.sleep(0.1)

    def user(self, who: str | MailUser) -> MailUser:
        """A user by short name ("alice"), login, or the MailUser itself."""
        if isinstance(who, MailUser):
            return who
        if who in self.users:
            return self.users[who]
        for user in self.users.values():
            if user.login == who:
                return user
        raise KeyError(f"no test user {who!r}")

    # ----- doveadm -----------------------------------------------------------------------

    def doveadm(self, *args: str, input: bytes | None = None,
                check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `doveadm -c CONFIG ARGS...` against this instance; stdout/stderr as text."""
        try:
            result = subprocess.run(
                [self.doveadm_binary, "-c", str(self.config_file), *args],
                input=input, capture_output=True, check=False, timeout=DOVEADM_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            # Seen once under load (`doveadm fetch` waiting on a mailbox lock): a failure that
            # names the command, not a run that hangs until CI's limit.
            raise RuntimeError(f"doveadm {' '.join(args)} did not finish within "
                               f"{DOVEADM_TIMEOUT} s") from None
        completed = subprocess.CompletedProcess(
            result.args, result.returncode,
            result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace"),
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed ({result.returncode}): "
                               f"{completed.stderr.strip()}")
        return completed

    def uids(self, who: str | MailUser, folder: str = "INBOX") -> list[int]:
        """UIDs in `folder`, ascending, as the server sees them now."""
        out = self.doveadm("-f", "tab", "fetch", "-u", self.user(who).login,
                           "uid", "mailbox", folder, "all").stdout
        return sorted(int(line) for line in out.splitlines()[1:] if line.strip())

    def message_count(self, who: str | MailUser, folder: str = "INBOX") -> int:
        out = self.doveadm("-f", "tab", "mailbox", "status", "-u", self.user(who).login,
                           "messages", folder).stdout
        return int(out.splitlines()[1].split("\t")[-1])

    # ----- delivery ----------------------------------------------------------------------

    def mailbox_dir(self, who: str | MailUser, folder: str = "INBOX") -> Path:
        """The Maildir directory of `folder` (created, and subscribed, if missing)."""
        user = self.user(who)
        key = (user.login, folder)
        if key not in self._mailbox_dirs:
            if folder.upper() != "INBOX":
                created = self.doveadm("mailbox", "create", "-s", "-u", user.login, folder,
                                       check=False)
                if created.returncode != 0 and "already exists" not in created.stderr:
                    raise RuntimeError(f"doveadm could not create {folder!r}: {created.stderr}")
            # Asking for the status makes Dovecot create the Maildir itself, as its own user.
            self.doveadm("mailbox", "status", "-u", user.login, "messages", folder)
            path = self.doveadm("mailbox", "path", "-u", user.login, folder).stdout.strip()
            directory = Path(path)
            if not (directory / "cur").is_dir():
                raise RuntimeError(f"Dovecot did not create the Maildir of {folder!r}: {path}")
            self._mailbox_dirs[key] = directory
        return self._mailbox_dirs[key]

    def deliver_many(self, who: str | MailUser, messages: Sequence[bytes],
                     folder: str = "INBOX", flags: Iterable[str] = ()) -> None:
        """Put messages straight into the Maildir, in order: they get ascending UIDs.

        Only system flags (\\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft) can be set
        this way; Dovecot notices the files at its next sync of the folder (any client's NOOP,
        IDLE, SELECT, or a doveadm command). 5,000 small messages take about a second.
        """
        self._write_maildir_files(who, messages, folder, flags)

    def _write_maildir_files(self, who: str | MailUser, messages: Sequence[bytes],
                             folder: str, flags: Iterable[str],
                             received: datetime | None = None) -> list[str]:
        flag_list = list(flags)
        unknown = [f for f in flag_list if f not in _MAILDIR_FLAG_LETTERS]
        if unknown:
            raise ValueError(f"Maildir files carry system flags only, not {unknown}")
        letters = "".join(sorted(_MAILDIR_FLAG_LETTERS[f] for f in flag_list))
        directory = self.mailbox_dir(who, folder)
        tmp, cur = directory / "tmp", directory / "cur"
        # Dovecot orders new Maildir files by the timestamp then the rest of their name, so a
        # zero-padded serial keeps UID order equal to list order within and across batches.
        stamp = int(time.time())
        bases = []
        for raw in messages:
            base = f"{stamp}.M{next(self._serial):09d}P{os.getpid()}.tuimail-test"
            staged = tmp / base
            with open(staged, "wb") as handle:
                handle.write(raw.replace(b"\r\n", b"\n"))
            os.chown(staged, self._uid, self._gid)
            if received is not None:
                # Dovecot reports a Maildir file's mtime as the INTERNALDATE.
                os.utime(staged, (received.timestamp(), received.timestamp()))
            os.rename(staged, cur / f"{base}:2,{letters}")
            bases.append(base)
        return bases

    def deliver(self, who: str | MailUser, raw: bytes, folder: str = "INBOX",
                flags: Iterable[str] = (), received: datetime | None = None) -> int:
        """Deliver one message with any flags, keywords too; returns its UID.

        `received` sets the INTERNALDATE (default: now).
        """
        flag_list = list(flags)
        system = [f for f in flag_list if f in _MAILDIR_FLAG_LETTERS]
        keywords = [f for f in flag_list if f not in _MAILDIR_FLAG_LETTERS]
        (base,) = self._write_maildir_files(who, [raw], folder, system, received)
        login = self.user(who).login
        # For Maildir, Dovecot's message GUID is the file's base name.
        listing = self.doveadm("-f", "tab", "fetch", "-u", login, "uid guid",
                               "mailbox", folder, "all").stdout
        uids = [int(line.split("\t")[0]) for line in listing.splitlines()[1:]
                if line.split("\t")[-1] == base]
        if len(uids) != 1:
            raise RuntimeError(f"Dovecot did not list the message just delivered ({base})")
        if keywords:
            self.doveadm("flags", "add", "-u", login, " ".join(keywords),
                         "mailbox", folder, "uid", str(uids[0]))
        return uids[0]
