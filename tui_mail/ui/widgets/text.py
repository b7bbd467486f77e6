"""Small display helpers for untrusted mail text.

Every string that came from a message (subject, names, addresses, body, file names) reaches a
widget through the mail layer's `sanitize_line`/`sanitize_text` (control and escape sequences
removed) and is then wrapped in `rich.text.Text` or `textual.content.Content` built from a plain
string, never parsed as markup.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tui_mail.mail.sanitize import sanitize_line, sanitize_text

__all__ = ["sanitize_line", "sanitize_text", "format_date", "format_size"]


def format_date(date: datetime, now: datetime) -> str:
    """HH:MM today, the weekday within the last week, YYYY-MM-DD otherwise (local time of `now`)."""
    if date.tzinfo is not None and now.tzinfo is not None:
        date = date.astimezone(now.tzinfo)
    elif date.tzinfo is not None:
        date = date.astimezone().replace(tzinfo=None)
    if date.date() == now.date():
        return date.strftime("%H:%M")
    if now - timedelta(days=6) <= date <= now:
        return date.strftime("%a")
    return date.strftime("%Y-%m-%d")


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` terminal cells, broken at spaces; a word wider than
    a line (a URL, a run of CJK text, which has no spaces) is cut by cells. Spaces where a
    line breaks are dropped; runs of spaces inside a line are kept."""
    from rich.cells import cell_len, chop_cells

    lines: list[str] = []
    line, used = "", 0
    for word in text.split(" "):
        size = cell_len(word)
        gap = 1 if line else 0
        if used + gap + size <= width:
            line, used = f"{line} {word}" if line else word, used + gap + size
            continue
        if line:
            lines.append(line)
        pieces = chop_cells(word, width) if size > width else [word]
        lines.extend(pieces[:-1])
        line, used = pieces[-1], cell_len(pieces[-1])
    if line or not lines:
        lines.append(line)
    return lines
