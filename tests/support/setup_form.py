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
