"""The bounded reading of server answers (tui_mail.remote.wire), on a socket pair: what a
server sends is written to one end, the Wire reads the other."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tui_mail.errors import ProtocolViolation, ServerTimeout
from tui_mail.remote.wire import Wire


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    server, client = socket.socketpair()
    yield server, client
    server.close()
    client.close()


def test_clear_text_after_the_starttls_answer_is_refused_not_read_as_if_secured(pair) -> None:
    server, client = pair
    wire = Wire("imap://x", 5, 1 << 20)
    server.sendall(b"a1 OK Begin TLS negotiation now\r\n* 1 EXISTS\r\n")
    assert wire.readline(client) == b"a1 OK Begin TLS negotiation now\r\n"
    with pytest.raises(ProtocolViolation, match="clear text"):
        wire.secured()
    assert not wire.buffered  # and nothing of it is left to read


def test_nothing_after_the_starttls_answer_is_the_normal_case(pair) -> None:
    server, client = pair
    wire = Wire("imap://x", 5, 1 << 20)
    server.sendall(b"a1 OK Begin TLS negotiation now\r\n")
    wire.readline(client)
    wire.secured()


def test_half_a_line_is_not_a_line_waiting_to_be_read(pair) -> None:
    """IDLE asks `buffered` before select(): half a line must let it wait on the socket."""
    server, client = pair
    wire = Wire("imap://x", 0.3, 1 << 20)
    server.sendall(b"* 3 EXISTS\r\n* 4 EXI")
    assert wire.readline(client) == b"* 3 EXISTS\r\n"
    assert not wire.buffered
    server.sendall(b"STS\r\n* 5 EXISTS\r\n")
    assert wire.readline(client) == b"* 4 EXISTS\r\n"
    assert wire.buffered


def test_a_trickled_answer_ends_at_the_deadline_like_a_silence(pair) -> None:
    """A byte every 50 ms never lets a 0.3 s socket timeout expire; the deadline does."""
    server, client = pair
    wire = Wire("imap://x", 0.3, 1 << 20)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.05):
            server.sendall(b"x")

    sender = threading.Thread(target=trickle, daemon=True)
    wire.start("UID FETCH")
    sender.start()
    try:
        with pytest.raises(ServerTimeout, match="no complete answer to UID FETCH"):
            wire.readline(client)
    finally:
        stop.set()
        sender.join()


def test_a_literal_over_the_limit_is_refused_before_anything_is_allocated(pair) -> None:
    _server, client = pair
    wire = Wire("imap://x", 5, 1 << 20)
    with pytest.raises(ProtocolViolation, match="announced"):
        wire.read(client, 99_999_999_999)
    with wire.allowing(5 << 20):  # a message the user agreed to download at that size
        wire.check_literal(5 << 20)
    with pytest.raises(ProtocolViolation):
        wire.check_literal(5 << 20)
