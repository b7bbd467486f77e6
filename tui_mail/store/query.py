"""The search query language, parsed into SQL with bound parameters only.

Syntax (notmuch/Gmail style)::

    free words            all must match (subject, sender, recipients, body, attachment names)
    "a phrase"            words next to each other
    rep*                  prefix
    -word, not word       exclusion; `or` between terms; parentheses group
    from: to: cc: subject: body: attachment:   text in one field (value may be "quoted")
    has:attachment
    is:unread is:read is:flagged is:unflagged is:replied is:forwarded is:draft is:deleted
    date:2024-01-01..2024-03-31  date:2024-01..2024-03  date:2024  date:7d..  date:..2w
    before:DATE after:DATE  (before is exclusive, after inclusive; relative d/w/m/y = ago)
    folder:NAME in:NAME account:NAME

Every user term reaches FTS5 as a quoted FTS5 string, so FTS5 operators typed by the user
(`NEAR(`, `^`, `{col}:`, `AND`) are searched for as text, never interpreted. A malformed query
raises `QueryError` saying where (column, from 1) and why.

`compile_query()` gives a `CompiledQuery`: one FTS5 MATCH expression for the text terms that
are AND-ed at the top level (the fast path: rowid order is date order, see schema.py) and SQL
conditions over `messages m` for everything else; text nested under `or`/`not` with filters
becomes `m.id IN (SELECT rowid FROM fts WHERE fts MATCH ?)`. Top-level date filters are also
given as one id range (`id_low`, `id_high`; ids are date keys, see keys.py), which the search
pushes into the FTS walk as a rowid range; `filters` is `where` without them.

The flag and attachment filters are written exactly as the partial indexes of schema.py
(`_V7`) state their condition, so that SQLite can use them: a partial index is used only for a
query whose WHERE holds its condition term for term. `rare_index` names the index of a
top-level filter that matches few messages by nature (`is:flagged`): the search walks it
instead of the whole folder (see listing.py, `_search_rows`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui_mail.errors import QueryError
from tui_mail.store.keys import KEY_SCALE

TEXT_FIELDS = {
    "from": "sender",
    "to": "to_addr",
    "cc": "cc_addr",
    "subject": "subject",
    "body": "body",
    "attachment": "attachments",
    "filename": "attachments",
}
FLAG_BITS = {"seen": 1, "answered": 2, "flagged": 4, "deleted": 8, "draft": 16, "forwarded": 32}
IS_VALUES: dict[str, tuple[str, bool]] = {
    "unread": ("seen", False),
    "read": ("seen", True),
    "seen": ("seen", True),
    "unseen": ("seen", False),
    "flagged": ("flagged", True),
    "starred": ("flagged", True),
    "unflagged": ("flagged", False),
    "replied": ("answered", True),
    "answered": ("answered", True),
    "unreplied": ("answered", False),
    "forwarded": ("forwarded", True),
    "draft": ("draft", True),
    "deleted": ("deleted", True),
}
OTHER_FIELDS = {"has", "is", "date", "before", "after", "folder", "in", "account"}

# Partial indexes over (folder_id, id) of the messages a filter keeps (schema.py, `_V7`), and
# their condition, which is the filter's SQL with `{m}` for the query's "m." (the indexes say
# it without).
FLAG_CONDITIONS = {
    "messages_flagged": "({m}flags & 4) != 0",
    "messages_unread": "({m}flags & 1) = 0",
    "messages_attachment": "{m}has_attachment = 1",
}
RARE_INDEXES = ("messages_flagged",)  # few messages have it: the search walks this index


# ---- syntax tree -------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Words to find, in one column or all (`column` None), maybe as a prefix."""

    text: str
    column: str | None = None
    prefix: bool = False


