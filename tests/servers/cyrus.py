"""A real Cyrus IMAP 3.6 (Debian 12 packages) run from a config written into a temp dir.

Cyrus conflicts with `dovecot-imapd`, so its packages are not installed: `debs.unpacked()`
fetches and unpacks them into a cache folder, and each instance runs copies of the few binaries
it needs (`master`, `imapd`, `pop3d`, `idled`, `ctl_cyrusdb`) with their libraries from its own
folder. The shared libraries they link against come from ordinary packages that `scripts/test`
installs (`cyrus_libraries` there).

Each `Cyrus` has its own config directory, spool, sockets, sasldb and random loopback ports:
implicit-TLS IMAP, IMAP with STARTTLS and POP3 over TLS, all with the suite's certificates.
Users authenticate against a sasldb with plain passwords (PLAIN and LOGIN, over TLS only).

Variants (`VARIANTS`, the labels are pytest ids): `altnamespace` off/on times
`unixhierarchysep` off/on. Besides the `ImapServer` interface a `Cyrus` offers
`new_user(special_folders=...)`, `share_folder()` (another user's folder, seen under "user." or
"Other Users."), `create_shared_folder()` (a top-level shared folder, seen at the top level or
under "Shared Folders."), `restart_with()` (same spool, the other separator or namespace),
`kill_imap_processes()`, and `imap()` for IMAP as a user or the admin.

Cyrus logs only through syslog(3), to /dev/log. When the suite runs as root, each instance runs
in its own mount namespace whose /dev/log is a socket that this process reads into the
instance's `cyrus.log` (see `_Syslog`); otherwise the services' log is lost and only the
master's stderr is kept. The services refuse to run as root: as root they run as `nobody`.
"""

from __future__ import annotations

import contextlib
import ctypes
import imaplib
import os
import pwd
import re
import secrets
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .certs import TestCertificates
from .debs import unpacked
from .dovecot import BASE_USERS, DOMAIN, SPECIAL_USE_FOLDERS, MailUser
from .imapserver import Namespace
from .netutil import (
    HOST,
    ServerStartError,
    children_of,
    die_with_parent,
    free_ports,
    kill_quietly,
    log_tail,
    require_binary,
    start_with_retries,
    wait_for_ports,
    wait_until_closed,
)

PACKAGES = ("cyrus-common", "cyrus-imapd", "cyrus-pop3d")
"""The Debian packages unpacked (not installed) for Cyrus; the libraries they need are in
`cyrus_libraries` in scripts/test."""
BINARIES = ("master", "imapd", "pop3d", "idled", "ctl_cyrusdb")
SERVICE_USER = "nobody"
"""Who the Cyrus processes run as when the suite runs as root (imapd refuses to run as root)."""
ADMIN_LOGIN = "cyrusadmin"
SERVERNAME = "imap.example.test"
"""Cyrus's `servername`; also the SASL realm under which the users are stored in the sasldb."""
SPARE_USERS = 200
"""Users written to the sasldb ahead of need, handed out by `new_user()`."""
USER_PREFIX = "Other Users"
SHARED_PREFIX = "Shared Folders"
READ_WRITE_RIGHTS = "lrswipkxten"
"""Every right but `a` (administer): the grantee can read, write, create, delete and expunge."""

VARIANTS: dict[str, tuple[bool, bool]] = {
    "cyrus": (False, False),
    "cyrus-slash": (False, True),
    "cyrus-altns": (True, False),
    "cyrus-altns-slash": (True, True),
}
"""label -> (altnamespace, unixhierarchysep)."""

_CLONE_NEWNS = 0x00020000
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_DEVICE_DIRS = ("shm", "pts")
_DEVICE_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
                 "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}


@dataclass(frozen=True)
class CyrusPorts:
    imap_tls: int
    imap_starttls: int
    pop3_tls: int

    def listening(self) -> list[int]:
        return [self.imap_tls, self.imap_starttls, self.pop3_tls]


