"""Turn bytes in a declared (often wrong or bogus) charset into text, never raising.

Each function returns the text and, when something had to be guessed, a note in words for
`Message.defects`.
"""

from __future__ import annotations

import codecs

# Labels seen in real mail that Python does not know, or knows as a narrower charset than
# senders actually use (the WHATWG encoding standard makes the same substitutions).
_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "tis-620": "cp874",
    "x-mac-roman": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}
# Labels that say "we do not know": try UTF-8, then Windows-1252, without a note.
_UNKNOWN = {"unknown-8bit", "x-unknown", "unknown", "x-user-defined", "8bit", "default", ""}


def lookup(label: str | None) -> str | None:
    """The Python codec name for a charset label, or None if it is not a text encoding."""
    name = (label or "").strip().strip("\"'").lower()
    if name in _UNKNOWN:
        return None
    name = _ALIASES.get(name, name)
    for candidate in (name, name.replace("-", ""), name.removeprefix("x-"), name.replace("_", "-")):
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError):
            continue
        if getattr(info, "_is_text_encoding", True):
            return info.name
    return None


def decode_guess(data: bytes) -> str:
    """Bytes of unknown charset: UTF-8 if they are valid UTF-8, else Windows-1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def decode_bytes(data: bytes, label: str | None) -> tuple[str, str | None]:
    """Decode `data` declared as charset `label`; return (text, note or None)."""
    codec = lookup(label)
    if codec is None:
        text = decode_guess(data)
        clean = (label or "").strip().strip("\"'").lower()
        if clean in _UNKNOWN or data.isascii():
            return text, None
        shown = "utf-8" if _is_utf8(data) else "windows-1252"
        return text, f"unknown charset {label!r}, shown as {shown}"
    if codec == "cp1252" and not data.isascii() and _is_utf8(data):
        return data.decode("utf-8"), None  # UTF-8 labelled ASCII or Latin-1: common, never right
    try:
        return data.decode(codec), None
    except Exception:  # UnicodeDecodeError, or others from utf-7 and cjk codecs on garbage
        pass
    try:
        return data.decode(codec, "replace"), f"invalid bytes for charset {label!r} replaced"
    except Exception:
        return decode_guess(data), f"could not decode charset {label!r}, shown as windows-1252"


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