@dataclass(frozen=True)
class Filter:
    """A condition that is not text: SQL over `messages m` with its parameters."""

    sql: str
    params: tuple[object, ...] = ()
    # A date filter is a message id range (ids are date keys): low <= id < high, None = open.
    id_range: tuple[int | None, int | None] | None = None
    index: str | None = None  # the partial index of the messages it keeps (FLAG_CONDITIONS)


@dataclass(frozen=True)
class Not:
    """What `node` does not match."""

    node: Node


@dataclass(frozen=True)
class And:
    """What every node matches."""

    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """What any node matches."""

    nodes: tuple[Node, ...]


Node = Text | Filter | Not | And | Or


# ---- tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    """One token of the query."""

    kind: str  # "(", ")", "or", "not", "term"
    pos: int
    text: str = ""
    field: str | None = None
    quoted: bool = False
    prefix: bool = False
    negated: bool = False


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


URL_SCHEMES = {"http", "https", "ftp", "sftp", "ssh", "git", "mailto", "file", "tel", "sip",
               "news", "irc", "xmpp", "cid", "ldap", "smb"}


def _misspelt_field(name: str, after: str) -> str | None:
    """The field `name:value` was probably meant to be (`subjet:x`, `form:bob`), if any.

    A name close to no field is text, as Gmail takes it: "Re:report", "JIRA:ABC-1" and URL
    schemes are searched for; so is a colon that ends a word ("Re: hello").
    """
    import difflib

    if not after or after.isspace() or name.lower() in URL_SCHEMES:
        return None
    known = sorted(TEXT_FIELDS.keys() | OTHER_FIELDS)
    near = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.75)
    return near[0] if near else None


def _misspelt_field_message(name: str, near: str, at: int) -> str:
    known = ", ".join(sorted(TEXT_FIELDS.keys() | OTHER_FIELDS))
    return (f"unknown field {name}: at column {at + 1}: did you mean {near}:? (fields: "
            f'{known}; to search for the text itself, put it in quotes: "{name}:…")')


PLACE_FIELDS = ("folder", "in", "account")  # a query that names one says where to look


def place_fields(query: str) -> set[str]:
    """Which of `folder`, `in`, `account` the query uses to say where to look itself: then
    the folder the search was opened in should not narrow it. Never raises."""
    try:
        toks = _tokenize(query)
    except QueryError:
        return set()
    return {tok.field for tok in toks if tok.field in PLACE_FIELDS}


def _tokenize(query: str) -> list[_Tok]:
    query = _CONTROLS.sub(" ", query)  # FTS5 strings end at NUL; controls are never text
    toks: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            toks.append(_Tok(ch, i))
            i += 1
            continue
        start = i
        negated = False
        if ch == "-" and i + 1 < n and not query[i + 1].isspace():
            negated = True
            i += 1
        fieldname: str | None = None
        m = re.match(r"([A-Za-z]+):", query[i:])
        if m and m.group(1).lower() in TEXT_FIELDS.keys() | OTHER_FIELDS:
            fieldname = m.group(1).lower()
            i += m.end()
        elif m and (near := _misspelt_field(m.group(1), query[i + m.end():i + m.end() + 1])):
            raise QueryError(_misspelt_field_message(m.group(1), near, i))
        if i < n and query[i] == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError(f'unclosed quote at column {i + 1}: add the closing "')
            text, quoted = query[i + 1 : end], True
            i = end + 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"':
                j += 1
            text, quoted = query[i:j], False
            i = j
        prefix = False
        if i < n and query[i] == "*" and quoted:
            prefix, i = True, i + 1
        elif not quoted and text.endswith("*"):
            prefix, text = True, text.rstrip("*")
        if (
            fieldname is None
            and not quoted
            and not negated
            and text.lower() in ("or", "and", "not")
        ):
            if text.lower() != "and":
                toks.append(_Tok(text.lower(), start))
            continue
        if fieldname is not None and not text and not quoted:
            raise QueryError(f"{fieldname}: at column {start + 1} needs a value")
        toks.append(_Tok("term", start, text, fieldname, quoted, prefix, negated))
    return toks


