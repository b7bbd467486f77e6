"""How soon a server that could not be reached is tried again: soon at first (a restart, a
network that blinks), then less often, but at least once a minute. One schedule for the
account's connection and for an outbox message whose SMTP server did not answer."""

from __future__ import annotations

CONNECTION_RETRY = (2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 60.0)  # seconds, then 60


def connection_delay(failures: int) -> float:
    """Seconds before the next try after `failures` failed ones in a row (1 or more)."""
    return CONNECTION_RETRY[min(max(failures, 1), len(CONNECTION_RETRY)) - 1]
