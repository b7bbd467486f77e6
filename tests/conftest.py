"""Fixtures shared by the whole test suite."""

from tests.servers.fixtures import (  # noqa: F401 - registered as fixtures by being imported
    dovecot_variant,
    mail_servers,
    mail_servers_session,
)
