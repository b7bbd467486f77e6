"""Pure email logic (no I/O): parse, render, sanitize, thread.

The names below load their module on first use (PEP 562), so importing one light module of
this package (sanitize, headers) does not pull in html2text and the MIME parser at start-up.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (search and show need none)
if TYPE_CHECKING:
    from typing import Any

_WHERE = {
    "HeaderSummary": "headers", "parse_headers": "headers",
    "attachment_bytes": "parse", "parse_message": "parse",
    "RenderedBody": "render", "quote_depth": "render", "render_headers": "render",
    "render_message": "render", "render_raw": "render",
    "sanitize_filename": "sanitize", "sanitize_line": "sanitize", "sanitize_text": "sanitize",
    "ThreadItem": "threading", "ThreadRow": "threading", "Threads": "threading",
    "normalize_subject": "threading", "thread_messages": "threading",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
