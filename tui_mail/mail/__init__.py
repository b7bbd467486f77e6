"""Pure email logic (no I/O): parse, render, sanitize, thread."""

from tui_mail.mail.headers import HeaderSummary, parse_headers
from tui_mail.mail.parse import attachment_bytes, parse_message
from tui_mail.mail.render import (
    RenderedBody,
    quote_depth,
    render_headers,
    render_message,
    render_raw,
)
from tui_mail.mail.sanitize import sanitize_filename, sanitize_line, sanitize_text
from tui_mail.mail.threading import (
    ThreadItem,
    ThreadRow,
    Threads,
    normalize_subject,
    thread_messages,
)

__all__ = [
    "HeaderSummary",
    "RenderedBody",
    "ThreadItem",
    "ThreadRow",
    "Threads",
    "attachment_bytes",
    "normalize_subject",
    "parse_headers",
    "parse_message",
    "quote_depth",
    "render_headers",
    "render_message",
    "render_raw",
    "sanitize_filename",
    "sanitize_line",
    "sanitize_text",
    "thread_messages",
]
