"""`tui-mail send` and `tui-mail outbox` run as real commands against Postfix and Dovecot."""

from __future__ import annotations

import os
import subprocess
import sys
from email.message import Message
from pathlib import Path

import pytest

from tests.servers.dovecot import MailUser
from tests.support.cli import Run
from tests.support.mail_users import User, fetch_all, wait_for, wait_for_subject
from tests.support.messages import plain_body
from tests.support.sent_refused import sent_refused

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.servers

class Cli:
    def __init__(self, home: Path, servers, user: User | MailUser, *,
                 imap_port: int | None = None, extra: str = "") -> None:
        self.home = home
        self.config = home / "config.toml"
        pw = home / "pw"
        pw.write_text(user.password + "\n")
        self.config.write_text(
            f'[accounts.alice]\naddress = "Alice Ünder <{user.address}>"\nsignature = "Alice"\n'
            f'{extra}\n'
            f'[accounts.alice.incoming]\nprotocol = "imap"\nhost = "127.0.0.1"\n'
            f'port = {imap_port or servers.imap_tls_port}\nsecurity = "tls"\n'
            f'username = "{user.login}"\n'
            f'ca_file = "{servers.ca_file}"\npassword_command = "cat {pw}"\n\n'
            f'[accounts.alice.smtp]\nhost = "127.0.0.1"\nport = {servers.smtp_starttls_port}\n'
            f'security = "starttls"\nusername = "{user.login}"\nca_file = "{servers.ca_file}"\n'
            f'password_command = "cat {pw}"\ntimeout = 20\n'
        )

    def __call__(self, *args: str, stdin: str = "") -> Run:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TUI_MAIL"))}
        env.update(HOME=str(self.home), XDG_DATA_HOME=str(self.home / "data"),
                   XDG_CONFIG_HOME=str(self.home / "config"), PYTHONPATH=str(REPO))
        done = subprocess.run(
            [sys.executable, "-m", "tui_mail", "--config", str(self.config), *args],
            input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def alice_cli(tmp_path: Path, mail_servers, fresh):
    alice = fresh("alice")
    return alice, Cli(tmp_path, mail_servers, alice)


def test_send_mutt_style_with_cc_bcc_and_attachment(mail_servers, fresh, alice_cli, tmp_path) -> None:
    alice, cli = alice_cli
    bob, carol, dave = fresh("bob"), fresh("carol"), fresh("dave")
    attachment = tmp_path / "report.pdf"
    attachment.write_bytes(b"%PDF-1.4\n" + os.urandom(2000))
    run = cli("send", "-s", "Bericht für dich", "-c", carol.address, "-b", dave.address,
              "-a", str(attachment), f"Bob <{bob.address}>", stdin="Hier ist er.\n")
    assert run.returncode == 0, run.output
    assert "sent" in run.stdout
    for user in (bob, carol, dave):
        [got] = wait_for(mail_servers, user)
        assert got["Subject"] == "Bericht für dich"
        assert got["Bcc"] is None
        [part] = got.iter_attachments()
        assert part.get_content_type() == "application/pdf"
        assert part.get_payload(decode=True) == attachment.read_bytes()
        assert plain_body(got).replace("\r\n", "\n") == "Hier ist er.\n-- \nAlice\n"
    assert dave.login.encode() not in fetch_all(mail_servers, bob)[0]
    assert len(fetch_all(mail_servers, alice, "Sent")) == 1
    assert "empty" in cli("outbox").stdout


def test_send_message_file_takes_recipients_from_headers(mail_servers, fresh, alice_cli, tmp_path) -> None:
    alice, cli = alice_cli
    bob, dave = fresh("bob"), fresh("dave")
    eml = tmp_path / "ready.eml"
    eml.write_bytes(f"From: {alice.address}\nTo: {bob.address}\nBcc: {dave.address}\n"
                    "Subject: ready made\n\nbody\n".encode())
    run = cli("send", "--message", str(eml))
    assert run.returncode == 0, run.output
    for user in (bob, dave):
        [got] = wait_for(mail_servers, user)
        assert got["Subject"] == "ready made" and got["Bcc"] is None and got["Message-ID"]
    assert dave.login.encode() not in fetch_all(mail_servers, bob)[0]


def test_header_injection_is_refused_and_nothing_is_queued(fresh, alice_cli) -> None:
    _, cli = alice_cli
    bob = fresh("bob")
    run = cli("send", "-s", "hi\nBcc: victim@evil.test", bob.address, stdin="x\n")
    assert run.returncode != 0
    assert "line breaks are not allowed" in run.stderr
    assert "Traceback" not in run.output
    assert "empty" in cli("outbox", "list").stdout


def test_rejected_recipient_is_named_and_kept(mail_servers, fresh, alice_cli) -> None:
    _, cli = alice_cli
    bob = fresh("bob")
    run = cli("send", "-s", "some refused", bob.address, "rejected@example.test", stdin="x\n")
    assert run.returncode == 1, run.output
    assert "rejected@example.test: 550" in run.stderr
    listing = cli("outbox", "list").stdout
    assert "held" in listing and "rejected@example.test" in listing and bob.address not in listing
    assert wait_for_subject(mail_servers, bob, "some refused")
    entry = listing.split()[0].lstrip("#")
    again = cli("outbox", "retry", entry)
    assert again.returncode == 1
    assert "every recipient was refused: rejected@example.test: 550" in again.stderr
    assert "held" in cli("outbox", "list").stdout
    assert "no message #999" in cli("outbox", "retry", "999").stderr


def test_postfix_down_then_outbox_flush_delivers_exactly_once(mail_servers, fresh, alice_cli) -> None:
    _, cli = alice_cli
    bob = fresh("bob")
    mail_servers.stop_postfix()
    try:
        run = cli("send", "-s", "queued while down", bob.address, stdin="x\n")
        assert run.returncode == 75, run.output
        assert "kept in the outbox" in run.stderr and "connection refused" in run.stderr
        listing = cli("outbox", "list").stdout
        assert "waiting, next try at" in listing and bob.address in listing
        flushed = cli("outbox", "flush")
        assert flushed.returncode == 75, flushed.output
        assert "outbox #1: not sent yet, kept in the outbox; it will be retried at" in flushed.stderr
        assert "sent 0, waiting 1 (next retry at " in flushed.stdout
        assert "held 0" in flushed.stdout
    finally:
        mail_servers.start_postfix()
    run = cli("outbox", "flush")
    assert run.returncode == 0, run.output
    assert "outbox #1: sent" in run.stdout
    assert "sent 1, waiting 0, held 0; the outbox is empty" in run.stdout
    assert cli("outbox", "flush").returncode == 0
    cli("send", "-s", "marker", bob.address, stdin="x\n")
    got = wait_for_subject(mail_servers, bob, "marker")
    assert [m["Subject"] for m in got].count("queued while down") == 1


def set_state(cli: Cli, entry_id: int, state: str, error: str) -> None:
    from tui_mail.store import Store

    with Store.open(cli.home / "data" / "tui-mail" / "cache.sqlite3") as store:
        store.queues.outbox_set_state(entry_id, state, error, None)


def test_a_message_that_may_have_been_sent_waits_for_the_user_to_retry_or_drop_it(
    mail_servers, fresh, alice_cli
) -> None:
    _, cli = alice_cli
    bob = fresh("bob")
    for subject in ("maybe sent", "surely waiting"):
        assert cli("send", "--queue-only", "-s", subject, bob.address, stdin="x\n").returncode == 0
    set_state(cli, 1, "unsure", "may have been sent: send it again, or drop it (interrupted)")

    listing = cli("outbox", "list").stdout
    [line] = [row for row in listing.splitlines() if row.startswith("#1 ")]
    assert "MAY HAVE BEEN SENT" in line
    assert "`tui-mail outbox retry 1` sends it again, `tui-mail outbox drop 1` drops it" in line

    flushed = cli("outbox", "flush")
    assert flushed.returncode == 1, flushed.output
    assert flushed.stdout.splitlines()[0] == "outbox #2: sent"
    assert "outbox #1" not in flushed.output  # not sent again without being asked
    assert "sent 1, waiting 0, held 1 (1 may have been sent: retry or drop them)" in flushed.stdout
    assert cli("outbox", "retry").returncode == 1  # without ids it is not sent either

    again = cli("outbox", "retry", "1")
    assert again.returncode == 0, again.output
    assert "outbox #1: sent" in again.stdout
    cli("send", "-s", "marker", bob.address, stdin="x\n")
    subjects = [m["Subject"] for m in wait_for_subject(mail_servers, bob, "marker")]
    assert sorted(subjects) == ["marker", "maybe sent", "surely waiting"]


def test_a_dropped_message_is_never_sent(mail_servers, fresh, alice_cli) -> None:
    _, cli = alice_cli
    bob = fresh("bob")
    assert cli("send", "--queue-only", "-s", "changed my mind", bob.address, stdin="x\n").returncode == 0
    dropped = cli("outbox", "drop", "1")
    assert dropped.returncode == 0, dropped.output
    assert "outbox #1: dropped; it will not be sent" in dropped.stdout
    assert "no message #1 in the outbox" in cli("outbox", "drop", "1").stderr
    flushed = cli("outbox", "flush")
    assert flushed.returncode == 0 and "sent 0, waiting 0, held 0; the outbox is empty" in flushed.stdout
    cli("send", "-s", "marker", bob.address, stdin="x\n")
    assert [m["Subject"] for m in wait_for_subject(mail_servers, bob, "marker")] == ["marker"]


def test_sent_but_not_saved_to_sent_exits_3_saying_so_and_only_the_copy_is_retried(
    mail_servers, dovecot_variant, fresh, tmp_path
) -> None:
    """The server refuses the APPEND to Sent (no insert right): the message went out, `send`
    says it is not in Sent and why, and retries copy it without sending it again."""
    mailbox = sent_refused(mail_servers, dovecot_variant)
    cli = Cli(tmp_path, mail_servers, mailbox.user, imap_port=mailbox.dovecot.ports.imap_tls)
    bob = fresh("bob")

    run = cli("send", "-s", "not in Sent", bob.address, stdin="x\n")
    assert run.returncode == 3, run.output
    first, advice = run.stderr.splitlines()[:2]
    assert first.startswith("outbox #1: sent to the recipients, but not saved to Sent: "), first
    assert "APPEND to 'Sent' refused" in first and "[NOPERM] Permission denied" in first
    assert advice.startswith("  the copy will be tried again at "), advice
    assert advice.endswith(", or now with `tui-mail outbox retry 1` (the message itself is "
                           "not sent again)"), advice
    assert run.stdout == ""
    assert [m["Subject"] for m in wait_for_subject(mail_servers, bob, "not in Sent")] == [
        "not in Sent"]

    listing = cli("outbox").stdout
    [line] = [row for row in listing.splitlines() if row.startswith("#1 ")]
    assert "sent, but not saved to Sent; tried again at " in line
    assert "(or `tui-mail outbox retry 1`)" in line
    assert "[NOPERM] Permission denied" in listing

    flushed = cli("outbox", "flush")  # still refused: the copy fails again, nothing is resent
    assert flushed.returncode == 3, flushed.output
    assert "outbox #1: sent to the recipients earlier, but not saved to Sent: " in flushed.stderr
    assert "sent 0, waiting 0, held 0; 1 sent but not saved to Sent" in flushed.stdout
    assert mailbox.count() == 0

    mailbox.allow()
    again = cli("outbox", "retry", "1")
    assert again.returncode == 0, again.output
    assert again.stdout == "outbox #1: saved to Sent (it had been sent already); removed from the outbox\n"
    assert "empty" in cli("outbox").stdout
    assert mailbox.count() == 1

    assert cli("send", "-s", "marker", bob.address, stdin="x\n").returncode == 0
    subjects = [m["Subject"] for m in wait_for_subject(mail_servers, bob, "marker")]
    assert sorted(subjects) == ["marker", "not in Sent"]  # delivered once, retries or not
    assert mailbox.count() == 2


def test_a_copy_to_sent_that_keeps_failing_can_be_given_up_with_outbox_drop(
    mail_servers, dovecot_variant, fresh, tmp_path
) -> None:
    mailbox = sent_refused(mail_servers, dovecot_variant)
    cli = Cli(tmp_path, mail_servers, mailbox.user, imap_port=mailbox.dovecot.ports.imap_tls)
    bob = fresh("bob")
    assert cli("send", "-s", "never in Sent", bob.address, stdin="x\n").returncode == 3
    dropped = cli("outbox", "drop", "1")
    assert dropped.returncode == 0, dropped.output
    assert dropped.stdout == ("outbox #1: dropped (it had been sent; no copy will be saved to "
                              "Sent)\n")
    assert "empty" in cli("outbox").stdout
    assert mailbox.count() == 0


def payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def test_send_signs_and_encrypts_when_asked_and_the_recipient_opens_it(
        mail_servers, fresh, alice_cli, monkeypatch) -> None:
    from tests.support.crypto import correspondents

    alice, cli = alice_cli
    bob = fresh("bob")
    keys = correspondents(alice.address, bob.address)
    monkeypatch.setenv("GNUPGHOME", str(keys.mine))  # the user's GnuPG, as in their shell
    try:
        refused = cli("send", "--encrypt", "-s", "Secret", "nobody@example.test",
                      stdin="Not for anyone.\n")
        assert refused.returncode != 0
        assert "no key to encrypt to for nobody@example.test" in refused.stderr
        assert "empty" in cli("outbox").stdout  # nothing queued

        run = cli("send", "--sign", "--encrypt", "-s", "Quarterly figures", bob.address,
                  stdin="Up eleven percent.\n")
        assert run.returncode == 0, run.output
        [got] = wait_for(mail_servers, bob)
        assert got.get_content_type() == "multipart/encrypted" and got["Subject"] == "..."
        assert b"eleven" not in got.as_bytes()
        encrypted = next(part for part in got.walk()
                         if part.get_content_type() == "application/octet-stream")
        plain = keys.gpg(keys.theirs, "--decrypt", data=payload(encrypted))
        assert b"Up eleven percent." in plain and b"Subject: Quarterly figures" in plain
        assert b"[GNUPG:] GOODSIG" in keys.verify_inner(keys.theirs, plain)
    finally:
        keys.close()


def test_send_from_an_autocrypt_account_carries_the_key_and_encrypts_to_a_mutual_peer(
        mail_servers, fresh, tmp_path, monkeypatch) -> None:
    """The README's Autocrypt account: Bob's mail said prefer-encrypt=mutual, so `tui-mail
    send` encrypts to the key his header carried (not in the keyring) without being asked,
    and carries Alice's key in its own header."""
    from tests.support.crypto import correspondents
    from tui_mail.mail.autocrypt import autocrypt_header, parse_autocrypt
    from tui_mail.model import FolderRole
    from tui_mail.store import NewMessage, Store

    alice, bob = fresh("alice"), fresh("bob")
    cli = Cli(tmp_path, mail_servers, alice, extra='autocrypt = "mutual"\n')
    keys = correspondents(alice.address, bob.address)
    bob_key = keys.gpg(keys.theirs, "--export", bob.address)
    keys.gpg(keys.mine, "--batch", "--yes", "--delete-keys", bob.address)
    monkeypatch.setenv("GNUPGHOME", str(keys.mine))
    cache = tmp_path / "data" / "tui-mail" / "cache.sqlite3"
    cache.parent.mkdir(parents=True, exist_ok=True)
    raw = (f"From: Bob <{bob.address}>\r\nTo: {alice.address}\r\nSubject: Hi\r\n"
           "Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <hi@bob>\r\n"
           f"Autocrypt: {autocrypt_header(bob.address, bob_key, True)}\r\n\r\nHi\r\n")
    with Store.open(cache) as store:
        store.ensure_folder("alice", "INBOX", FolderRole.INBOX)
        store.add_messages("alice", "INBOX", [NewMessage(uid=1, raw=raw.encode())])
    try:
        run = cli("send", "-s", "Lunch", bob.address, stdin="Friday?\n")
        assert run.returncode == 0, run.output
        [got] = wait_for(mail_servers, bob)
        assert got.get_content_type() == "multipart/encrypted"
        encrypted = next(part for part in got.walk()
                         if part.get_content_type() == "application/octet-stream")
        assert b"Friday?" in keys.gpg(keys.theirs, "--decrypt", data=payload(encrypted))
        own = parse_autocrypt([str(v) for v in got.get_all("Autocrypt", [])], alice.address)
        assert own is not None and own.mutual
    finally:
        keys.close()
