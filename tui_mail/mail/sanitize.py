"""Make untrusted text safe to put on a terminal or in a file name.

Everything that reaches a widget passes through here first: terminal escape sequences are
removed whole (an OSC 52 clipboard write loses its payload too, not just its ESC), and so are
control characters and every default-ignorable character (bidi controls, zero-width characters,
soft hyphens, Hangul fillers, tag characters...), which can hide or reorder text. In a file
name even the emoji joiners go.
"""

from __future__ import annotations

import re

# Sequences whose payload a terminal would swallow: remove them up to and including the
# terminator (BEL or ST). An unterminated one runs to the end of its line.
_STRING_SEQ = r"(?:\x1b[\]P_^X]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
_CSI_SEQ = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
_OTHER_ESC = r"\x1b[ -/]*[0-~]?"
_ESCAPES_RE = f"{_STRING_SEQ}|{_CSI_SEQ}|{_OTHER_ESC}"

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters a terminal
# draws as nothing. They hide text ("safe.txt" + Hangul fillers + ".exe" shows as "safe.txt")
# and reorder it (bidi controls). ZWJ (U+200D) and the emoji variation selector (U+FE0F) are
# left out here: they are kept inside emoji sequences (see _STRAY_VS16, _STRAY_ZWJ).
DEFAULT_IGNORABLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u200c\u200e\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0e\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
# Every C0 control but TAB and LF, DEL, C1, default-ignorable characters and lone surrogates
# (left by surrogateescape decoding; they cannot be written to a terminal).
_FORBIDDEN_RE = f"[\x00-\x08\x0b-\x1f\x7f-\x9f{DEFAULT_IGNORABLE}\ud800-\udfff]"
# Pictographs (emoji), roughly Extended_Pictographic, with regional indicators and skin tones.
_PICTO = ("\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2"
          "\u25aa-\u27bf\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299"
          "\U0001f000-\U0001faff")
# U+FE0F after a pictograph or a keycap's digit, U+200D between two pictographs: parts of an
# emoji ("❤️", "1️⃣", "👩‍💻"), drawn as one picture. Anywhere else they only hide things.
_STRAY_VS16_RE = f"(?<![{_PICTO}])\ufe0f(?<![0-9#*]\ufe0f(?=\u20e3))"
_STRAY_ZWJ_RE = f"(?<![{_PICTO}\ufe0f])\u200d|\u200d(?![{_PICTO}])"
# The ASCII characters the regexes above act on (every control but TAB and LF): text in
# ASCII without them passes through them unchanged.
_ASCII_CONTROLS = dict.fromkeys([*range(0x09), *range(0x0B, 0x20), 0x7F])

MAX_FILENAME_BYTES = 200

# The patterns, compiled when first needed: text with nothing to remove needs none (their
# Unicode classes cost a few ms, and a search prints only names and subjects). Also
# readable as this module's attributes (`sanitize._ESCAPES`).
_PATTERNS = {
    "_LINE_SEPARATORS": "\r\n|[\u2028\u2029\x0b\x0c\x85]",
    "_ESCAPES": _ESCAPES_RE,
    "_FORBIDDEN": _FORBIDDEN_RE,
    "_STRAY_VS16": _STRAY_VS16_RE,
    "_STRAY_ZWJ": _STRAY_ZWJ_RE,
    "_FILENAME_BAD": r'[/\\<>:"|?*\x00-\x1f]',
    "_WINDOWS_RESERVED": r"(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$",
    "_LOOSE_JOINERS": "[\u200d\ufe0f]",
}
_compiled: dict[str, re.Pattern[str]] = {}


def _pattern(name: str) -> re.Pattern[str]:
    pattern = _compiled.get(name)
    if pattern is None:
        pattern = _compiled[name] = re.compile(_PATTERNS[name])
    return pattern


_ignorables: dict[int, None] = {}


def _nothing_to_remove(s: str) -> bool:
    """Whether the patterns above would leave `s` as it is, found without them: no control,
    separator, surrogate or unassigned character (all of which `isprintable` refuses) and
    no default-ignorable character, ZWJ or U+FE0F (looked up in a table)."""
    if not s.isprintable():
        return False
    if not _ignorables:
        spans = DEFAULT_IGNORABLE + "\u200d\ufe0f"
        i = 0
        while i < len(spans):
            if i + 2 < len(spans) and spans[i + 1] == "-":
                _ignorables.update(dict.fromkeys(range(ord(spans[i]), ord(spans[i + 2]) + 1)))
                i += 3
            else:
                _ignorables[ord(spans[i])] = None
                i += 1
    return len(s.translate(_ignorables)) == len(s)


def __getattr__(name: str) -> re.Pattern[str]:
    if name in _PATTERNS:
        return _pattern(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sanitize_text(s: str, *, keep_newlines: bool = True, tab_width: int = 8) -> str:
    """Remove escape sequences and invisible or dangerous characters; expand tabs.

    CRLF and other line separators become LF (or a space when `keep_newlines` is false);
    a lone CR is dropped.
    """
    if not s:
        return ""
    if s.isascii() and len(s.translate(_ASCII_CONTROLS)) == len(s):
        text = s  # nothing to remove or replace: 10x quicker than the regexes below find that
    elif _nothing_to_remove(s):  # other text, as often: the same without compiling them
        text = s
    else:
        text = _pattern("_LINE_SEPARATORS").sub("\n", s)
        text = _pattern("_ESCAPES").sub("", text)
        text = _pattern("_FORBIDDEN").sub("", text)
        if "\u200d" in text or "\ufe0f" in text:
            text = _pattern("_STRAY_ZWJ").sub("", _pattern("_STRAY_VS16").sub("", text))
    if "\t" in text:
        text = text.expandtabs(tab_width)
    if not keep_newlines:
        text = text.replace("\n", " ")
    return text


def sanitize_line(s: str) -> str:
    """A single-line value (a header, a name): newlines and tabs folded to single spaces.

    A blank that is not a space (U+2800, the Braille blank) counts as one, so a run of them
    shrinks to one space like any other padding."""
    text = sanitize_text(s, keep_newlines=False, tab_width=1).replace("\u2800", " ")
    return " ".join(text.split())


def sanitize_filename(name: str, *, fallback: str = "attachment") -> str:
    """A name safe to save under a chosen directory: one path component, never hidden.

    Removes directories and separators, control and reserved characters, leading dots, and
    Windows device names; caps the length (in UTF-8 bytes) keeping the extension.
    """
    import unicodedata

    text = _pattern("_LOOSE_JOINERS").sub("", sanitize_line(unicodedata.normalize("NFC", name or "")))
    text = re.split(r"[/\\]", text)[-1] if text else ""
    text = _pattern("_FILENAME_BAD").sub("_", text).strip(" .")
    if _pattern("_WINDOWS_RESERVED").match(text):
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