# ---- parser ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, toks: list[_Tok], now: float) -> None:
        self.toks = toks
        self.i = 0
        self.now = now

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def parse(self) -> Node:
        if not self.toks:
            return And(())
        node = self.or_expr()
        tok = self.peek()
        if tok is not None:
            raise QueryError(f"unbalanced parenthesis at column {tok.pos + 1}: no '(' opens it")
        return node

    def or_expr(self) -> Node:
        nodes = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.i += 1
            nodes.append(self.and_expr())
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def and_expr(self) -> Node:
        nodes: list[Node] = []
        while (tok := self.peek()) is not None and tok.kind not in ("or", ")"):
            nodes.append(self.unary())
        if not nodes:
            tok = self.peek()
            where = f"column {tok.pos + 1}" if tok else "the end of the query"
            raise QueryError(f"a search term is missing at {where}")
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def unary(self) -> Node:
        tok = self.peek()
        assert tok is not None
        if tok.kind == "not":
            self.i += 1
            after = self.peek()
            if after is None or after.kind in ("or", ")"):
                raise QueryError(f"'not' at column {tok.pos + 1} needs a term after it")
            return Not(self.unary())
        if tok.kind == "(":
            self.i += 1
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QueryError(f"unbalanced parenthesis at column {tok.pos + 1}: add a ')'")
            self.i += 1
            return node
        self.i += 1
        node = _term(tok, self.now)
        return Not(node) if tok.negated else node


def _term(tok: _Tok, now: float) -> Node:
    fieldname, value = tok.field, tok.text
    if fieldname is None or fieldname in TEXT_FIELDS:
        if not any(ch.isalnum() for ch in value):
            raise QueryError(
                f"{value!r} at column {tok.pos + 1} has no letters or digits to search for"
            )
        return Text(value, TEXT_FIELDS.get(fieldname or ""), tok.prefix)
    low = value.lower()
    if fieldname == "has":
        if low in ("attachment", "attachments", "attach"):
            return Filter(FLAG_CONDITIONS["messages_attachment"].format(m="m."),
                          index="messages_attachment")
        raise QueryError(f"unknown has:{value} at column {tok.pos + 1} (known: has:attachment)")
    if fieldname == "is":
        if low not in IS_VALUES:
            known = ", ".join(sorted(IS_VALUES))
            raise QueryError(f"unknown is:{value} at column {tok.pos + 1} (known: {known})")
        flag, wanted = IS_VALUES[low]
        bit = FLAG_BITS[flag]
        sql = f"(m.flags & {bit}) {'!=' if wanted else '='} 0"
        index = next((name for name, cond in FLAG_CONDITIONS.items()
                      if cond.format(m="m.") == sql), None)
        return Filter(sql, index=index)
    # Places are sets of folders, so that the (folder_id, ...) indexes serve them.
    if fieldname in ("folder", "in"):
        return Filter(
            "m.folder_id IN (SELECT id FROM folders WHERE name = ? COLLATE NOCASE OR role = ?)",
            (value, low),
        )
    if fieldname == "account":
        return Filter("m.folder_id IN (SELECT f.id FROM folders f JOIN accounts a"
                      " ON a.id = f.account_id WHERE a.name = ?)", (value,))
    lo, hi = _date_filter(fieldname, value, tok.pos, now)
    key_low = lo * KEY_SCALE if lo is not None else None
    key_high = hi * KEY_SCALE if hi is not None else None
    conds: list[str] = []
    params: list[object] = []
    if key_low is not None:
        conds.append("m.id >= ?")
        params.append(key_low)
    if key_high is not None:
        conds.append("m.id < ?")
        params.append(key_high)
    return Filter(" AND ".join(conds) or "1", tuple(params), (key_low, key_high))


# ---- dates -------------------------------------------------------------------------------

