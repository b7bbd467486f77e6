"""The log file the README promises: where it is, that it is private and rotates, what INFO and
--debug put in it, and that no password or token ever reaches it, checked with real logins
against the suite's Dovecot and Postfix (and a scripted peer for XOAUTH2 and AUTH LOGIN)."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import TuiMail
from tui_mail import log
from tui_mail.config import parse_config
from tui_mail.errors import ConfigError
from tui_mail.model import Protocol, Security, ServerConfig
from tui_mail.remote import imap, smtp
from tui_mail.remote.connection import Credentials

TOKEN = "ya29.a0-SECRET-token-value"
PASSWORD = "Sw0rdfish-secret"


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    """Logging set up in this process (at INFO) into tmp_path/state; undone afterwards."""
    folder = tmp_path / "state"
    log.setup_logging("info", folder)
    yield folder
    log.stop_logging()
    log.set_level("info")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def secrets_in(text: str, *secrets: str) -> list[str]:
    """Which of the secrets, or their base64 forms inside SASL strings, appear in `text`."""
    found = [s for s in secrets if s in text]
    for secret in secrets:
        for blob in (f"\0alice\0{secret}", f"user=alice\x01auth=Bearer {secret}\x01\x01",
                     f"n,a=alice,\x01auth=Bearer {secret}\x01\x01", secret):
            encoded = base64.b64encode(blob.encode()).decode()
            if encoded in text:
                found.append(encoded)
    return found


# ---- the file ---------------------------------------------------------------------------------


def test_the_log_is_created_private_at_the_first_line(log_dir: Path) -> None:
    path = log_dir / "tui-mail.log"
    assert log.log_path() == path
    assert mode(log_dir) == 0o700
    assert not path.exists()  # nothing logged yet: no file, no import of logging.handlers
    logging.getLogger("tui_mail.test").info("hello from the test")
    assert mode(path) == 0o600
    line = path.read_text()
    assert line.endswith("INFO tui_mail.test: hello from the test\n")


def test_the_default_place_is_the_xdg_state_folder(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    try:
        assert log.setup_logging() == tmp_path / "xdg-state" / "tui-mail" / "tui-mail.log"
    finally:
        log.stop_logging()


def test_a_log_left_readable_by_others_is_made_private(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    (folder / "tui-mail.log").write_text("old line\n")
    (folder / "tui-mail.log").chmod(0o644)
    log.setup_logging("info", folder)
    try:
        logging.getLogger("tui_mail.test").warning("new line")
    finally:
        log.stop_logging()
    assert mode(folder) == 0o700 and mode(folder / "tui-mail.log") == 0o600
    assert (folder / "tui-mail.log").read_text().startswith("old line\n")


def test_the_log_rotates_keeping_five_old_files_all_private(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log, "MAX_BYTES", 2000)
    folder = tmp_path / "state"
    log.setup_logging("info", folder)
    try:
        for i in range(200):
            logging.getLogger("tui_mail.test").info("line %d %s", i, "x" * 60)
    finally:
        log.stop_logging()
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["tui-mail.log"] + [f"tui-mail.log.{n}" for n in range(1, 6)]
    assert all(mode(folder / name) == 0o600 for name in names)
    assert all((folder / name).stat().st_size <= 2000 for name in names)
    assert "line 199 " in (folder / "tui-mail.log").read_text()


def test_info_is_the_default_level_and_debug_adds_detail(log_dir: Path) -> None:
    logger = logging.getLogger("tui_mail.test")
    logger.debug("a detail")
    logger.info("something happened")
    log.set_level("debug")
    logger.debug("now a detail")
    text = (log_dir / "tui-mail.log").read_text()
    assert "a detail" not in text.replace("now a detail", "")
    assert "something happened" in text and "now a detail" in text


def test_a_log_folder_that_cannot_be_made_stops_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")
    path = log.setup_logging("info", blocker / "tui-mail")
    try:
        logging.getLogger("tui_mail.test").error("goes nowhere, quietly")
        problem = log.log_problem()
        assert problem is not None and str(blocker) in problem
        assert not path.exists()
    finally:
        log.stop_logging()


def test_an_error_shown_is_logged_with_its_causes(log_dir: Path) -> None:
    from tui_mail.errors import CacheError

    try:
        try:
            raise OSError(28, "No space left on device")
        except OSError as exc:
            raise CacheError("the disk holding /x is full") from exc
    except CacheError as shown:
        log.log_shown(shown)
    text = (log_dir / "tui-mail.log").read_text()
    assert "ERROR tui_mail: the disk holding /x is full (cause: OSError: [Errno 28] No space" \
        " left on device)" in text


# ---- redaction --------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "kept", "secret"), [
    ("> b'ABCD1 LOGIN alice \"Sw0rdfish-secret\"'", "> b'ABCD1 LOGIN alice [redacted]'",
     PASSWORD),
    ("> b'ABCD1 LOGIN \"alice smith\" Sw0rdfish-secret'", "LOGIN \"alice smith\" [redacted]",
     PASSWORD),
    ("> AUTH PLAIN AGFsaWNlAFN3MHJkZmlzaC1zZWNyZXQ=", "> AUTH PLAIN [redacted]",
     "AGFsaWNlAFN3MHJkZmlzaC1zZWNyZXQ="),
    ("> b'A2 AUTHENTICATE XOAUTH2 dXNlcj1hbGljZQFhdXRo'", "AUTHENTICATE XOAUTH2 [redacted]",
     "dXNlcj1hbGljZQFhdXRo"),
    ("token request: Authorization: Bearer ya29.a0-SECRET-token-value", "Bearer [redacted]",
     TOKEN),
    ("user=alice\x01auth=Bearer ya29.a0-SECRET-token-value\x01\x01", "auth=Bearer [redacted]",
     TOKEN),
    ("password_command gave password=Sw0rdfish-secret", "password=[redacted]", PASSWORD),
])
def test_secrets_are_redacted(line: str, kept: str, secret: str) -> None:
    clean = log.redact(line)
    assert secret not in clean
    assert kept in clean


@pytest.mark.parametrize("line", [
    "< 250-AUTH PLAIN LOGIN XOAUTH2",
    "< b'* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN'",
    "> b'A3 UID FETCH 1:5 (FLAGS)'",
    "logged in to imap://127.0.0.1:993 (tls) as alice (password)",
])
def test_lines_without_secrets_are_left_as_they_are(line: str) -> None:
    assert log.redact(line) == line


def test_the_filter_redacts_arguments_and_tracebacks(log_dir: Path) -> None:
    logger = logging.getLogger("tui_mail.test")
    logger.warning("> b'%s LOGIN %s %s'", "A1", "alice", PASSWORD)
    try:
        raise RuntimeError(f"server said no to password={PASSWORD}")
    except RuntimeError:
        logger.exception("failed")
    text = (log_dir / "tui-mail.log").read_text()
    assert PASSWORD not in text
    assert "LOGIN alice [redacted]" in text and "password=[redacted]" in text


# ---- the config's log_level -------------------------------------------------------------------


def test_log_level_in_the_config_is_checked_naming_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert parse_config('log_level = "debug"\n', path).log_level == "debug"
    assert parse_config("", path).log_level == "info"
    with pytest.raises(ConfigError) as err:
        parse_config('log_level = "verbose"\n', path)
    assert str(err.value) == (
        f"{path}: key 'log_level': expected one of 'debug', 'info', 'warning', 'error',"
        " found 'verbose'")
    with pytest.raises(ConfigError, match="key 'log_level': expected a string, found a boolean"):
        parse_config("log_level = true\n", path)


# ---- real logins ------------------------------------------------------------------------------


def account_config(servers, login: str, address: str, password_file: Path) -> str:
    common = (f'username = "{login}"\nca_file = "{servers.ca_file}"\n'
              f'password_command = "cat {password_file}"\n')
    return (f'[accounts.work]\naddress = "{address}"\n\n'
            f'[accounts.work.incoming]\nprotocol = "imap"\nhost = "127.0.0.1"\n'
            f'port = {servers.imap_tls_port}\nsecurity = "tls"\n{common}\n'
            f'[accounts.work.smtp]\nhost = "127.0.0.1"\nport = {servers.smtp_starttls_port}\n'
            f'security = "starttls"\n{common}')


def check_with_log(servers, tmp_path: Path, *options: str, top: str = "") -> tuple[str, str]:
    """`tui-mail [options] accounts check` for a fresh user; (the log, the password)."""
    user = servers.new_user()
    password_file = tmp_path / "pw"
    password_file.write_text(user.password + "\n")
    tool = TuiMail(tmp_path)
    tool.config.write_text(top + account_config(servers, user.login, user.address, password_file))
    run = tool(*options, "accounts", "check")
    assert run.returncode == 0, run.output
    return (tmp_path / "state" / "tui-mail" / "tui-mail.log").read_text(), user.password


@pytest.mark.servers
def test_debug_logs_the_imap_and_smtp_lines_of_a_real_login_but_never_the_password(
        mail_servers, tmp_path: Path) -> None:
    text, password = check_with_log(mail_servers, tmp_path, "--debug")

    assert "imapclient.imaplib: > b'" in text and "imapclient.imaplib: < b'" in text
    assert "tui_mail.protocol.smtp: > EHLO" in text and "tui_mail.protocol.smtp: < 250" in text
    assert "tui_mail.protocol.smtp: > AUTH PLAIN [redacted]" in text
    assert "LOGIN **REDACTED**" in text or "LOGIN [redacted]" in text
    assert f"logged in to imap://127.0.0.1:{mail_servers.imap_tls_port} (tls)" in text
    assert secrets_in(text, password) == []


@pytest.mark.servers
def test_log_level_debug_in_the_config_does_what_debug_does(mail_servers, tmp_path: Path) -> None:
    text, password = check_with_log(mail_servers, tmp_path, top='log_level = "debug"\n')
    assert "imapclient.imaplib: > b'" in text and "tui_mail.protocol.smtp: > EHLO" in text
    assert secrets_in(text, password) == []


@pytest.mark.servers
def test_without_debug_the_log_has_the_login_but_no_protocol_lines(mail_servers,
                                                                   tmp_path: Path) -> None:
    text, password = check_with_log(mail_servers, tmp_path)
    assert "INFO tui_mail.remote.imap: logged in to imap://127.0.0.1:" in text
    assert "imapclient" not in text and "tui_mail.protocol" not in text
    assert secrets_in(text, password) == []


class ImapPeer:
    """A scripted IMAP server on loopback offering only AUTH=XOAUTH2 (what Dovecot here is
    not set up for): enough for a login and a logout."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn, conn.makefile("rwb") as stream:
            stream.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready\r\n")
            stream.flush()
            while line := stream.readline():
                self.received.append(line)
                tag, _, rest = line.decode().strip().partition(" ")
                command = rest.split(" ")[0].upper()
                if command == "AUTHENTICATE":
                    stream.write(b"+ \r\n")
                    stream.flush()
                    self.received.append(stream.readline())
                    stream.write(f"{tag} OK [CAPABILITY IMAP4rev1] welcome\r\n".encode())
                elif command == "LOGOUT":
                    stream.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                    stream.flush()
                    return
                else:
                    stream.write(f"* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\n{tag} OK done\r\n"
                                 .encode())
                stream.flush()


