"""Mailcap (RFC 1524): which program views a content type. Parsing and choosing only, no I/O.

The caller reads the files (`mailcap_paths`), runs `test=` commands and the viewer. Only the
user's own mailcap and a path we chose reach the shell: the path is made of safe characters
(`safe_temp_name`) and quoted; entries that want anything else from the message (%t, %{param},
multipart %n/%F) are skipped, so no string from the mail is ever put into a command line.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_PATHS = ("~/.mailcap", "/etc/mailcap", "/usr/etc/mailcap", "/usr/local/etc/mailcap")


@dataclass(frozen=True)
class MailcapEntry:
    """One line of a mailcap file: `type/subtype; view command; flag; key=value...`."""

    type: str  # lower case; "image/*" for a wildcard subtype (a bare "image" means that too)
    command: str
    flags: frozenset[str] = frozenset()  # lower-case flags without a value (needsterminal, ...)
    fields: Mapping[str, str] = field(default_factory=dict)  # lower-case key -> value

    @property
    def needs_terminal(self) -> bool:
        return "needsterminal" in self.flags

    @property
    def copious_output(self) -> bool:
        return "copiousoutput" in self.flags

    @property
    def test(self) -> str | None:
        return self.fields.get("test")

    @property
    def name_template(self) -> str | None:
        """`nametemplate=%s.html`: the viewer wants the file named that way."""
        return self.fields.get("nametemplate")

    def matches(self, content_type: str) -> bool:
        ctype = base_type(content_type)
        if self.type.endswith("/*"):
            return ctype.split("/", 1)[0] == self.type[:-2]
        return ctype == self.type


@dataclass(frozen=True)
class Viewer:
    """A mailcap command ready to run with `sh -c`, and how to run it."""

    command: str
    stdin: bool  # the command has no %s: it reads the file on its standard input
    needs_terminal: bool
    entry: MailcapEntry

    def for_path(self, path: str) -> Viewer:
        """The same entry run on another file (after a rename to the entry's name template)."""
        built = build_command(self.entry.command, path)
        assert built is not None  # it was built for the first path, and the path is quoted
        return Viewer(built[0], built[1], self.needs_terminal, self.entry)


def base_type(content_type: str) -> str:
    """"Text/HTML; charset=x" -> "text/html"."""
    return content_type.split(";", 1)[0].strip().lower()


def mailcap_paths(environ: Mapping[str, str], home: str) -> list[str]:
    """The files to read, in order: $MAILCAPS (colon-separated) or the RFC 1524 defaults."""
    listed = environ.get("MAILCAPS")
    paths = listed.split(":") if listed else list(DEFAULT_PATHS)
    return [home + p[1:] if p.startswith("~/") else p for p in paths if p]


def _split_fields(line: str) -> list[str]:
    """Split on ";" not escaped by a backslash; "\\;" becomes ";", other escapes stay."""
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line):
            nxt = line[i + 1]
            current.append(nxt if nxt == ";" else c + nxt)
            i += 2
            continue
        if c == ";":
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(c)
        i += 1
    fields.append("".join(current).strip())
    return fields


def _logical_lines(text: str) -> Iterable[str]:
    """Lines with backslash-newline continuations joined; comments and blank lines dropped."""
    pending = ""
    for raw in text.splitlines():
        line = pending + raw
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        pending = ""
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield stripped
    if pending.strip() and not pending.strip().startswith("#"):
        yield pending.strip()


def parse_mailcap(text: str) -> list[MailcapEntry]:
    """The entries of one mailcap file, in order; malformed lines are skipped."""
    entries: list[MailcapEntry] = []
    for line in _logical_lines(text):
        parts = _split_fields(line)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            continue
        ctype = parts[0].lower()
        if "/" not in ctype:
            ctype += "/*"
        if ctype.count("/") != 1 or " " in ctype:
            continue
        flags: set[str] = set()
        values: dict[str, str] = {}
        for part in parts[2:]:
            if not part:
                continue
            key, eq, value = part.partition("=")
            if eq:
                values[key.strip().lower()] = value.strip()
            else:
                flags.add(key.strip().lower())
        entries.append(MailcapEntry(ctype, parts[1], frozenset(flags), values))
    return entries


_QUOTED_S = re.compile(r"""(['"])%s\1""")


def build_command(template: str, path: str) -> tuple[str, bool] | None:
    """(shell command, reads stdin) with %s replaced by the quoted `path`.

    None when the template asks for anything else (%t, %{param}, %n, %F, an unknown %x):
    those would put strings from the message into the command. Quotes the mailcap author put
    around %s are dropped, since the path is quoted here.
    """
    template = _QUOTED_S.sub("%s", template)
    out: list[str] = []
    used_path = False
    i = 0
    while i < len(template):
        c = template[i]
        if c == "\\" and i + 1 < len(template) and template[i + 1] == "%":
            out.append("%")
            i += 2
            continue
        if c == "%":
            nxt = template[i + 1] if i + 1 < len(template) else ""
            if nxt == "%":
                out.append("%")
            elif nxt == "s":
                out.append(shlex.quote(path))
                used_path = True
            else:
                return None
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out), not used_path


def choose_viewer(entries: Sequence[MailcapEntry], content_type: str, path: str, *,
                  passes_test: Callable[[str], bool], allow_terminal: bool = True
                  ) -> Viewer | None:
    """The first usable entry for `content_type` in file order, `type/*` entries included
    (RFC 1524, as mutt does): a user's own `~/.mailcap` comes before `/etc/mailcap`, so its
    `image/*` line wins over the system's generated `image/png` line.

    Skipped: copiousoutput entries (they print text for a pager, not show the file),
    needsterminal ones unless `allow_terminal`, entries whose command cannot be built safely,
    and those whose `test=` command (built the same way) fails.
    """
    ctype = base_type(content_type)
    for entry in (e for e in entries if e.type == ctype or (e.type.endswith("/*")
                                                           and e.matches(ctype))):
        if entry.copious_output or (entry.needs_terminal and not allow_terminal):
            continue
        built = build_command(entry.command, path)
        if built is None:
            continue
        if entry.test is not None:
            test = build_command(entry.test, path)
            if test is None or not passes_test(test[0]):
                continue
        return Viewer(built[0], built[1], entry.needs_terminal, entry)
    return None


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_temp_name(name: str, *, fallback: str = "attachment") -> str:
    """A file name of letters, digits, ".", "_" and "-" only, not starting with "-" or ".".

    For the copy handed to a viewer: the name then means nothing to a shell even unquoted.
    Accents are dropped ("Übersicht" -> "Ubersicht"); the extension is kept (viewers and
    openers go by it).
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    ext = _UNSAFE.sub("", ext)[:16]
    stem = _UNSAFE.sub("_", stem).strip("-._")[:100]
    if not stem.strip("_"):
        stem = fallback
    return f"{stem}.{ext}" if ext else stem


def templated_name(template: str, name: str) -> str | None:
    """The file name `nametemplate` asks for, from a `safe_temp_name` result: "%s.html" and
    "report.htm" give "report.html". None when the template has no %s (then it is ignored)."""
    if template.count("%s") != 1:
        return None
    stem = name.rpartition(".")[0] or name
    before, after = template.split("%s")
    before, after = _UNSAFE.sub("_", before), _UNSAFE.sub("_", after)
    return safe_temp_name(f"{before}{stem}{after}")
