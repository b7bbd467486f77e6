"""How a message row is read into a `MessageSummary`: the columns and joins every query of
the list, search and single-row reads share (one place, so they cannot drift apart)."""

from __future__ import annotations

from datetime import UTC, datetime

from tui_mail.model import Address, Flags, MessageSummary

SUMMARY_COLUMNS = (
    "m.id, a.name, f.name, m.uid, m.message_id, m.subject, m.from_name, m.from_email, "
    "m.date, m.flags, m.has_attachment, m.size, m.thread_id, m.to_text"
)
SUMMARY_JOINS = "JOIN folders f ON f.id = m.folder_id JOIN accounts a ON a.id = m.account_id"
SUMMARY_FROM = f"messages m {SUMMARY_JOINS}"


def summary_of(row: tuple, depth: int = 0) -> MessageSummary:
    return MessageSummary(
        id=row[0],
        account=row[1],
        folder=row[2],
        uid=row[3],
        message_id=row[4],
        subject=row[5],
        sender=Address(row[6], row[7]),
        date=datetime.fromtimestamp(row[8], UTC),
        flags=Flags.from_bits(row[9]),
        has_attachment=bool(row[10]),
        size=row[11],
        thread_id=row[12],
        depth=depth,
        to_text=row[13],
    )
