"""A real Courier-IMAP 5.0 (IMAP, POP3, courier-authlib's authdaemond) run from Debian's packages.

The packages conflict with `dovecot-imapd`, so they are not installed: `debs.unpacked()` keeps
them unpacked in a cache folder, and `scripts/test` installs only their shared libraries
(`courier_libraries`). Courier has paths compiled in that no option changes: the authdaemon
socket `/run/courier/authdaemon/socket` (in libcourierauth, used by imaplogin and authdaemond),
`/etc/courier/authdaemonrc` and `/etc/courier/userdb.dat` (authdaemond, authuserdb), the
modules in `/usr/lib/courier-authlib`, and the user `courier` that imaplogin and couriertls drop
to for TLS. So each daemon of an instance starts in a mount namespace of its own (root only)
where, like on a machine with Courier installed:

- `/etc` is a read-only overlay: the instance's `etc/` (a passwd and group with a `courier`
  user, `courier/authdaemonrc`, `courier/userdb.dat` links) over the unpacked `etc/` over `/etc`;
- `/usr` is a read-only overlay: the unpacked `usr/` over `/usr`;
- `/run` is the instance dir itself (authdaemon socket, userdb, TLS files, Maildirs, logs).

Nothing is written outside the instance dir, and several instances (pytest-xdist workers, two in
one test) run at once, each with its own authdaemond, users and random loopback ports. The
IMAP and POP3 settings are Debian's own files (`/etc/courier/imapd`, `imapd-ssl`, `pop3d`,
`pop3d-ssl`, sourced like the init scripts do) with the changes listed in `IMAP_OVERRIDES`.

Logins are `name@example.test` in a userdb (authuserdb, `{SHA}` passwords): a wrong password is
refused, after Courier's fixed five-second delay. Mailboxes are Maildir++: `INBOX.Sent` is
`Maildir/.Sent`. IDLE works in real time ("entering ENHANCED idle mode") through gamin's
`gam_server`, which libgamin starts on demand and which exits by itself about 30 s after its
last client.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import functools
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from .certs import TestCertificates
from .debs import unpacked
from .dovecot import BASE_USERS, DOMAIN, SERVICE_USER, MailUser
from .imapserver import Namespace
from .netutil import (
    HOST,
    INSTALL_HINT,
    ServerStartError,
    die_with_parent,
    free_ports,
    kill_quietly,
    log_tail,
    start_with_retries,
    wait_until_closed,
)

COURIER_PACKAGES = (
    "courier-imap",
    "courier-pop",
    "courier-base",
    "courier-authlib",
    "courier-authdaemon",
    "courier-authlib-userdb",
)
"""Unpacked, never installed. Their libraries are `courier_libraries` in scripts/test."""

NAMESPACE = Namespace(prefix="INBOX.", delimiter=".")
"""What Courier's NAMESPACE answers for the personal folders: (("INBOX." "."))."""

SPECIAL_FOLDERS = ("Drafts", "Sent", "Trash", "Junk", "Archive")
"""Made for every user unless `new_user(special_folders=False)`: INBOX.Drafts, INBOX.Sent, ...

Courier does not implement SPECIAL-USE: LIST shows no \\Sent etc., a client goes by the names.
"""

SPARE_USERS = 200
"""Users written to the userdb ahead of need, handed out by `new_user()`."""

IMAP_OVERRIDES = {
    # Real-time IDLE through gamin (Debian's default 0 makes IDLE poll every 60 s).
    "IMAP_ENHANCEDIDLE": "1",
    # Debian's default "Trash:7" deletes messages older than 7 days from Trash at logout: a
    # test that APPENDs an old message there would see it vanish.
    "IMAP_EMPTYTRASH": "",
    # No LOGIN before STARTTLS (LOGINDISABLED), like the suite's Dovecot.
    "IMAP_TLS_REQUIRED": "1",
}
"""What the instances change in Debian's /etc/courier/imapd and imapd-ssl (besides paths)."""

MAX_CONNECTIONS = 200
"""couriertcpd -maxprocs and -maxperip (Debian: 40 and 20 for IMAP, 4 for POP3): every test
client comes from 127.0.0.1."""

