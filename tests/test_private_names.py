"""Tests use the package through its public names.

A test that reaches into a `_`-name of tui_mail (a private function, a private attribute, a
monkeypatched private) pins how the code is written today, not what it does: it breaks on a
rename and passes while the behaviour is gone. Where a test needs to observe something, the
package offers it publicly (for a reason of its own), or the test observes it from outside (its
own connection to the cache file or the server, a log, a public method it wraps).

This reads every test's syntax tree: a `from tui_mail... import _x`, an attribute `obj._x`, or a
`setattr`/`getattr`/`monkeypatch.setattr` naming `_x` is a failure when tui_mail defines `_x`
(a test's own `self._x` is its own). The one exception is tests/support/textual_private.py,
which reads Textual's privates (timers, the compositor) that Textual gives no public way to;
names Textual and tui_mail share are looked up there only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "tui_mail"
TESTS = REPO / "tests"
# Reads Textual's own privates (no public list of a node's timers, no public text export).
TEXTUAL_PRIVATE = TESTS / "support" / "textual_private.py"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_names(tree: ast.AST) -> Iterator[str]:
    """The names a module of the package defines: functions, classes, module and class
    variables, and attributes set on `self`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            yield node.attr


def package_private_names() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        names.update(n for n in _defined_names(ast.parse(path.read_text(), str(path)))
                     if _private(n))
    return names


def _receiver_is_own(node: ast.Attribute) -> bool:
    return isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


ATTRIBUTE_CALLS = {"setattr", "getattr", "delattr", "hasattr"}  # also monkeypatch's


def _named_in_call(node: ast.Call) -> Iterator[str]:
    """The attribute names a setattr/getattr-like call gives as strings: its second argument,
    or a dotted "tui_mail.module.name" target (monkeypatch's one-string form)."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else ""
    if name not in ATTRIBUTE_CALLS:
        return
    for index, arg in enumerate(node.args[:2]):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                and (arg.value.startswith("tui_mail.") or index == 1):
            yield arg.value


def reaches(path: Path, private: set[str]) -> Iterator[str]:
    """Each place in the test file at `path` that names a private of the package."""
    tree = ast.parse(path.read_text(), str(path))
    where = path.relative_to(REPO) if path.is_relative_to(REPO) else path.name
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tui_mail"):
            for alias in node.names:
                if _private(alias.name):
                    yield f"{where}:{node.lineno}: imports {node.module}.{alias.name}"
        elif isinstance(node, ast.Attribute) and node.attr in private \
                and not _receiver_is_own(node):
            yield f"{where}:{node.lineno}: reads .{node.attr}"
        elif isinstance(node, ast.Call):
            for named in _named_in_call(node):
                if named.rpartition(".")[2] in private:
                    yield f"{where}:{node.lineno}: names {named!r}"


def test_no_test_reaches_into_a_private_name_of_the_package() -> None:
    private = package_private_names()
    found = [place for path in sorted(TESTS.rglob("*.py")) if path != TEXTUAL_PRIVATE
             for place in reaches(path, private)]
    assert found == [], "tests reach into private names of tui_mail:\n" + "\n".join(found)


def test_the_check_sees_each_kind_of_reach(tmp_path: Path) -> None:
    """The check above finds nothing only because nothing is there."""
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from tui_mail.store.db import _connect\n"
        "store._conn.execute('x')\n"
        "monkeypatch.setattr(store, '_conn', None)\n"
        "monkeypatch.setattr('tui_mail.store.db._connect', None)\n"
        "getattr(screen, '_search_serial')\n"
        "self._conn = 1\n"
        "answer.value._not_ours\n"
        "setattr(store, 'listing', None)\n"
    )
    found = {line.split(": ", 1)[1] for line in reaches(probe, package_private_names())}
    assert found == {
        "imports tui_mail.store.db._connect", "reads ._conn", "names '_conn'",
        "names 'tui_mail.store.db._connect'", "names '_search_serial'"}
