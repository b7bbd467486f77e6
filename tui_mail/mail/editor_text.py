"""The file the composer hands to $EDITOR: the header fields, an empty line, the body.

    From: Sam Example <sam@example.org>
    To: ann@example.org
    Cc:
    Bcc:
    Subject: Lunch

    Body text...

Reading it back never loses what was typed: the body is everything after the first empty
line (or from the first line that is not "Field: value"), each known field is taken (a To,
Cc or Bcc line given twice adds its addresses), and a line that cannot be taken (an unknown
field, a From or Subject given twice) is reported with its line number and put at the top
of the body, where the user sees it. Pure: no I/O.
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


_LISTS = ("To", "Cc", "Bcc")  # address fields: a second line adds its addresses


def read_editor_text(text: str) -> EditedText:
    """The fields and body of an edited file (see the module's docstring)."""
    result = EditedText()
    lines = text.replace("\r\n", "\n").split("\n")
    current: str | None = None  # the field a folded line continues; None: a line left out
    left_out: list[str] = []  # lines not taken as fields: they go to the top of the body

    def body_from(index: int) -> EditedText:
        result.body = "\n".join(left_out + lines[index:])
        return result

    for number, line in enumerate(lines, start=1):
        if line == "":
            return body_from(number)
        if line[:1] in (" ", "\t") and number > 1:  # a folded continuation
            if current is None:
                left_out.append(line)
            else:
                result.headers[current] = f"{result.headers[current]} {line.strip()}".strip()
            continue
        if not _field_line(line):
            result.problems.append(
                "the field lines were removed: all of the text is the body, and the fields"
                " are unchanged" if number == 1 else
                f"line {number}: the empty line between the fields and the body is missing;"
                " the body starts at this line")
            return body_from(number - 1)
        current = None
        name, _, value = line.partition(":")
        key = name.strip().lower()
        field = _KNOWN.get(key)
        if field is None:
            left_out.append(line)
            result.problems.append(f"line {number}: {_shown(name.strip())} is not a field the"
                                   f" composer has ({', '.join(FIELDS)}); the line was put at"
                                   " the top of the body")
        elif field in result.headers and field in _LISTS:
            current = field
            result.headers[field] = ", ".join(
                v for v in (result.headers[field], value.strip()) if v)
        elif field in result.headers:
            left_out.append(line)
            result.problems.append(f"line {number}: {field} is given twice; the first is"
                                   " kept and the second put at the top of the body")
        else:
            current = field
            result.headers[field] = value.strip()
    return body_from(len(lines))


def _shown(text: str, most: int = 40) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return repr(text if len(text) <= most else text[:most] + "...")
