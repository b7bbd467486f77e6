"""The file the composer hands to $EDITOR: the header fields, an empty line, the body.

    From: Sam Example <sam@example.org>
    To: ann@example.org
    Cc:
    Bcc:
    Subject: Lunch

    Body text...

Reading it back never loses what was typed: the body is everything after the first empty
line, each known header that reads well is taken, and a line that does not (an unknown
header, text without "Name:", a header given twice) is reported with its line number and
left out, so the composer keeps its previous value for that field. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIELDS = ("From", "To", "Cc", "Bcc", "Subject")
_KNOWN = {name.lower(): name for name in FIELDS}


def editor_text(values: dict[str, str], body: str) -> str:
    """The text for the editor: every field of FIELDS (empty ones too, to fill in), then the
    body. `values` maps field names to one-line values."""
    lines = [f"{name}: {' '.join(values.get(name, '').split())}".rstrip() for name in FIELDS]
    return "\n".join(lines) + "\n\n" + body


@dataclass
class EditedText:
    """What came back from the editor."""

    headers: dict[str, str] = field(default_factory=dict)  # only the fields read well
    body: str = ""
    problems: list[str] = field(default_factory=list)  # "line 3: ...", in order


def _field_line(line: str) -> bool:
    name, colon, _ = line.partition(":")
    return bool(colon) and bool(name.strip()) and " " not in name.strip()


def read_editor_text(text: str) -> EditedText:
    """The fields and body of an edited file (see the module's docstring)."""
    result = EditedText()
    lines = text.replace("\r\n", "\n").split("\n")
    current: str | None = None
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if line == "":
            result.body = "\n".join(lines[number:])
            return result
        if line[:1] in (" ", "\t") and number > 1:  # a folded continuation
            if current is not None:
                result.headers[current] = f"{result.headers[current]} {line.strip()}".strip()
            continue
        if not _field_line(line):
            result.body = "\n".join(lines[number - 1:])
            result.problems.append(
                "the field lines were removed: all of the text is the body, and the fields"
                " are unchanged" if number == 1 else
                f"line {number}: the empty line between the fields and the body is missing;"
                " the body starts at this line")
            return result
        current = None
        name, _, value = line.partition(":")
        key = name.strip().lower()
        if key not in _KNOWN:
            result.problems.append(f"line {number}: {_shown(name.strip())} is not a field the"
                                   f" composer has ({', '.join(FIELDS)}); it was left out")
        elif key in seen:
            result.problems.append(f"line {number}: {_KNOWN[key]} is given twice; the first"
                                   " one is kept")
        else:
            seen.add(key)
            current = _KNOWN[key]
            result.headers[current] = value.strip()
    return result


def _shown(text: str, most: int = 40) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return repr(text if len(text) <= most else text[:most] + "...")