def test_an_imap_xoauth2_token_never_reaches_the_debug_log(log_dir: Path) -> None:
    log.set_level("debug")
    peer = ImapPeer()
    server = ServerConfig(Protocol.IMAP, "127.0.0.1", peer.port, Security.NONE, "alice",
                          timeout=10)
    client = imap.connect(server, Credentials("alice", oauth2_token=TOKEN))
    client.logout()
    peer.thread.join(10)

    sent = b"".join(peer.received)
    assert base64.b64encode(f"user=alice\x01auth=Bearer {TOKEN}\x01\x01".encode()) in sent
    text = (log_dir / "tui-mail.log").read_text()
    assert "AUTHENTICATE XOAUTH2" in text or "AUTHENTICATE **REDACTED**" in text
    assert secrets_in(text, TOKEN) == []


async def smtp_peer(mechanisms: str) -> tuple[asyncio.base_events.Server, list[str]]:
    """A scripted SMTP peer offering `mechanisms`; it accepts any login."""
    lines: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 peer ESMTP\r\n")
        while line := await reader.readline():
            text = line.decode().rstrip("\r\n")
            lines.append(text)
            verb = text.split(" ", 1)[0].upper()
            if verb == "EHLO":
                writer.write(f"250-peer\r\n250 AUTH {mechanisms}\r\n".encode())
            elif verb == "AUTH" and text.upper().startswith("AUTH LOGIN"):
                writer.write(b"334 UGFzc3dvcmQ6\r\n")
            elif verb == "QUIT":
                writer.write(b"221 bye\r\n")
                break
            else:
                writer.write(b"235 2.7.0 accepted\r\n")
            await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), lines


