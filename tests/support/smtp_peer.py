"""A scripted SMTP peer: answers each command line as a test says (or with the usual 250), to
pin how the client takes answers no real server gives on demand (4xx at login, a lost final
answer, a hang-up)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tui_mail.model import Protocol, Security, ServerConfig

Reply = Callable[[str], str | None]


HANG_UP = "<hang up>"  # a reply that closes the connection without answering


class Peer:
    """Answers each command line with `replies(line)` (None: the default 250)."""

    def __init__(self, replies: Reply, end_delay: float = 0.0) -> None:
        self.replies = replies
        self.end_delay = end_delay  # seconds before the answer to the end of DATA
        self.lines: list[str] = []
        self.ended = 0  # final dots received
        self.server: asyncio.base_events.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 peer ESMTP\r\n")
        in_data = False
        while line := await reader.readline():
            text = line.decode().rstrip("\r\n")
            if in_data:
                if text == ".":
                    in_data = False
                    self.ended += 1
                    await asyncio.sleep(self.end_delay)
                    answer = self.replies("<end of data>") or "250 2.0.0 queued"
                    if answer == HANG_UP:
                        break
                    writer.write((answer + "\r\n").encode())
                continue
            self.lines.append(text)
            verb = text.split(" ", 1)[0].upper()
            if verb == "EHLO":
                writer.write(b"250-peer\r\n250-AUTH PLAIN LOGIN XOAUTH2\r\n250-8BITMIME\r\n250 SIZE 1000\r\n")
            elif verb == "DATA" and self.replies(text) is None:
                writer.write(b"354 go ahead\r\n")
                in_data = True
            elif verb == "QUIT":
                writer.write(b"221 bye\r\n")
                break
            else:
                default = "235 2.7.0 accepted" if verb == "AUTH" else "250 2.0.0 ok"
                writer.write(((self.replies(text) or default) + "\r\n").encode())
            await writer.drain()
        writer.close()

    def server_config(self) -> ServerConfig:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return ServerConfig(Protocol.SMTP, "127.0.0.1", port, Security.NONE, "alice", timeout=5)
