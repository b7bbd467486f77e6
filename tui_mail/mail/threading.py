"""Conversation threading: the JWZ algorithm (https://www.jwz.org/doc/threading.html).

Threads are linked by Message-ID, In-Reply-To and References, then threads whose roots share
a normalized subject are merged. A thread is named by the smallest key among its messages, so
when keys grow with arrival (cache row ids) a new message never renames an existing thread,
unless it joins two threads into one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|sv|vs|wg|antw|tr|rif|odp|ynt|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]|\[[^\]]*\])\s*",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(r"^\s*(?:re|fwd?|aw|sv|vs|wg|antw|tr|rif|odp|ynt|r)\s*[:：]", re.I)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def normalize_subject(subject: str) -> str:
    """The subject without reply/forward prefixes or [list] tags, spaces collapsed, casefolded."""
    text = subject or ""
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class ThreadItem:
    """What threading needs to know of one message."""

    key: int
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None


@dataclass(frozen=True)
class ThreadRow:
    """One line of a threaded list: a message, its indentation and its thread."""

    key: int
    depth: int
    thread_id: int


@dataclass(frozen=True)
class Threads:
    thread_of: dict[int, int]  # message key -> thread id (the smallest key in its thread)
    rows: tuple[ThreadRow, ...]  # threads by first date, each in reply order, depth-first


@dataclass(eq=False)
class _Container:
    item: ThreadItem | None = None
    parent: _Container | None = None
    children: list[_Container] = field(default_factory=list)

    def is_ancestor_of(self, other: _Container) -> bool:
        node: _Container | None = other
        steps = 0
        while node is not None and steps < 100_000:
            if node is self:
                return True
            node = node.parent
            steps += 1
        return False

    def adopt(self, child: _Container) -> None:
        if child.parent is not None:
            child.parent.children.remove(child)
        child.parent = self
        self.children.append(child)


def _date(c: _Container) -> datetime:
    d = c.item.date if c.item else None
    if d is None:
        return _EPOCH
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _first(c: _Container) -> tuple[datetime, int]:
    """Sort key of a subtree: its earliest message (date, then key)."""
    best = (datetime.max.replace(tzinfo=UTC), 1 << 62)
    stack = [c]
    while stack:
        node = stack.pop()
        if node.item is not None:
            best = min(best, (_date(node), node.item.key))
        stack.extend(node.children)
    return best


def _link(parent: _Container, child: _Container) -> None:
    if parent is child or child.is_ancestor_of(parent):
        return  # would make a cycle
    parent.adopt(child)


def thread_messages(items: Iterable[ThreadItem]) -> Threads:
    """Group messages into threads; tolerant of cycles, duplicate and missing ids."""
    table: dict[str, _Container] = {}
    ordered = sorted(items, key=lambda i: i.key)
    for item in ordered:
        mid = item.message_id
        if not mid or (mid in table and table[mid].item is not None):
            mid = f"\0key:{item.key}"  # missing or duplicate id: give it one of its own
        container = table.setdefault(mid, _Container())
        container.item = item
        refs = list(item.references)
        if item.in_reply_to and (not refs or refs[-1] != item.in_reply_to):
            refs.append(item.in_reply_to)
        prev: _Container | None = None
        for ref in refs:
            if ref == item.message_id:
                continue
            node = table.setdefault(ref, _Container())
            if prev is not None and node.parent is None:
                _link(prev, node)
            prev = node
        if prev is not None and container.parent is not prev:
            if container.parent is not None:
                container.parent.children.remove(container)
                container.parent = None
            _link(prev, container)

    roots = [c for c in table.values() if c.parent is None]
    roots = [kept for root in roots for kept in _prune(root)]
    roots = _merge_by_subject(roots)

    thread_of: dict[int, int] = {}
    rows: list[ThreadRow] = []
    for root in sorted(roots, key=_first):
        thread_id = _first_key(root)
        _flatten(root, 0, thread_id, thread_of, rows)
    return Threads(thread_of, tuple(rows))


def _first_key(c: _Container) -> int:
    keys = []
    stack = [c]
    while stack:
        node = stack.pop()
        if node.item is not None:
            keys.append(node.item.key)
        stack.extend(node.children)
    return min(keys)


def _prune(c: _Container) -> list[_Container]:
    """Drop empty containers: a childless one vanishes, one with children is replaced by them
    when it is not a root or has a single child. Returns what takes c's place."""
    kids: list[_Container] = []
    for child in list(c.children):
        kids.extend(_prune(child))
    c.children = []
    for k in kids:
        k.parent = c
        c.children.append(k)
    if c.item is not None:
        return [c]
    if not c.children:
        return []
    if c.parent is not None or len(c.children) == 1:
        for k in c.children:
            k.parent = None
        return list(c.children)
    return [c]


def _subject(c: _Container) -> tuple[str, bool]:
    node = c if c.item is not None else (c.children[0] if c.children else c)
    subject = node.item.subject if node.item else ""
    return normalize_subject(subject), bool(_REPLY_PREFIX.match(subject))


def _merge_by_subject(roots: list[_Container]) -> list[_Container]:
    """JWZ step 5: roots with the same normalized subject become one thread."""
    by_subject: dict[str, _Container] = {}
    for root in sorted(roots, key=_first):
        subject, is_reply = _subject(root)
        if not subject:
            continue
        holder = by_subject.get(subject)
        if holder is None:
            by_subject[subject] = root
            continue
        if holder.item is None and root.item is None:
            for k in list(root.children):
                holder.adopt(k)
        elif holder.item is None:
            holder.adopt(root)
        elif root.item is None:
            root.adopt(holder)
            by_subject[subject] = root
        elif is_reply and not _subject(holder)[1]:
            holder.adopt(root)
        else:
            dummy = _Container()
            dummy.adopt(holder)
            dummy.adopt(root)
            by_subject[subject] = dummy
    merged = {id(r): r for r in roots if r.parent is None}
    for holder in by_subject.values():
        merged.setdefault(id(holder), holder)
    return [r for r in merged.values() if r.parent is None and (r.item or r.children)]


def _flatten(
    c: _Container, depth: int, thread_id: int, thread_of: dict[int, int], rows: list[ThreadRow]
) -> None:
    stack = [(c, depth)]
    while stack:
        node, d = stack.pop()
        child_depth = d
        if node.item is not None:
            thread_of[node.item.key] = thread_id
            rows.append(ThreadRow(node.item.key, d, thread_id))
            child_depth = d + 1
        for child in sorted(node.children, key=_first, reverse=True):
            stack.append((child, child_depth))