_IN_NAMESPACE = Path("/run")
"""Where the instance dir is seen by the daemons."""
_AUTHDAEMON_SOCKET = Path("courier/authdaemon/socket")
_AUTHDAEMOND = "/usr/lib/courier/courier-authlib/authdaemond"
_COURIERTCPD = "/usr/sbin/couriertcpd"
_COURIERTLS = "/usr/bin/couriertls"
_IMAPLOGIN = "/usr/lib/courier/courier/imaplogin"
_IMAPD = "/usr/bin/imapd"
_POP3LOGIN = "/usr/lib/courier/courier/courierpop3login"
_POP3D = "/usr/lib/courier/courier/courierpop3d"
_MAKEDATPROG = "usr/lib/courier/courier-authlib/makedatprog"

# ----- mount namespaces (Python 3.11 has no os.unshare) -----------------------------------

_CLONE_NEWNS = 0x00020000
_MS_RDONLY = 1
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18

_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.unshare.argtypes = [ctypes.c_int]
_LIBC.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]

_Mount = tuple[bytes | None, bytes, bytes | None, int, bytes | None]


def _overlay_dir(path: Path) -> str:
    """A path as an overlayfs mount option wants it (',', ':' and '\\' escaped)."""
    text = str(path)
    for char in ("\\", ",", ":"):
        text = text.replace(char, "\\" + char)
    return text


def _namespace_mounts(instance: Path, tree: Path) -> list[_Mount]:
    etc_layers = ":".join(_overlay_dir(p) for p in (instance / "etc", tree / "etc", Path("/etc")))
    usr_layers = ":".join(_overlay_dir(p) for p in (tree / "usr", Path("/usr")))
    return [
        (None, b"/", None, _MS_REC | _MS_PRIVATE, None),
        (b"overlay", b"/etc", b"overlay", _MS_RDONLY, f"lowerdir={etc_layers}".encode()),
        (b"overlay", b"/usr", b"overlay", _MS_RDONLY, f"lowerdir={usr_layers}".encode()),
        (str(instance).encode(), str(_IN_NAMESPACE).encode(), None, _MS_BIND, None),
    ]


def _enter_namespace(mounts: list[_Mount]) -> Callable[[], None]:
    """preexec_fn: a mount namespace of this child's own with `mounts`, and die with the parent.

    A failure is written to the child's stderr (its log file), then stops the exec.
    """

    def enter() -> None:
        steps: list[tuple[str, Callable[[], int]]] = [
            ("unshare(CLONE_NEWNS)", lambda: _LIBC.unshare(_CLONE_NEWNS))]
        for source, target, fstype, flags, data in mounts:
            steps.append((f"mount {target.decode()} ({(data or source or b'').decode()})",
                          functools.partial(_LIBC.mount, source, target, fstype, flags, data)))
        for what, step in steps:
            if step() != 0:
                errno = ctypes.get_errno()
                message = (f"courier test server: {what} failed: {os.strerror(errno)} "
                           "(a mount namespace needs root)\n")
                os.write(2, message.encode())
                raise OSError(errno, message)
        die_with_parent()

    return enter


# ----- the unpacked packages ---------------------------------------------------------------

_checked_trees: set[Path] = set()


def courier_tree() -> Path:
    """The unpacked packages (made on first use), checked once per process."""
    tree = unpacked("courier", COURIER_PACKAGES)
    if tree not in _checked_trees:
        _check_libraries(tree)
        _checked_trees.add(tree)
    return tree


def _check_libraries(tree: Path) -> None:
    binaries = [_AUTHDAEMOND, _COURIERTCPD, _COURIERTLS, _IMAPLOGIN, _IMAPD, _POP3LOGIN, _POP3D]
    library_path = f"{tree}/usr/lib:{tree}/usr/lib/courier-authlib"
    missing: set[str] = set()
    for binary in binaries:
        path = tree / binary.lstrip("/")
        if not path.is_file():
            raise ServerStartError(f"{path} is missing from the unpacked Courier packages; "
                                   f"delete {tree} to unpack them again")
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True,
                              env={"LD_LIBRARY_PATH": library_path, "PATH": "/usr/bin:/bin"})
        missing.update(line.split()[0] for line in done.stdout.splitlines()
                       if "not found" in line)
    if missing:
        raise ServerStartError(f"Courier needs the libraries {sorted(missing)} (Debian packages "
                               f"in courier_libraries of scripts/test): {INSTALL_HINT}")