@pytest.mark.parametrize(("mechanisms", "credentials", "secret"), [
    ("XOAUTH2", Credentials("alice", oauth2_token=TOKEN), TOKEN),
    ("LOGIN", Credentials("alice", password=PASSWORD), PASSWORD),
])
async def test_an_smtp_token_or_password_never_reaches_the_debug_log(
        log_dir: Path, mechanisms: str, credentials: Credentials, secret: str) -> None:
    log.set_level("debug")
    server, lines = await smtp_peer(mechanisms)
    port = server.sockets[0].getsockname()[1]
    try:
        await smtp.probe(ServerConfig(Protocol.SMTP, "127.0.0.1", port, Security.NONE, "alice",
                                      timeout=10), credentials)
    finally:
        server.close()

    assert any(line.startswith(f"AUTH {mechanisms}") for line in lines)
    text = (log_dir / "tui-mail.log").read_text()
    assert f"tui_mail.protocol.smtp: > AUTH {mechanisms} [redacted]" in text
    if mechanisms == "LOGIN":  # the password goes alone on the line after the 334
        assert "tui_mail.protocol.smtp: < 334 UGFzc3dvcmQ6" in text
        assert text.count("tui_mail.protocol.smtp: > [redacted]") == 1
    assert secrets_in(text, secret) == []


def test_control_characters_from_servers_and_messages_are_written_out_not_kept(
        log_dir: Path) -> None:
    """`tail -f` of the log must not hand a folder name's escape sequence to the terminal."""
    logger = logging.getLogger("tui_mail.test")
    logger.warning("folder %s gone", "Evil\x1b]52;c;cHduZWQ=\x07\x9b2J\u202eexe")
    try:
        raise RuntimeError("server said \x1b[2J")
    except RuntimeError:
        logger.exception("failed")
    text = (log_dir / "tui-mail.log").read_text()
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\u202e" not in text
    assert "folder Evil\\x1b]52;c;cHduZWQ=\\x07\\x9b2J\\u202eexe gone" in text
    assert "server said \\x1b[2J" in text
