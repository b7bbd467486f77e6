"""`tui-mail accounts ...` run as a real command against the real Dovecot and Postfix."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support.cli import Run, TuiMail


@pytest.fixture
def tui_mail(tmp_path: Path) -> TuiMail:
    return TuiMail(tmp_path)


def server_table(
    protocol: str, port: int, security: str, login: str, *, host: str = "127.0.0.1",
    ca_file: Path | None = None, password_file: Path | None = None,
) -> str:
    lines = [f'host = "{host}"', f"port = {port}", f'security = "{security}"', f'username = "{login}"']
    if protocol != "smtp":
        lines.insert(0, f'protocol = "{protocol}"')
    if ca_file:
        lines.append(f'ca_file = "{ca_file}"')
    if password_file:
        lines.append(f'password_command = "cat {password_file}"')
    return "\n".join(lines) + "\n"


def account_toml(name: str, address: str, incoming: str, smtp: str | None = None) -> str:
    text = f'[accounts.{name}]\naddress = "{address}"\n\n[accounts.{name}.incoming]\n{incoming}\n'
    if smtp:
        text += f"[accounts.{name}.smtp]\n{smtp}\n"
    return text


def password_file(tmp_path: Path, name: str, password: str) -> Path:
    path = tmp_path / f"{name}.pw"
    path.write_text(password + "\n")
    return path


@pytest.mark.servers
def test_check_succeeds_for_imap_pop3_and_smtp_over_tls_and_starttls(mail_servers, tui_mail, tmp_path) -> None:
    s = mail_servers
    login, password, address = s.users["alice"]
    pw = password_file(tmp_path, "alice", password)
    common = {"ca_file": s.ca_file, "password_file": pw}
    tui_mail.config.write_text(
        account_toml("imap-tls", address, server_table("imap", s.imap_tls_port, "tls", login, **common),
                     server_table("smtp", s.smtp_starttls_port, "starttls", login, **common))
        + account_toml("imap-starttls", address,
                       server_table("imap", s.imap_starttls_port, "starttls", login, **common),
                       server_table("smtp", s.smtp_tls_port, "tls", login, **common))
        + account_toml("pop3-tls", address, server_table("pop3", s.pop3_tls_port, "tls", login, **common))
        + account_toml("pop3-starttls", address,
                       server_table("pop3", s.pop3_starttls_port, "starttls", login, **common))
    )
    run = tui_mail("accounts", "check")
    assert run.returncode == 0, run.output
    assert run.stdout.count(": OK") == 6
    assert "IMAP4REV1" in run.stdout.upper()
    assert "UIDL" in run.stdout  # POP3 CAPA
    assert "AUTH" in run.stdout and "SIZE" in run.stdout  # SMTP EHLO
    assert password not in run.output


@pytest.mark.servers
def test_set_password_stores_in_keyring_and_check_uses_it(mail_servers, tui_mail) -> None:
    s = mail_servers
    login, password, address = s.users["bob"]
    tui_mail.config.write_text(
        account_toml("bob", address, server_table("imap", s.imap_tls_port, "tls", login, ca_file=s.ca_file))
    )
    run = tui_mail("accounts", "set-password", "bob", "incoming", stdin=password + "\n")
    assert run.returncode == 0, run.output
    assert "keyring" in run.stdout
    run = tui_mail("accounts", "check", "bob")
    assert run.returncode == 0, run.output
    assert password not in "".join(tui_mail.outputs)


def check_fails(tui_mail: TuiMail, incoming: str, *, smtp: str | None = None) -> Run:
    tui_mail.config.write_text(account_toml("broken", "alice@example.test", incoming, smtp))
    run = tui_mail("accounts", "check")
    assert run.returncode != 0
    assert "FAILED" in run.stdout
    assert "Traceback" not in run.output
    return run


@pytest.mark.servers
def test_wrong_password_gives_the_server_words(mail_servers, tui_mail, tmp_path) -> None:
    s = mail_servers
    login, _, _ = s.users["alice"]
    pw = password_file(tmp_path, "wrong", "not-the-password")
    run = check_fails(
        tui_mail,
        server_table("imap", s.imap_tls_port, "tls", login, ca_file=s.ca_file, password_file=pw),
        smtp=server_table("smtp", s.smtp_starttls_port, "starttls", login, ca_file=s.ca_file, password_file=pw),
    )
    assert run.stdout.count("login as") == 2, run.stdout
    assert "failed; the server said:" in run.stdout
    assert "AUTHENTICATIONFAILED" in run.stdout or "Authentication failed" in run.stdout
    assert "535" in run.stdout  # SMTP's own words
    assert "not-the-password" not in run.output


@pytest.mark.servers
def test_wrong_pop3_password(mail_servers, tui_mail, tmp_path) -> None:
    s = mail_servers
    pw = password_file(tmp_path, "wrong", "nope")
    run = check_fails(
        tui_mail, server_table("pop3", s.pop3_tls_port, "tls", s.users["alice"][0], ca_file=s.ca_file, password_file=pw)
    )
    assert "login as" in run.stdout and "the server said" in run.stdout


def test_unknown_host(tui_mail, tmp_path) -> None:
    pw = password_file(tmp_path, "x", "x")
    run = check_fails(
        tui_mail, server_table("imap", 993, "tls", "u", host="no-such-host.invalid", password_file=pw)
    )
    assert "cannot resolve host 'no-such-host.invalid'" in run.stdout


def test_closed_port(tui_mail, tmp_path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pw = password_file(tmp_path, "x", "x")
    run = check_fails(tui_mail, server_table("imap", port, "tls", "u", password_file=pw))
    assert "connection refused" in run.stdout


@pytest.mark.servers
@pytest.mark.parametrize("protocol", ["imap", "pop3", "smtp"])
def test_untrusted_certificate_names_ca_file_as_the_fix(mail_servers, tui_mail, tmp_path, protocol) -> None:
    s = mail_servers
    login, password, _ = s.users["alice"]
    pw = password_file(tmp_path, "alice", password)
    ports = {"imap": s.imap_tls_port, "pop3": s.pop3_tls_port, "smtp": s.smtp_tls_port}
    table = server_table(protocol, ports[protocol], "tls", login, ca_file=s.wrong_ca_file, password_file=pw)
    if protocol == "smtp":
        ok_incoming = server_table("imap", s.imap_tls_port, "tls", login, ca_file=s.ca_file, password_file=pw)
        run = check_fails(tui_mail, ok_incoming, smtp=table)
    else:
        run = check_fails(tui_mail, table)
    assert "certificate is not trusted" in run.stdout
    assert "ca_file" in run.stdout


@pytest.mark.servers
@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_starttls_account_at_a_server_without_starttls_refuses_plaintext(
    dovecot_variant, tui_mail, tmp_path, protocol
) -> None:
    plain = dovecot_variant({"ssl": "no"})
    login, password, _ = plain.users["alice"]
    pw = password_file(tmp_path, "x", password)
    port = plain.ports.imap_starttls if protocol == "imap" else plain.ports.pop3_starttls
    run = check_fails(tui_mail, server_table(protocol, port, "starttls", login, password_file=pw))
    assert "does not offer STARTTLS" in run.stdout
    assert "refusing" in run.stdout


@pytest.mark.servers
def test_starttls_smtp_at_a_server_without_starttls_refuses_plaintext(mail_servers, tui_mail, tmp_path) -> None:
    s = mail_servers
    login, password, _ = s.users["alice"]
    pw = password_file(tmp_path, "alice", password)
    incoming = server_table("imap", s.imap_tls_port, "tls", login, ca_file=s.ca_file, password_file=pw)
    smtp = server_table("smtp", s.smtp_plaintext_port, "starttls", login, password_file=pw)
    run = check_fails(tui_mail, incoming, smtp=smtp)
    assert "does not offer STARTTLS" in run.stdout and "smtp://" in run.stdout


@pytest.mark.servers
def test_no_secret_in_any_log_file(mail_servers, tui_mail, tmp_path) -> None:
    s = mail_servers
    login, password, address = s.users["carol"]
    pw = password_file(tmp_path, "carol", password)
    tui_mail.config.write_text(
        account_toml("carol", address, server_table("imap", s.imap_tls_port, "tls", login, ca_file=s.ca_file, password_file=pw),
                     server_table("smtp", s.smtp_tls_port, "tls", login, ca_file=s.ca_file, password_file=pw))
    )
    assert tui_mail("accounts", "check").returncode == 0
    assert tui_mail("accounts", "list").returncode == 0
    written = [p for p in tui_mail.home.rglob("*") if p.is_file() and p != pw]
    for path in written:
        assert password not in path.read_text(errors="replace"), path
    assert password not in "".join(tui_mail.outputs)


def test_config_error_exits_non_zero_without_traceback(tui_mail) -> None:
    tui_mail.config.write_text('[accounts.a]\naddress = "a@b.c"\n[accounts.a.incoming]\nprotocol = "imap"\nhots = "x"\n')
    run = tui_mail("accounts", "list")
    assert run.returncode == 2
    assert "account 'a'" in run.stderr and "'incoming.hots'" in run.stderr
    assert "Traceback" not in run.output
