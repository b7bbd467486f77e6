"""A real Postfix 3.7 for SMTP submission, run with `postfix -c DIR` from a temp dir.

Two listeners on 127.0.0.1: one that requires STARTTLS before AUTH (587-style) and one with
implicit TLS (465-style). AUTH goes to Dovecot's SASL listener; mail for example.test goes to
Dovecot over LMTP; mail for any other domain is accepted and discarded.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .dovecot import DOMAIN
from .netutil import (
    HOST,
    ServerStartError,
    free_ports,
    log_tail,
    require_binary,
    wait_for_ports,
    wait_until_closed,
)

REJECTED_RECIPIENT = f"rejected@{DOMAIN}"
REJECTION_REPLY = "550 5.1.1 Recipient refused by the tui-mail test server"
MESSAGE_SIZE_LIMIT = 10 * 1024 * 1024

# Every Postfix daemon the mail paths here use, all unchrooted (column 5 = n).
_MASTER_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


@dataclass(frozen=True)
class PostfixPorts:
    starttls: int
    tls: int
    plaintext: int  # offers no STARTTLS at all: for "starttls required" client tests

    def listening(self) -> list[int]:
        return [self.starttls, self.tls, self.plaintext]


class Postfix:
    """One Postfix instance under `root` (config, queue and data directories)."""

    def __init__(self, root: Path, cert_file: Path, key_file: Path,
                 sasl_port: int, lmtp_port: int,
                 message_size_limit: int = MESSAGE_SIZE_LIMIT) -> None:
        self.root = root
        self.config_dir = root / "etc"
        self.queue_dir = root / "queue"
        self.data_dir = root / "data"
        self.log_file = root / "postfix.log"
        self.cert_file = cert_file
        self.key_file = key_file
        self.sasl_port = sasl_port
        self.lmtp_port = lmtp_port
        self.message_size_limit = message_size_limit
        self.binary = require_binary("postfix", "postfix")
        a, b, c = free_ports(3)
        self.ports = PostfixPorts(starttls=a, tls=b, plaintext=c)
        self._running = False
        self._prepare()

    def _prepare(self) -> None:
        for directory in (self.config_dir, self.queue_dir, self.data_dir):
            directory.mkdir(parents=True, exist_ok=True)
        owner = pwd.getpwnam("postfix")
        os.chown(self.data_dir, owner.pw_uid, owner.pw_gid)
        grp.getgrnam("postdrop")  # Postfix start fails obscurely without it; fail here instead.
        access = self.config_dir / "recipient_access"
        access.write_text(f"{REJECTED_RECIPIENT} {REJECTION_REPLY}\n")
        (self.config_dir / "main.cf").write_text(self.render_main_cf())
        (self.config_dir / "master.cf").write_text(self.render_master_cf())

    def render_main_cf(self) -> str:
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "maillog_file": str(self.log_file),
            "maillog_file_prefixes": f"{self.root}, /var, /dev/stdout",
            "import_environment": "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C",
            "syslog_name": f"postfix-test-{self.root.parent.name}",
            "myhostname": "mail.example.test",
            "mydomain": DOMAIN,
            "myorigin": DOMAIN,
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "relayhost": "",
            "smtputf8_enable": "yes",
            "biff": "no",
            "smtpd_peername_lookup": "no",
            "smtp_dns_support_level": "disabled",
            "message_size_limit": str(self.message_size_limit),
            "mailbox_size_limit": "0",
            "virtual_mailbox_domains": DOMAIN,
            "virtual_transport": f"lmtp:inet:{HOST}:{self.lmtp_port}",
            "default_transport": "discard:mail outside example.test is dropped by the test server",
            "smtpd_tls_chain_files": f"{self.key_file}, {self.cert_file}",
            "smtpd_tls_security_level": "may",
            "smtpd_tls_auth_only": "yes",
            "smtpd_sasl_type": "dovecot",
            "smtpd_sasl_path": f"inet:{HOST}:{self.sasl_port}",
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_recipient_restrictions": (
                f"check_recipient_access texthash:{self.config_dir}/recipient_access, "
                "permit_sasl_authenticated, reject"
            ),
            "smtpd_relay_restrictions": "permit_sasl_authenticated, reject",
            "smtpd_error_sleep_time": "0",
            "smtpd_soft_error_limit": "100",
            "smtpd_hard_error_limit": "200",
            "smtpd_client_connection_rate_limit": "0",
            "smtpd_client_auth_rate_limit": "0",
            "lmtp_destination_recipient_limit": "50",
            "queue_run_delay": "10s",
            "minimal_backoff_time": "10s",
            "maximal_backoff_time": "20s",
        }
        return "".join(f"{key} = {value}\n" for key, value in settings.items())

    def render_master_cf(self) -> str:
        submission = (
            f"{HOST}:{self.ports.starttls} inet n - n - - smtpd\n"
            "  -o syslog_name=postfix-test/submission\n"
            "  -o smtpd_tls_security_level=encrypt\n"
        )
        smtps = (
            f"{HOST}:{self.ports.tls} inet n - n - - smtpd\n"
            "  -o syslog_name=postfix-test/smtps\n"
            "  -o smtpd_tls_wrappermode=yes\n"
        )
        plaintext = (
            f"{HOST}:{self.ports.plaintext} inet n - n - - smtpd\n"
            "  -o syslog_name=postfix-test/plaintext\n"
            "  -o smtpd_tls_security_level=none\n"
        )
        return submission + smtps + plaintext + _MASTER_SERVICES

    def _postfix(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.binary, "-c", str(self.config_dir), command],
            capture_output=True, text=True, check=False,
            env={**os.environ, "MAIL_CONFIG": str(self.config_dir)},
        )

    @property
    def running(self) -> bool:
        return self._running

    def start(self, timeout: float = 20.0) -> None:
        """Start (or restart) with the same config, queue and ports; return once both listen."""
        if self._running:
            return
        result = self._postfix("start")
        self._running = True
        if result.returncode != 0 or not wait_for_ports(self.ports.listening(), timeout):
            self.stop()
            raise ServerStartError(
                f"Postfix (-c {self.config_dir}) did not start ({result.returncode}): "
                f"{result.stdout}{result.stderr}\n{log_tail(self.log_file)}"
            )

    def stop(self) -> None:
        """Stop the master and its daemons; the ports are closed when this returns."""
        if not self._running:
            return
        self._running = False
        # `stop` is graceful; `abort` cuts open SMTP sessions short, which is what tests want.
        self._postfix("abort")
        if not wait_until_closed(self.ports.listening(), timeout=10):
            raise ServerStartError(f"Postfix (-c {self.config_dir}) still listens after abort")

    def queued(self) -> str:
        """`postqueue -p` output for this instance (empty queue: 'Mail queue is empty')."""
        return subprocess.run(
            ["postqueue", "-c", str(self.config_dir), "-p"],
            capture_output=True, text=True, check=False,
        ).stdout

    def flush(self) -> None:
        """Ask the queue manager to retry deferred mail now."""
        subprocess.run(["postqueue", "-c", str(self.config_dir), "-f"],
                       capture_output=True, check=False)
