"""Make untrusted text safe to put on a terminal or in a file name.

Everything that reaches a widget passes through here first: terminal escape sequences are
removed whole (an OSC 52 clipboard write loses its payload too, not just its ESC), and so are
control characters, bidi overrides and zero-width characters, which can hide or reorder text.
"""

from __future__ import annotations

import re
import unicodedata

# Sequences whose payload a terminal would swallow: remove them up to and including the
# terminator (BEL or ST). An unterminated one runs to the end of its line.
_STRING_SEQ = r"(?:\x1b[\]P_^X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
_CSI_SEQ = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
_OTHER_ESC = r"\x1b[ -/]*[0-~]?"
_ESCAPES = re.compile(f"{_STRING_SEQ}|{_CSI_SEQ}|{_OTHER_ESC}")

_BIDI = "\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH = "\u200b-\u200d\u2060\ufeff"
# Every C0 control but TAB and LF, DEL, C1, bidi controls, zero-width characters and lone
# surrogates (left by surrogateescape decoding; they cannot be written to a terminal).
_FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_ZERO_WIDTH}\ud800-\udfff]")
_LINE_SEPARATORS = re.compile("\r\n|[\u2028\u2029\x0b\x0c\x85]")

MAX_FILENAME_BYTES = 200
_FILENAME_BAD = re.compile(r'[/\\<>:"|?*\x00-\x1f]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


def sanitize_text(s: str, *, keep_newlines: bool = True, tab_width: int = 8) -> str:
    """Remove escape sequences and invisible or dangerous characters; expand tabs.

    CRLF and other line separators become LF (or a space when `keep_newlines` is false);
    a lone CR is dropped.
    """
    if not s:
        return ""
    text = _LINE_SEPARATORS.sub("\n", s)
    text = _ESCAPES.sub("", text)
    text = _FORBIDDEN.sub("", text)
    if "\t" in text:
        text = text.expandtabs(tab_width)
    if not keep_newlines:
        text = text.replace("\n", " ")
    return text


def sanitize_line(s: str) -> str:
    """A single-line value (a header, a name): newlines and tabs folded to single spaces."""
    return " ".join(sanitize_text(s, keep_newlines=False, tab_width=1).split())


def sanitize_filename(name: str, *, fallback: str = "attachment") -> str:
    """A name safe to save under a chosen directory: one path component, never hidden.

    Removes directories and separators, control and reserved characters, leading dots, and
    Windows device names; caps the length (in UTF-8 bytes) keeping the extension.
    """
    text = sanitize_line(unicodedata.normalize("NFC", name or ""))
    text = re.split(r"[/\\]", text)[-1] if text else ""
    text = _FILENAME_BAD.sub("_", text).strip(" .")
    if _WINDOWS_RESERVED.match(text):
        text = "_" + text
    text = _cap_bytes(text, MAX_FILENAME_BYTES)
    if not text or set(text) <= {"_", "."}:
        return fallback
    return text


def _cap_bytes(text: str, limit: int) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext) > 16:
        stem, ext = text, ""
    suffix = f".{ext}" if ext else ""
    budget = limit - len(suffix.encode("utf-8"))
    capped = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" .")
    return capped + suffix
