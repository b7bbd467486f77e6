"""The dataclass code table (tui_mail.dataclass_code): classes made through it behave as
plain `@dataclass` makes them, the compiled code is kept for the next run, and a damaged
table is only a slower start."""

from __future__ import annotations

import dataclasses
import inspect
import sys
from pathlib import Path
from typing import Any

import pytest

from tui_mail.dataclass_code import CachedExec


def make_point() -> type[Any]:
    @dataclasses.dataclass(frozen=True)
    class Point:
        x: int
        y: int = 0
        tags: tuple[str, ...] = dataclasses.field(default=(), repr=False)

    return Point


def test_a_class_made_through_the_table_behaves_as_a_plain_dataclass(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = CachedExec(str(tmp_path / "table.marshal"))
    monkeypatch.setattr(dataclasses, "exec", table, raising=False)
    point = make_point()
    assert table.added > 0
    compiled = table.added
    again = make_point()  # the same source: nothing compiled
    assert table.added == compiled

    assert point(1, 2) == point(1, 2) and point(1, 2) != point(2, 1)
    assert hash(point(1, 2)) == hash(point(1, 2))
    assert repr(point(1, 2, ("a",))).endswith(".Point(x=1, y=2)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        point(1).x = 3
    assert dataclasses.replace(again(1), y=5) == again(1, 5)
    assert [f.name for f in dataclasses.fields(point)] == ["x", "y", "tags"]
    monkeypatch.undo()
    plain = make_point()
    assert point.__init__.__annotations__ == plain.__init__.__annotations__
    assert str(inspect.signature(point)) == str(inspect.signature(plain))


def test_the_compiled_code_is_kept_for_the_next_run(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # PYTHONDONTWRITEBYTECODE: no table
    path = str(tmp_path / "table.marshal")
    first = CachedExec(path)
    monkeypatch.setattr(dataclasses, "exec", first, raising=False)
    make_point()
    first.save()

    second = CachedExec(path)
    monkeypatch.setattr(dataclasses, "exec", second, raising=False)
    point = make_point()
    assert second.added == 0 and point(3) == point(3, 0)


def test_a_damaged_table_means_compiling_again(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "table.marshal"
    path.write_bytes(b"\x00not marshal data")
    table = CachedExec(str(path))
    monkeypatch.setattr(dataclasses, "exec", table, raising=False)
    assert table.codes == {}
    point = make_point()
    assert point(1) == point(1) and table.added > 0


LATER_INSPECT = """
import sys
from tui_mail.dataclass_code import install
install("test-{name}")
import dataclasses
assert "inspect" not in sys.modules, "install() imported inspect"

@dataclasses.dataclass(frozen=True)
class Documented:
    '''A class with its own docstring.'''
    x: int

assert "inspect" not in sys.modules, "a documented dataclass imported inspect"

@dataclasses.dataclass
class Bare:
    x: int
    y: str = "a"

import inspect
assert sys.modules["inspect"] is inspect and inspect.signature is not None
assert Bare.__doc__ == "Bare(x: int, y: str = 'a')", Bare.__doc__
assert dataclasses.inspect is inspect
print("ok")
"""


def test_install_imports_inspect_only_for_a_class_without_docstring(tmp_path: Path) -> None:
    """`inspect` costs most of `import dataclasses`: imported once a class needs it, and then
    the class is the one plain `@dataclass` makes (its signature as its docstring)."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", LATER_INSPECT.format(name=tmp_path.name)],
                          capture_output=True, text=True, check=False,
                          env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