class Cyrus:
    """One Cyrus instance: construction writes its config and sasldb; `start()` runs it.

    Implements `imapserver.ImapServer`. `altnamespace` and `unixhierarchysep` are the Cyrus
    options of the same names: they decide `namespace` (personal folders under "INBOX." or at
    the top level; "." or "/" between levels) and how other users' and shared folders are
    named. `restart_with()` restarts the same spool with other values.
    """

    host = HOST

    def __init__(self, root: Path, certs: TestCertificates, *, altnamespace: bool = False,
                 unixhierarchysep: bool = False,
                 users: Mapping[str, MailUser] | None = None) -> None:
        self.root = root
        self.certs = certs
        self.ca_file = certs.ca_file
        self.altnamespace = altnamespace
        self.unixhierarchysep = unixhierarchysep
        self.config_file = root / "imapd.conf"
        self.master_config_file = root / "cyrus.conf"
        self.config_dir = root / "conf"
        self.spool_dir = root / "spool"
        self.sasldb = self.config_dir / "sasldb2"
        self.log_file = root / "cyrus.log"
        """What Cyrus sent to syslog (when it could be captured, see `_Syslog`)."""
        self.stderr_file = root / "master.stderr"
        self.instance_name = f"tuimail-cyrus-{secrets.token_hex(4)}"
        self._db_load = require_binary("db_load", "db-util")
        self._package_root = unpacked("cyrus", PACKAGES)
        self._as_root = os.geteuid() == 0
        account = pwd.getpwnam(SERVICE_USER) if self._as_root else pwd.getpwuid(os.getuid())
        self._service_user = account.pw_name
        self._uid, self._gid = account.pw_uid, account.pw_gid
        self._sandboxed = self._as_root  # own mount namespace (for /dev/log); off if refused
        self._process: subprocess.Popen[bytes] | None = None
        self._syslog: _Syslog | None = None
        self._provisioned = False
        self.ports = CyrusPorts(*free_ports(3))
        self.admin = MailUser(ADMIN_LOGIN, secrets.token_urlsafe(12), f"{ADMIN_LOGIN}@{DOMAIN}")
        self.users: dict[str, MailUser] = dict(users) if users else {
            name: MailUser(name, secrets.token_urlsafe(12), f"{name}@{DOMAIN}")
            for name in BASE_USERS
        }
        self._next_user = 1
        self._spare_users: list[MailUser] = []
        self._prepare_tree()

    # ----- ImapServer --------------------------------------------------------------------

    @property
    def label(self) -> str:
        return _label(self.altnamespace, self.unixhierarchysep)

    @property
    def imap_tls_port(self) -> int:
        return self.ports.imap_tls

    @property
    def imap_starttls_port(self) -> int:
        return self.ports.imap_starttls

    @property
    def pop3_tls_port(self) -> int:
        return self.ports.pop3_tls

    @property
    def delimiter(self) -> str:
        return "/" if self.unixhierarchysep else "."

    @property
    def namespace(self) -> Namespace:
        """The personal namespace as NAMESPACE announces it."""
        return Namespace("" if self.altnamespace else "INBOX" + self.delimiter, self.delimiter)

    @property
    def other_users_prefix(self) -> str:
        """NAMESPACE's "other users" prefix: "Other Users." (altnamespace) or "user."."""
        return (USER_PREFIX if self.altnamespace else "user") + self.delimiter

    @property
    def shared_prefix(self) -> str:
        """NAMESPACE's shared prefix: "Shared Folders." (altnamespace) or "" (top level)."""
        return SHARED_PREFIX + self.delimiter if self.altnamespace else ""

    def __repr__(self) -> str:
        return f"<Cyrus {self.label} imaps={self.imap_tls_port} at {self.root}>"

    # ----- files ---------------------------------------------------------------------------

    @property
    def _bin_dir(self) -> Path:
        return self.root / "pkg" / "bin"

    @property
    def _lib_dir(self) -> Path:
        return self.root / "pkg" / "lib"

    @property
    def _dev_dir(self) -> Path:
        """The /dev of the instance's mount namespace (its `log` is the syslog socket)."""
        return self.root / "dev"

    def binary(self, name: str) -> Path:
        return self._bin_dir / name

    def environment(self) -> dict[str, str]:
        """What the Cyrus programs need to find their own libraries."""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("CYRUS_", "SASL_", "LD_"))}
        env["LD_LIBRARY_PATH"] = str(self._lib_dir)
        return env

    def _prepare_tree(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self._copy_binaries()
        for directory in (self.config_dir, self.spool_dir,
                          *(self.config_dir / sub for sub in
                            ("db", "socket", "proc", "lock", "log", "sieve", "user", "quota"))):
            directory.mkdir(parents=True, exist_ok=True)
        for name in ("server-chain.pem", "server-key.pem"):
            source = self.certs.cert_file if name == "server-chain.pem" else self.certs.key_file
            shutil.copyfile(source, self.config_dir / name)
            (self.config_dir / name).chmod(0o600)
        self._prepare_dev()
        self._add_spare_users()
        self._write_sasldb(self.sasldb, [self.admin, *self.users.values(), *self._spare_users])
        self.config_file.write_text(self.render_config())
        self.master_config_file.write_text(self.render_master_config())
        self._chown_tree(self.config_dir)
        self._chown_tree(self.spool_dir)

    def _copy_binaries(self) -> None:
        """Copy what runs into the instance folder: the cache may be in a home the service user
        cannot enter, and a copy per instance keeps instances apart."""
        self._bin_dir.mkdir(parents=True, exist_ok=True)
        self._lib_dir.mkdir(parents=True, exist_ok=True)
        for name in BINARIES:
            shutil.copy2(self._package_root / "usr/lib/cyrus/bin" / name, self._bin_dir / name)
        for library in self._package_root.glob("usr/lib/*/libcyrus*.so.0"):
            shutil.copy2(library, self._lib_dir / library.name)  # follows the symlink
        for path in (self.root / "pkg", self._bin_dir, self._lib_dir):
            path.chmod(0o755)

    def _prepare_dev(self) -> None:
        dev = self._dev_dir
        dev.mkdir(exist_ok=True)
        for name in _DEVICES:
            if Path("/dev", name).exists():
                (dev / name).touch()
        for name in _DEVICE_DIRS:
            if Path("/dev", name).is_dir():
                (dev / name).mkdir(exist_ok=True)
        for name, target in _DEVICE_LINKS.items():
            with contextlib.suppress(FileExistsError):
                (dev / name).symlink_to(target)
        dev.chmod(0o755)

    def _chown_tree(self, top: Path) -> None:
        if not self._as_root:
            return
        os.chown(top, self._uid, self._gid)
        for path in top.rglob("*"):
            os.chown(path, self._uid, self._gid, follow_symlinks=False)

    # ----- configuration -----------------------------------------------------------------

    def render_config(self) -> str:
        conf = self.config_dir
        settings = {
            "configdirectory": str(conf),
            "defaultpartition": "default",
            "partition-default": str(self.spool_dir),
            "servername": SERVERNAME,
            "cyrus_user": self._service_user,
            "admins": ADMIN_LOGIN,
            "altnamespace": _yes_no(self.altnamespace),
            "unixhierarchysep": _yes_no(self.unixhierarchysep),
            "virtdomains": "off",
            "sasl_pwcheck_method": "auxprop",
            "sasl_auxprop_plugin": "sasldb",
            "sasl_sasldb_path": str(self.sasldb),
            "sasl_mech_list": "PLAIN LOGIN",
            "allowplaintext": "no",  # passwords only over TLS
            "tls_server_cert": str(conf / "server-chain.pem"),
            "tls_server_key": str(conf / "server-key.pem"),
            "tls_versions": "tls1_2 tls1_3",
            "autocreate_quota": "0",  # INBOX made at the first login, no quota
            "failedloginpause": "0",  # a wrong password must not slow the next test
            "popminpoll": "0",
            "umask": "077",
            "sievedir": str(conf / "sieve"),
            "syslog_prefix": self.instance_name,
            "lmtpsocket": str(conf / "socket" / "lmtp"),
            "idlesocket": str(conf / "socket" / "idle"),
            "notifysocket": str(conf / "socket" / "notify"),
        }
        return "".join(f"{key}: {value}\n" for key, value in settings.items())

    def render_master_config(self) -> str:
        conf = f"-C {self.config_file}"
        p = self.ports
        return f"""START {{
  recover cmd="{self.binary('ctl_cyrusdb')} {conf} -r"
}}
SERVICES {{
  imap cmd="{self.binary('imapd')} {conf}" listen="{HOST}:{p.imap_starttls}" prefork=0
  imaps cmd="{self.binary('imapd')} -s {conf}" listen="{HOST}:{p.imap_tls}" prefork=0
  pop3s cmd="{self.binary('pop3d')} -s {conf}" listen="{HOST}:{p.pop3_tls}" prefork=0
}}
EVENTS {{
}}
DAEMON {{
  idled cmd="{self.binary('idled')} {conf}"
}}
"""

    # ----- users -------------------------------------------------------------------------

    def _add_spare_users(self) -> None:
        for _ in range(SPARE_USERS):
            name = f"u{self._next_user}"
            self._next_user += 1
            self._spare_users.append(MailUser(name, secrets.token_urlsafe(12), f"{name}@{DOMAIN}"))

    def _write_sasldb(self, path: Path, users: Iterable[MailUser]) -> None:
        """Add users to the sasldb (a Berkeley DB hash) in one db_load run.

        The key is "login NUL realm NUL userPassword", the value the plain password.
        """
        lines = "".join(f"{u.login}\\00{SERVERNAME}\\00userPassword\n{u.password}\n"
                        for u in users)
        done = subprocess.run([self._db_load, "-T", "-t", "hash", str(path)], input=lines,
                              text=True, capture_output=True, timeout=30)
        if done.returncode != 0:
            raise ServerStartError(f"db_load could not write {path}: {done.stderr.strip()}")
        if self._as_root:
            os.chown(path, self._uid, self._gid)
        path.chmod(0o600)

    def _refill_spare_users(self) -> None:
        # Written into a copy then renamed: the SASL library opens the file afresh for each
        # login, so it never sees half a file.
        self._add_spare_users()
        staging = self.sasldb.with_suffix(".new")
        shutil.copyfile(self.sasldb, staging)
        self._write_sasldb(staging, self._spare_users)
        os.replace(staging, self.sasldb)

    def new_user(self, special_folders: bool = True) -> MailUser:
        """A user no test has used yet; it can log in at once.

        Its INBOX exists (made by logging in once). With `special_folders` it also has Drafts,
        Sent, Trash, Junk and Archive, subscribed and carrying their SPECIAL-USE flags; without,
        INBOX is its only folder.
        """
        if not self._spare_users:
            self._refill_spare_users()
        user = self._spare_users.pop(0)
        self.users[user.name] = user
        self._provision(user, special_folders)
        return user

    def user(self, who: str | MailUser) -> MailUser:
        """A user by short name ("alice"), or the MailUser itself."""
        if isinstance(who, MailUser):
            return who
        if who in self.users:
            return self.users[who]
        raise KeyError(f"no test user {who!r}")

    def _provision(self, user: MailUser, special_folders: bool) -> None:
        with self.imap(user) as client:
            if not special_folders:
                return
            for name, flag in SPECIAL_USE_FOLDERS.items():
                folder = _quote(self.namespace.folder(name))
                _check(client, "CREATE", folder, f"(USE ({flag}))")
                _check(client, "SUBSCRIBE", folder)

    # ----- IMAP as a user or the admin ------------------------------------------------------

    @contextlib.contextmanager
    def imap(self, user: MailUser | None = None) -> Iterator[imaplib.IMAP4_SSL]:
        """An imaplib connection over implicit TLS, logged in as `user` (default: the admin).

        The admin sees the standard namespace whatever `altnamespace` says ("user.alice.Sent",
        top-level shared folders), with this instance's delimiter.
        """
        who = user or self.admin
        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = imaplib.IMAP4_SSL(self.host, self.imap_tls_port, ssl_context=context,
                                   timeout=20)
        try:
            client.login(who.login, who.password)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def share_folder(self, owner: MailUser, folder: str, grantee: MailUser,
                     rights: str = READ_WRITE_RIGHTS) -> str:
        """Give `grantee` `rights` on the owner's personal `folder`; returns its name for them.

        `folder` is "INBOX" or a name relative to the personal namespace, levels joined by
        `delimiter` ("Trash", "Projects.2024"); it is created (as the owner) if missing.
        The grantee sees "Other Users.<owner>.<folder>" (altnamespace) or "user.<owner>.<folder>".
        """
        is_inbox = folder.upper() == "INBOX"
        own_name = "INBOX" if is_inbox else self.namespace.prefix + folder
        with self.imap(owner) as client:
            if not is_inbox and not _exists(client, own_name):
                _check(client, "CREATE", _quote(own_name))
            _check(client, "SETACL", _quote(own_name), _quote(grantee.login), rights)
        parts = [owner.login] if is_inbox else [owner.login, folder]
        return self.other_users_prefix + self.delimiter.join(parts)

    def create_shared_folder(self, name: str, grantee: MailUser,
                             rights: str = READ_WRITE_RIGHTS) -> str:
        """Create the top-level shared folder `name` as the admin (levels joined by
        `delimiter`), readable and writable by `grantee`; returns its name for the grantee:
        "Shared Folders.<name>" (altnamespace) or just `name`.

        Only the grantee sees it: the "anyone lrs" that Cyrus gives new top-level folders
        (`defaultacl`) is taken away, or every user of the instance would list it.
        """
        with self.imap() as client:
            if not _exists(client, name):
                _check(client, "CREATE", _quote(name))
                _check(client, "DELETEACL", _quote(name), "anyone")
            _check(client, "SETACL", _quote(name), _quote(grantee.login), rights)
        return self.shared_prefix + name

    # ----- lifecycle ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 15.0) -> None:
        """Start (or restart) with the same config, spool and ports; return once IMAP answers.

        The first start also creates the base users' mailboxes with their special folders.
        """
        if self.running:
            return
        self._start_master()
        try:
            if not wait_for_ports(self.ports.listening(), timeout, is_alive=lambda: self.running):
                raise ServerStartError(f"Cyrus did not listen on {self.ports.listening()}")
            self._wait_for_greeting(timeout)
            if not self._provisioned:
                for user in self.users.values():
                    self._provision(user, special_folders=True)
                self._provisioned = True
        except (ServerStartError, OSError, imaplib.IMAP4.error) as exc:
            self.stop()
            raise ServerStartError(
                f"Cyrus ({self.config_file}) did not start: {exc}\n"
                f"--- master stderr:\n{log_tail(self.stderr_file)}\n"
                f"--- syslog:\n{log_tail(self.log_file, 40)}"
            ) from exc

    def _start_master(self) -> None:
        command = [str(self.binary("master")), "-C", str(self.config_file),
                   "-M", str(self.master_config_file), "-p", str(self.config_dir / "master.pid"), "-D"]
        if self._sandboxed:
            self._syslog = _Syslog(self._dev_dir / "log", self.log_file)
        with open(self.stderr_file, "ab") as stderr:
            try:
                self._process = self._popen(command, stderr)
            except subprocess.SubprocessError:
                if not self._sandboxed:
                    raise
                # No mount namespace allowed here: run without, and without the services' log.
                self._sandboxed = False
                self._close_syslog()
                with open(self.log_file, "a") as log:
                    log.write("(could not make a mount namespace: Cyrus's syslog is lost)\n")
                self._process = self._popen(command, stderr)

    def _popen(self, command: list[str], stderr) -> subprocess.Popen[bytes]:
        # Its own session: on shutdown the master SIGTERMs its whole process group.
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
            env=self.environment(), cwd=self.root, start_new_session=True,
            preexec_fn=self._child_setup(),
        )

    def _child_setup(self) -> Callable[[], None]:
        """preexec_fn: own mount namespace with our /dev (if sandboxed), drop root, die with us.

        Everything is looked up here, in the parent: the child only makes system calls.
        """
        libc = ctypes.CDLL(None, use_errno=True)
        sandboxed, as_root = self._sandboxed, self._as_root
        uid, gid = self._uid, self._gid
        dev = self._dev_dir
        binds = [(f"/dev/{name}".encode(), str(dev / name).encode(), _MS_BIND)
                 for name in _DEVICES if (dev / name).exists()]
        binds += [(f"/dev/{name}".encode(), str(dev / name).encode(), _MS_BIND | _MS_REC)
                  for name in _DEVICE_DIRS if (dev / name).is_dir()]
        binds.append((str(dev).encode(), b"/dev", _MS_BIND | _MS_REC))

        def call(result: int) -> None:
            if result != 0:
                errno = ctypes.get_errno()
                raise OSError(errno, os.strerror(errno))

        def setup() -> None:
            if sandboxed:
                call(libc.unshare(_CLONE_NEWNS))
                call(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None))
                for source, target, flags in binds:
                    call(libc.mount(source, target, None, flags, None))
            if as_root:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
            die_with_parent()  # after setuid, which clears the parent-death signal

        return setup

    def _wait_for_greeting(self, timeout: float) -> None:
        """The master listens before any imapd runs: wait for a real greeting over TLS."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        deadline = time.monotonic() + timeout
        broken = 0
        while True:
            try:
                client = imaplib.IMAP4_SSL(self.host, self.imap_tls_port, ssl_context=context,
                                           timeout=5)
                client.shutdown()
                return
            except (OSError, imaplib.IMAP4.error) as exc:
                # Refused means not ready yet; a connection dropped or a TLS failure means an
                # imapd started and gave up (bad certificate, library missing...).
                broken += not isinstance(exc, ConnectionRefusedError)
                if time.monotonic() > deadline or not self.running or broken >= 3:
                    raise ServerStartError(f"no IMAP greeting on {self.imap_tls_port}: "
                                           f"{exc!r}") from exc
                time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the master and every child; the ports are closed when this returns."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                # The master SIGTERMs its process group, waits for the children, and exits.
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
            # Whatever is left of the group (a child forked during shutdown).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            wait_until_closed(self.ports.listening(), timeout=5)
        self._close_syslog()

    def _close_syslog(self) -> None:
        syslog, self._syslog = self._syslog, None
        if syslog is not None:
            syslog.close()

    def restart_with(self, *, altnamespace: bool | None = None,
                     unixhierarchysep: bool | None = None) -> None:
        """Stop, change `altnamespace` and/or `unixhierarchysep`, start again: same spool,
        users, mailboxes and ports, but the server now names the folders the other way."""
        self.stop()
        if altnamespace is not None:
            self.altnamespace = altnamespace
        if unixhierarchysep is not None:
            self.unixhierarchysep = unixhierarchysep
        self.config_file.write_text(self.render_config())
        self.start()

    def kill_processes(self, name: str = "imapd") -> int:
        """SIGKILL the master's `name` children ("imapd", "pop3d"): their connections drop.

        Returns how many were killed. The master stays up and serves new connections.
        """
        if self._process is None:
            return 0
        victims = [pid for pid, comm in children_of(self._process.pid) if comm == name]
        for pid in victims:
            kill_quietly(pid)
        return len(victims)

    def kill_imap_processes(self) -> int:
        return self.kill_processes("imapd")

    def log_text(self) -> str:
        """Cyrus's syslog so far (empty when it could not be captured)."""
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def remove(self) -> None:
        """Stop and delete the instance's folder."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class _Syslog:
    """A syslog socket (unix datagrams, like /dev/log) copied line by line into a file.

    A thread reads it: the senders would block once a few datagrams were left unread.
    """

    def __init__(self, socket_path: Path, log_file: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(socket_path))
        socket_path.chmod(0o666)  # the services write to it as the service user
        self._path = socket_path
        self._wake_r, self._wake_w = os.pipe()
        self._log = open(log_file, "ab", buffering=0)  # noqa: SIM115 - closed in close()
        self._thread = threading.Thread(target=self._run, name=f"syslog {socket_path}",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        socket_fd = self._socket.fileno()
        while True:
            ready, _, _ = select.select([socket_fd, self._wake_r], [], [])
            if socket_fd in ready:
                self._drain()
            if self._wake_r in ready:
                self._drain()
                return

    def _drain(self) -> None:
        while True:
            try:
                datagram = self._socket.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            self._log.write(_SYSLOG_PRIORITY.sub(b"", datagram.rstrip(b"\n")) + b"\n")

    def close(self) -> None:
        os.write(self._wake_w, b"x")
        self._thread.join(5)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._socket.close()
        self._log.close()
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()


_SYSLOG_PRIORITY = re.compile(rb"^<\d+>")


def start_cyrus(root: Path, certs: TestCertificates, *, altnamespace: bool,
                unixhierarchysep: bool, users: Mapping[str, MailUser] | None = None) -> Cyrus:
    """Start a Cyrus in a new folder inside `root`; retried on other ports if one was taken.

    As root the services run as `nobody`, who must be able to enter `root` (e.g. a dir in
    /dev/shm with mode 0755, not pytest's tmp_path). `users` replaces the base users; their
    logins must be plain names (no domain: virtdomains is off).
    """
    directory = Path(tempfile.mkdtemp(prefix=f"{_label(altnamespace, unixhierarchysep)}-",
                                      dir=root))
    directory.chmod(0o755)
    return start_with_retries(lambda attempt: Cyrus(
        directory / f"try{attempt}", certs, altnamespace=altnamespace,
        unixhierarchysep=unixhierarchysep, users=users))


def _label(altnamespace: bool, unixhierarchysep: bool) -> str:
    return "cyrus" + ("-altns" if altnamespace else "") + ("-slash" if unixhierarchysep else "")


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(client: imaplib.IMAP4, command: str, *args: str) -> list:
    typ, data = client._simple_command(command, *args)  # noqa: SLF001 - no public CREATE ... USE
    if typ != "OK":
        raise RuntimeError(f"Cyrus refused {command} {' '.join(args)}: {typ} {data}")
    return data


def _exists(client: imaplib.IMAP4, name: str) -> bool:
    typ, data = client.list('""', _quote(name))
    return typ == "OK" and any(item for item in data if item)
