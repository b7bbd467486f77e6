"""A short kill campaign (benchmarks/outbox_kill.py) against the suite's servers: SIGKILLed in
the middle of deliveries, `tui-mail outbox flush` still delivers every message exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.outbox_kill import run_campaign

pytestmark = [pytest.mark.servers, pytest.mark.slow]


def test_flush_killed_during_deliveries_never_duplicates_or_loses_a_message(
    mail_servers, tmp_path: Path
) -> None:
    result = run_campaign(mail_servers, tmp_path, kills=5, seed=20261202)
    report = "\n".join(result.lines()) + "\n" + result.final_output
    assert result.kills >= 5, report
    assert result.duplicates == [], report
    assert result.losses == [], report
    assert result.left_other == {}, report  # nothing stuck in flight or waiting
    assert result.sent_missing == [] and result.sent_duplicated == [], report
    # Every message is delivered once, or held as unsure (delivered or not): none in between.
    assert result.delivered_once + len(result.unsure) - len(result.unsure_delivered) \
        == result.messages, report