_packaged_cache: dict[tuple[Path, tuple[str, ...]], dict[str, str]] = {}


def _packaged_settings(tree: Path, *files: str) -> dict[str, str]:
    """The variables Debian's /etc/courier files set, sourced in order like the init scripts."""
    key = (tree, files)
    if key not in _packaged_cache:
        script = "set -a; " + "".join(f'. "{tree}/etc/courier/{name}"; ' for name in files)
        script += "exec env -0"
        out = subprocess.run(["/bin/sh", "-c", script], env={}, capture_output=True,
                             check=True).stdout.decode()
        settings = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
        for noise in ("PWD", "OLDPWD", "SHLVL", "_", "PATH"):
            settings.pop(noise, None)
        _packaged_cache[key] = settings
    return dict(_packaged_cache[key])


# ----- the server --------------------------------------------------------------------------


class _Daemon(NamedTuple):
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int | None
    """The port it listens on; None for authdaemond."""


class Courier:
    """One Courier-IMAP instance in `root` (created if missing): IMAP over implicit TLS and
    with STARTTLS, POP3 over TLS, its own authdaemond and userdb. `start()` runs it."""

    label = "courier"
    host = HOST
    namespace = NAMESPACE

    def __init__(self, root: Path, certs: TestCertificates,
                 users: Mapping[str, MailUser] | None = None) -> None:
        self.root = root
        self.certs = certs
        self.ca_file = certs.ca_file
        self.tree = courier_tree()
        self.log_dir = root / "log"
        self.maildir_root = root / "mail"
        self.imap_tls_port, self.imap_starttls_port, self.pop3_tls_port = free_ports(3)
        account = pwd.getpwnam(SERVICE_USER)
        self._uid, self._gid = account.pw_uid, account.pw_gid
        self._processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.instance_name = f"tuimail-courier-{secrets.token_hex(4)}"
        self._lock = threading.Lock()
        self.users: dict[str, MailUser] = dict(users) if users else {
            name: MailUser(f"{name}@{DOMAIN}", secrets.token_urlsafe(12), f"{name}@{DOMAIN}")
            for name in BASE_USERS
        }
        self._spare_users: list[MailUser] = []
        self._next_spare = 0
        self._add_spare_users()
        self._prepare_tree()
        for user in self.users.values():
            self._make_maildir(user, special_folders=True)

    # ----- files -------------------------------------------------------------------------

    def _prepare_tree(self) -> None:
        root = self.root
        for sub in ("etc/courier", "courier/authdaemon", "auth", "tls", "log", "mail"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        # The daemons see this dir as /run; the mail user must be able to walk into it.
        root.chmod(0o755)
        (root / "courier" / "authdaemon").chmod(0o750)
        self._write_identity_files()
        (root / "etc/courier/authdaemonrc").write_text(
            'authmodulelist="authuserdb"\n'
            "daemons=5\n"
            f'authdaemonvar="{_IN_NAMESPACE / _AUTHDAEMON_SOCKET.parent}"\n'
            "DEBUG_LOGIN=0\n"
            'DEFAULTOPTIONS=""\n'
            'LOGGEROPTS=""\n'
        )
        for name in ("userdb.dat", "userdbshadow.dat"):
            link = root / "etc/courier" / name
            if not link.is_symlink():
                link.symlink_to(_IN_NAMESPACE / "auth" / name)
        self._write_userdb()
        # Courier reads the key and the certificate chain from one PEM file.
        pem = root / "tls/server.pem"
        pem.write_bytes(self.certs.key_file.read_bytes() + self.certs.cert_file.read_bytes())
        shutil.copyfile(self.certs.ca_file, root / "tls/ca.pem")
        for path in (pem, root / "tls/ca.pem"):
            os.chown(path, 0, self._courier_gid)
            path.chmod(0o640)
        for cache in ("imapd.cache", "pop3d.cache"):
            path = root / "tls" / cache
            path.touch()
            os.chown(path, self._courier_uid, self._courier_gid)
            path.chmod(0o600)

    def _write_identity_files(self) -> None:
        """passwd and group for the namespace: the host's, plus a `courier` user if missing.

        imaplogin (STARTTLS) and couriertls -user=courier switch to that user for TLS; here it
        is the mail user (dovenull).
        """
        try:
            courier = pwd.getpwnam("courier")
            self._courier_uid, self._courier_gid = courier.pw_uid, courier.pw_gid
            extra_user = extra_group = ""
        except KeyError:
            self._courier_uid, self._courier_gid = self._uid, self._gid
            extra_user = (f"courier:x:{self._uid}:{self._gid}:Courier:/nonexistent:"
                          "/usr/sbin/nologin\n")
            extra_group = f"courier:x:{self._gid}:\n"
        for name, extra in (("passwd", extra_user), ("group", extra_group)):
            text = Path("/etc", name).read_text()
            if text and not text.endswith("\n"):
                text += "\n"
            target = self.root / "etc" / name
            target.write_text(text + extra)
            target.chmod(0o644)

    # ----- users -------------------------------------------------------------------------

    def _add_spare_users(self) -> None:
        start = self._next_spare
        self._next_spare += SPARE_USERS
        self._spare_users.extend(
            MailUser(f"u{n}@{DOMAIN}", secrets.token_urlsafe(12), f"u{n}@{DOMAIN}")
            for n in range(start, start + SPARE_USERS)
        )

    def home_of(self, user: MailUser) -> Path:
        """The user's home as this process sees it (the daemons see it under /run)."""
        local, domain = user.login.split("@", 1)
        return self.maildir_root / domain / local

    def maildir_of(self, user: MailUser, folder: str = "INBOX") -> Path:
        """The Maildir of `folder` ("INBOX", "INBOX.Sent", "INBOX.A.B")."""
        maildir = self.home_of(user) / "Maildir"
        if folder.upper() == "INBOX":
            return maildir
        if not folder.startswith(NAMESPACE.prefix):
            raise ValueError(f"Courier keeps every folder under {NAMESPACE.prefix}: {folder!r}")
        return maildir / ("." + folder[len(NAMESPACE.prefix):])

    def _write_userdb(self) -> None:
        """The userdb text file and its two GDBM files, made by Courier's makedatprog.

        Like makeuserdb: the password field goes to userdbshadow.dat only. Each .dat file is
        written then renamed, so authdaemond never reads half a file.
        """
        everyone = [*self.users.values(), *self._spare_users]
        public, shadow, source = [], [], []
        for user in everyone:
            home = _IN_NAMESPACE / self.home_of(user).relative_to(self.root)
            fields = f"uid={self._uid}|gid={self._gid}|home={home}|mail={home}/Maildir"
            digest = base64.b64encode(hashlib.sha1(user.password.encode()).digest()).decode()
            password = f"systempw={{SHA}}{digest}"
            public.append(f"{user.login}\t{fields}\n")
            shadow.append(f"{user.login}\t{password}\n")
            source.append(f"{user.login}\t{fields}|{password}\n")
        auth = self.root / "auth"
        (auth / "userdb").write_text("".join(source))  # what makeuserdb would read
        (auth / "userdb").chmod(0o600)
        makedat = str(self.tree / _MAKEDATPROG)
        for name, lines, mode in (("userdb", public, 0o644), ("userdbshadow", shadow, 0o600)):
            done = subprocess.run([makedat, "-", str(auth / f"{name}.tmp"),
                                   str(auth / f"{name}.dat")],
                                  input="".join(lines).encode() + b".\n", capture_output=True)
            if done.returncode != 0:
                raise ServerStartError(f"makedatprog {name} failed: {done.stderr.decode()}")
            (auth / f"{name}.dat").chmod(mode)

    def _make_maildir(self, user: MailUser, special_folders: bool) -> None:
        """A Maildir++ as maildirmake makes it, owned by the mail user; the special folders are
        subscribed (courierimapsubscribed)."""
        home = self.home_of(user)
        maildir = home / "Maildir"
        folders = SPECIAL_FOLDERS if special_folders else ()
        made: list[Path] = [home.parent, home]
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        for directory in [maildir, *(maildir / f".{name}" for name in folders)]:
            directory.mkdir(mode=0o700, exist_ok=True)
            made.append(directory)
            for sub in ("tmp", "new", "cur"):
                (directory / sub).mkdir(mode=0o700, exist_ok=True)
                made.append(directory / sub)
            if directory != maildir:
                (directory / "maildirfolder").touch()
                made.append(directory / "maildirfolder")
        subscribed = maildir / "courierimapsubscribed"
        subscribed.write_text("".join(NAMESPACE.folder(name) + "\n" for name in folders))
        made.append(subscribed)
        home.parent.chmod(0o755)
        for path in made[1:]:
            os.chown(path, self._uid, self._gid)

    def new_user(self, special_folders: bool = True) -> MailUser:
        """A user no test has used yet, with an empty INBOX; it can log in at once.

        With `special_folders` it also has INBOX.Drafts, .Sent, .Trash, .Junk and .Archive
        (subscribed); without, only INBOX. Users come from a batch already in the userdb.
        """
        with self._lock:
            if not self._spare_users:
                self._add_spare_users()
                self._write_userdb()  # authuserdb reopens userdb.dat when it changes
            user = self._spare_users.pop(0)
            self.users[user.name] = user
        self._make_maildir(user, special_folders)
        return user

    def user(self, who: str | MailUser) -> MailUser:
        """A user by short name ("alice"), login, or the MailUser itself."""
        if isinstance(who, MailUser):
            return who
        if who in self.users:
            return self.users[who]
        for user in self.users.values():
            if who == user.login:
                return user
        raise KeyError(who)

    # ----- lifecycle ---------------------------------------------------------------------

    def _daemons(self) -> list[_Daemon]:
        """The processes to start, as the Debian init scripts start them."""
        run = _IN_NAMESPACE
        path = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        auth_env = {**path, "DEBUG_LOGIN": "0", "DEFAULTOPTIONS": ""}
        imap = _packaged_settings(self.tree, "imapd", "imapd-ssl")
        pop3 = _packaged_settings(self.tree, "pop3d", "pop3d-ssl")
        for settings, cache in ((imap, "imapd.cache"), (pop3, "pop3d.cache")):
            settings.pop("TLS_DHPARAMS", None)  # none made: ECDHE needs no DH parameters
            settings.update(path, COURIERTLS=_COURIERTLS, TLS_CERTFILE=f"{run}/tls/server.pem",
                            TLS_TRUSTCERTS=f"{run}/tls/ca.pem",
                            TLS_CACHEFILE=f"{run}/tls/{cache}")
        imap.update(IMAP_OVERRIDES)
        # libgamin talks to the gam_server of (user, GAM_CLIENT_ID), starting it if missing.
        # One shared by two instances would watch the other instance's /run: each has its own.
        imap["GAM_CLIENT_ID"] = self.instance_name
        imap_starttls = {**imap, "IMAP_STARTTLS": imap.get("IMAPDSTARTTLS", "YES")}
        imap_tls = {**imap, "IMAP_TLS": "1"}
        pop3_tls = {**pop3, "POP3_TLS": "1", "POP3_STARTTLS": "NO", "POP3_TLS_REQUIRED": "0"}

        def tcpd(name: str, port: int, *program: str) -> list[str]:
            return [_COURIERTCPD, f"-address={HOST}", f"-maxprocs={MAX_CONNECTIONS}",
                    f"-maxperip={MAX_CONNECTIONS}", "-nodnslookup", "-noidentlookup",
                    f"-stderr={run}/log/{name}.log", str(port), *program]

        tls = [_COURIERTLS, "-server", "-tcpd", "-user=courier"]
        maildir = imap.get("MAILDIRPATH", "Maildir")
        return [
            _Daemon("authdaemond", [_AUTHDAEMOND], auth_env, None),
            _Daemon("imap", tcpd("imap", self.imap_starttls_port, _IMAPLOGIN, _IMAPD, maildir),
                    imap_starttls, self.imap_starttls_port),
            _Daemon("imaps", tcpd("imaps", self.imap_tls_port, *tls, _IMAPLOGIN, _IMAPD,
                                  maildir), imap_tls, self.imap_tls_port),
            _Daemon("pop3s", tcpd("pop3s", self.pop3_tls_port, *tls, _POP3LOGIN, _POP3D,
                                  pop3.get("MAILDIRPATH", "Maildir")),
                    pop3_tls, self.pop3_tls_port),
        ]

    @property
    def ports(self) -> list[int]:
        return [self.imap_tls_port, self.imap_starttls_port, self.pop3_tls_port]

    @property
    def running(self) -> bool:
        return bool(self._processes) and all(p.poll() is None for _n, p in self._processes)

    def start(self, timeout: float = 15.0) -> None:
        """Start (or restart) with the same data and ports; return once it accepts logins."""
        if self.running:
            return
        if self._processes:
            self.stop()
        socket_path = self.root / _AUTHDAEMON_SOCKET
        socket_path.unlink(missing_ok=True)
        mounts = _namespace_mounts(self.root, self.tree)
        deadline = time.monotonic() + timeout
        listeners: list[tuple[int, int]] = []
        try:
            for daemon in self._daemons():
                with open(self.log_dir / f"{daemon.name}.stderr", "ab") as stderr:
                    process = subprocess.Popen(
                        daemon.argv, env=daemon.env, cwd="/", stdin=subprocess.DEVNULL,
                        stdout=stderr, stderr=stderr, process_group=0,
                        preexec_fn=_enter_namespace(mounts),
                    )
                self._processes.append((daemon.name, process))
                if daemon.port is None:  # authdaemond: imaplogin needs its socket
                    self._wait_until(socket_path.exists, deadline, f"the socket {socket_path}")
                else:
                    listeners.append((process.pid, daemon.port))
            # Asked of the kernel, not by connecting: whoever else took a port would answer.
            self._wait_until(lambda: all(port in _listening_ports(pid)
                                         for pid, port in listeners),
                             deadline, f"listening on {self.ports}")
        except (OSError, subprocess.SubprocessError, ServerStartError) as exc:
            self.stop()
            raise ServerStartError(f"Courier in {self.root} did not start ({exc}):\n"
                                   f"{self.log_text()}") from exc

    def _exited(self) -> str:
        return ", ".join(f"{name} ({p.returncode})" for name, p in self._processes
                         if p.poll() is not None)

    def _wait_until(self, ready: Callable[[], bool], deadline: float, what: str) -> None:
        while not ready():
            if self._exited() or time.monotonic() > deadline:
                raise ServerStartError(f"gave up waiting for {what} "
                                       f"(exited: {self._exited() or 'none'})")
            time.sleep(0.005)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every process of the instance; the ports are closed when this returns.

        couriertcpd passes SIGTERM on to its connections (imapd says BYE when it can); each
        daemon leads a process group, and what is left of a group is then killed.
        """
        processes, self._processes = self._processes, []
        # Ours to wait for: a port another program took (a failed start) may stay open.
        ports = {port for _name, process in processes if process.poll() is None
                 for port in _listening_ports(process.pid)}
        for _name, process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _name, process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            if process.poll() is None:
                kill_quietly(process.pid)
                process.wait(5)
        for _name, process in processes:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        # The instance's gam_server (a session of its own) would linger 30 s without clients.
        for pid in _processes_with_environment(f"GAM_CLIENT_ID={self.instance_name}"):
            kill_quietly(pid)
        wait_until_closed(ports, timeout=5)

    def log_text(self, lines: int = 20) -> str:
        """The end of every log of the instance, for error messages."""
        parts = []
        for path in sorted(self.log_dir.glob("*")):
            if path.stat().st_size:
                parts.append(f"--- {path.name}:\n{log_tail(path, lines)}")
        return "\n".join(parts) or f"(no log in {self.log_dir})"


def _listening_ports(pid: int) -> set[int]:
    """The TCP ports process `pid` listens on, from its fds and /proc/<pid>/net/tcp*."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:["):-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _processes_with_environment(entry: str) -> list[int]:
    """Pids whose environment holds `entry` ("NAME=value")."""
    wanted = entry.encode()
    found = []
    for directory in Path("/proc").iterdir():
        if directory.name.isdigit():
            try:
                environment = (directory / "environ").read_bytes()
            except OSError:
                continue
            if wanted in environment.split(b"\0"):
                found.append(int(directory.name))
    return found


def start_courier(root: Path, certs: TestCertificates,
                  users: Mapping[str, MailUser] | None = None) -> Courier:
    """A running Courier in a fresh dir under `root`; tried again on a port taken meanwhile."""
    return start_with_retries(lambda _attempt: Courier(
        Path(tempfile.mkdtemp(prefix="courier-", dir=root)), certs, users))

