#!/usr/bin/env python3
"""Walk the user's day by hand: the test suite's Dovecot and Postfix, a mailbox with mail in it,
and a config written as the README says, then a shell line to start the real `tui-mail`.

    .venv/bin/python scripts/dev_servers.py [--home DIR] [--imap courier|cyrus|...]

With `--imap LABEL` the mailbox is on that server of tests/servers/imap_matrix.py instead of Dovecot
(Courier, Cyrus as Debian sets it up, ...: the namespaces of issue 16), the user has INBOX only
unless `--special-folders`; sending still goes through the suite's Postfix.

It prints the environment to start `tui-mail` with (in another terminal, or tmux) and then
reads commands on its standard input, to do what happens to a user during a day:

    deliver [SUBJECT]     new mail from a correspondent (a plain text message)
    big                   a message larger than body_size_cap (3 MB), to open
    html                  an HTML-only newsletter
    eml FILE              a message file put in INBOX as it is (benchmarks/hostile.py makes some)
    stop dovecot | start dovecot | restart dovecot   (with --imap: also stop imap | start imap)
    stop postfix | start postfix
    inbox [FOLDER]        what the server holds (subject and flags)
    folders               the user's folders on the server (LIST)
    create F | delete F | rename F NEW   as another client would (server names: INBOX.Work)
    friend                what the correspondent received
    With --oauth2 (the account signs in with OAuth2 at the suite's authorization server):
    approve CODE          enter the device code shown by `tui-mail accounts login work`
    browse URL            sign in at URL as the user; prints the address the browser ends on
    revoke | expire       revoke the user's sign-in | expire their access tokens
    stop oauth | start oauth
    quit

Everything lives in a temporary folder (or --home) and stops with the script.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.journeys.world import MailWorld  # noqa: E402
from tests.servers.imap_matrix import close_server, start_server  # noqa: E402
from tests.servers.mailservers import start_mail_servers  # noqa: E402
from tests.support.terminal import tui_mail_command  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="the user's home folder (default: a temp dir)")
    parser.add_argument("--imap", metavar="LABEL",
                        help="read mail from this server of tests/servers/imap_matrix.py instead of "
                             "Dovecot: courier, cyrus, cyrus-altns-slash, ...")
    parser.add_argument("--oauth2", action="store_true",
                        help="the account signs in with OAuth2 (no password): run "
                             "`tui-mail accounts login work` first")
    parser.add_argument("--special-folders", action="store_true",
                        help="with --imap: the user starts with Drafts, Sent, Trash, Junk, Archive")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="tui-mail-home-"))
    servers = start_mail_servers()
    imap_server = None
    try:
        if args.imap:
            imap_server = start_server(args.imap, servers.certs)
            user = imap_server.new_user(special_folders=args.special_folders)
            print(f"imap:   {args.imap} on port {imap_server.imap_tls_port}", flush=True)
            world = MailWorld(servers, home, imap_server=imap_server, user=user)
        else:
            world = MailWorld(servers, home)
        if args.oauth2:
            world.write_oauth2_config()
        else:
            world.write_config()
        for n in range(1, 4):
            world.deliver(f"Welcome note {n}", f"Hello, this is message {n}.\n" * 3)
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in world.env.items())
        print(f"home:   {home}\nconfig: {world.config_path}\nuser:   {world.user.address}\n"
              f"friend: {world.friend.address}\n"
              f"sign-in page: {world.user.login} / {world.user.password}\n\nstart it with:\n"
              f"  env -i {exports} {shlex.join(tui_mail_command())}\n", flush=True)
        count = 3
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            command, rest = words[0], " ".join(words[1:])
            if command == "quit":
                break
            try:
                done = run(command, rest, world, servers, count)
            except Exception as exc:  # noqa: BLE001 - a command on a stopped server: say it
                print(f"failed: {type(exc).__name__}: {exc}", flush=True)
                continue
            if done is None:
                print(f"unknown command: {line.strip()}")
                continue
            count = done
            print("ok", flush=True)
    finally:
        if imap_server is not None:
            close_server(imap_server)
        servers.close()
    return 0


def run(command: str, rest: str, world: MailWorld, servers: Any, count: int) -> int | None:
    """One command of the script's input; the message count after it, or None if unknown."""
    if command == "deliver":
        count += 1
        world.deliver(rest or f"Message {count}", f"Body of message {count}.\n")
    elif command == "big":
        world.deliver(rest or "A big report", "The report is attached.\n",
                      attachment=b"x" * 3_000_000)
    elif command == "html":
        world.deliver(rest or "Newsletter", "",
                      html="<html><body><h1>News</h1><p>Only <b>HTML</b> here.</p>"
                           "<p><a href='https://example.com/read'>Read more</a></p></body></html>")
    elif command == "eml" and rest:
        client = world.imap()  # as another client: APPEND puts the file as it is in INBOX
        try:
            typ, data = client.append("INBOX", None, None, Path(rest).expanduser().read_bytes())
            if typ != "OK":
                raise RuntimeError(f"APPEND refused: {data!r}")
        finally:
            client.logout()
    elif command == "approve" and rest:
        servers.oauth.approve_device(rest.strip(), world.user)
    elif command == "browse" and rest:
        from tests.support.oauth_browser import sign_in_at

        print(sign_in_at(rest.strip(), world.user.login, world.user.password,
                         str(servers.oauth.ca_file)))
    elif command == "revoke":
        servers.oauth.revoke_user(world.user)
    elif command == "expire":
        servers.oauth.expire_access_tokens(world.user)
    elif command in ("stop", "start") and rest == "oauth":
        (servers.stop_oauth if command == "stop" else servers.start_oauth)()
    elif command in ("stop", "start", "restart") and rest in ("dovecot", "postfix", "imap"):
        server = {"dovecot": servers.dovecot, "postfix": servers.postfix,
                  "imap": world.imap_server or servers.dovecot}[rest]
        if command in ("stop", "restart"):
            server.stop()
        if command in ("start", "restart"):
            server.start()
    elif command == "inbox":
        for flags, msg in world.server_messages(rest or "INBOX"):
            shown = re.search(rb"FLAGS \(([^)]*)\)", flags)
            print(f"  {msg['Subject']}  [{shown[1].decode() if shown else ''}]")
    elif command in ("folders", "create", "delete", "rename"):
        client = world.imap()  # another client, as the user
        try:
            if command == "folders":
                for line in client.list()[1]:
                    print(f"  {line.decode(errors='replace')}")
            else:
                typ, data = getattr(client, command)(*rest.split())
                if typ != "OK":
                    raise RuntimeError(f"{command} refused: {data!r}")
        finally:
            client.logout()
    elif command == "friend":
        for _flags, msg in world.server_messages("INBOX", world.friend):
            print(f"  {msg['Subject']}  from {msg['From']}")
    else:
        return None
    return count


if __name__ == "__main__":
    sys.exit(main())
