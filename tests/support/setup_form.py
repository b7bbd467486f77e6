"""The account setup form filled as a user fills it for the suite's servers, signing in with
OAuth2 at the suite's authorization server (the test of it and benchmarks/sign_in.py)."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Collapsible, Input


async def fill_oauth_setup_form(pilot: Pilot, servers: Any, user: Any) -> None:
    screen = pilot.app.screen
    screen.query_one("#name", Input).value = "work"
    screen.query_one("#address", Input).value = user.address
    screen.query_one("#advanced", Collapsible).collapsed = False
    await pilot.pause()
    for field, value in [("in-host", "127.0.0.1"), ("in-port", str(servers.imap_tls_port)),
                         ("in-security", "tls"), ("in-username", user.login),
                         ("smtp-host", "127.0.0.1"), ("smtp-port", str(servers.smtp_starttls_port)),
                         ("smtp-security", "starttls"), ("smtp-username", user.login),
                         ("ca-file", str(servers.ca_file)),
                         ("client-id", servers.oauth.client_id)]:
        screen.query_one(f"#{field}").value = value  # type: ignore[attr-defined]  # Inputs and Selects
    await pilot.pause()


def send_burst(app: Any, keys: str | list[str]) -> None:
    """Hand the driver every key at once, as a fast typist or a password manager's auto-type
    does: no key waits for the previous one to be handled (`pilot.press` waits for idle
    between keys, which hides races). A string is typed character by character, "\\t" as Tab;
    a list holds key names."""
    from textual import events
    from textual.keys import _character_to_key

    names = ["tab" if c == "\t" else c for c in keys] if isinstance(keys, str) else keys
    for name in names:
        if len(name) == 1:
            key = name if name.isalnum() else _character_to_key(name)
            event = events.Key(key, name)
        else:
            event = events.Key(name, None)
        event.set_sender(app)
        app._driver.send_message(event)  # noqa: SLF001 - what the terminal driver does