_DATE_HELP = "use 2024-01-31, 2024-01, 2024 or 7d/2w/3m/1y (ago)"


def _period(text: str, pos: int, now: float) -> tuple[int, int]:
    """(start, end) unix seconds of a day/month/year in local time, or a relative instant."""
    m = re.fullmatch(r"(\d+)([dwmy])", text.lower())
    if m:
        count, unit = int(m.group(1)), m.group(2)
        days = {"d": 1, "w": 7, "m": 30, "y": 365}[unit] * count
        instant = int(now - days * 86400)
        return instant, instant
    try:
        if re.fullmatch(r"\d{4}", text):
            start = datetime(int(text), 1, 1)
            end = datetime(int(text) + 1, 1, 1)
        elif re.fullmatch(r"\d{4}-\d{1,2}", text):
            y, mo = (int(x) for x in text.split("-"))
            start = datetime(y, mo, 1)
            end = datetime(y + mo // 12, mo % 12 + 1, 1)
        elif re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            y, mo, d = (int(x) for x in text.split("-"))
            start = datetime(y, mo, d)
            end = start + timedelta(days=1)
        else:
            raise ValueError(text)
        return int(start.timestamp()), int(end.timestamp())
    except (ValueError, OverflowError, OSError):
        raise QueryError(f"bad date {text!r} at column {pos + 1}: {_DATE_HELP}") from None


def _date_filter(fieldname: str, value: str, pos: int, now: float) -> tuple[int | None, int | None]:
    if not value:
        raise QueryError(f"{fieldname}: at column {pos + 1} needs a date: {_DATE_HELP}")
    if fieldname == "before":
        return None, _period(value, pos, now)[0]
    if fieldname == "after":
        return _period(value, pos, now)[0], None
    if ".." in value:
        left, _, right = value.partition("..")
        if not left and not right:
            raise QueryError(f"date:.. at column {pos + 1} needs a date on one side")
        lo = _period(left, pos, now)[0] if left else None
        hi = _period(right, pos, now)[1] if right else None
        return lo, hi
    start, end = _period(value, pos, now)
    if start == end:  # a relative instant alone means "since then"
        return start, None
    return start, end


# ---- compile -----------------------------------------------------------------------------


def fts_string(text: str) -> str:
    """A user term as an FTS5 string: nothing in it is FTS5 syntax."""
    return '"' + text.replace('"', '""') + '"'


def _fts(node: Node) -> str | None:
    """The FTS5 expression of a subtree made only of text terms, or None."""
    if isinstance(node, Text):
        expr = fts_string(node.text) + (" *" if node.prefix else "")
        return f"{node.column} : {expr}" if node.column else expr
    if isinstance(node, Or):
        parts = [_fts(n) for n in node.nodes]
        if any(p is None for p in parts):
            return None
        return "(" + " OR ".join(p for p in parts if p) + ")"
    if isinstance(node, And):
        positives, negatives = [], []
        for child in node.nodes:
            if isinstance(child, Not):
                neg = _fts(child.node)
                if neg is None:
                    return None
                negatives.append(neg)
            else:
                pos = _fts(child)
                if pos is None:
                    return None
                positives.append(pos)
        if not positives:
            return None
        expr = "(" + " AND ".join(positives) + ")"
        for neg in negatives:
            expr = f"({expr} NOT ({neg}))"
        return expr
    return None


def _sql(node: Node, params: list[object]) -> str:
    """A condition over `messages m` for any subtree."""
    fts = _fts(node)
    if fts is not None:
        params.append(fts)
        return "m.id IN (SELECT rowid FROM fts WHERE fts MATCH ?)"
    if isinstance(node, Filter):
        params.extend(node.params)
        return f"({node.sql})"
    if isinstance(node, Not):
        return f"NOT {_sql(node.node, params)}"
    if isinstance(node, And):
        return "(" + " AND ".join(_sql(n, params) for n in node.nodes) + ")" if node.nodes else "1"
    if isinstance(node, Or):
        return "(" + " OR ".join(_sql(n, params) for n in node.nodes) + ")"
    raise AssertionError(node)


@dataclass
class CompiledQuery:
    """A query as SQL: see the module docstring."""

    match: str | None  # FTS5 expression for the top-level text terms
    where: list[str] = field(default_factory=list)  # conditions over `messages m`
    params: list[object] = field(default_factory=list)  # for `where`, in order
    # The top-level date filters as one id range, id_low <= id < id_high (None = open), and
    # `where` without them: a date range is pushed into the FTS walk as a rowid range.
    id_low: int | None = None
    id_high: int | None = None
    filters: list[str] = field(default_factory=list)
    filter_params: list[object] = field(default_factory=list)
    # The partial index of a top-level filter that matches few messages (RARE_INDEXES), if any.
    rare_index: str | None = None


@dataclass(frozen=True)
class Query:
    """A query read once, with all that is needed of it: the text as typed, its SQL, the
    place fields it names (`folder:`, `in:`, `account:`: the query says where to look, see
    `ui/search_scope.py`), and the words a result contains, to highlight. The search screen
    makes one per settled query and hands it to the listing and the highlighter."""

    text: str
    compiled: CompiledQuery
    place_fields: frozenset[str]
    terms: tuple[str, ...]


def read_query(text: str, *, now: float | None = None) -> Query:
    """`text` read once; raises QueryError saying where and why it is malformed."""
    tokens = _tokenize(text)
    node = _Parser(tokens, time.time() if now is None else now).parse()
    return Query(text, _compile(node),
                  frozenset(tok.field for tok in tokens if tok.field in PLACE_FIELDS),
                  _terms(node))


def parse_query(query: str, *, now: float | None = None) -> Node:
    return _Parser(_tokenize(query), time.time() if now is None else now).parse()


def highlight_terms(query: str) -> tuple[str, ...]:
    """The words and phrases a result of `query` contains (its text terms, not those under
    NOT), for showing them in the results; empty for a malformed query."""
    from tui_mail.errors import QueryError

    try:
        node = parse_query(query)
    except QueryError:
        return ()
    return _terms(node)


def _terms(node: Node) -> tuple[str, ...]:
    terms: list[str] = []

    def walk(node: Node) -> None:
        if isinstance(node, Text):
            terms.append(node.text)
        elif isinstance(node, And | Or):
            for child in node.nodes:
                walk(child)

    walk(node)
    return tuple(dict.fromkeys(t for t in terms if t.strip()))


def compile_query(query: str, *, now: float | None = None) -> CompiledQuery:
    return _compile(parse_query(query, now=now))


def _compile(node: Node) -> CompiledQuery:
    top = node.nodes if isinstance(node, And) else (node,)
    text_nodes: list[Node] = []
    rest: list[Node] = []
    for child in top:
        if _fts(child) is not None or (isinstance(child, Not) and _fts(child.node) is not None):
            text_nodes.append(child)
        else:
            rest.append(child)
    match = _fts(And(tuple(text_nodes))) if text_nodes else None
    if match is None:  # only negated text: it goes to SQL
        rest = list(top)
    out = CompiledQuery(match=match)
    for child in rest:
        sql = _sql(child, out.params)
        out.where.append(sql)
        if isinstance(child, Filter) and child.id_range is not None:
            low, high = child.id_range
            if low is not None:
                out.id_low = low if out.id_low is None else max(out.id_low, low)
            if high is not None:
                out.id_high = high if out.id_high is None else min(out.id_high, high)
        else:
            out.filters.append(sql)
            out.filter_params.extend(_sql_params(child))
            if isinstance(child, Filter) and child.index in RARE_INDEXES \
                    and out.rare_index is None:
                out.rare_index = child.index
    return out


def _sql_params(node: Node) -> list[object]:
    params: list[object] = []
    _sql(node, params)
    return params
