"""The code `@dataclass` generates, compiled once and kept between runs.

For each class, `dataclasses` writes the source of `__init__`, `__repr__`, `__eq__`, `__hash__`
(and for a frozen class `__setattr__` and `__delattr__`) and compiles it with `exec`, every
time the module defining the class is imported: about 2 ms a class on a slow machine, 85% of
it in the compiler. `tui-mail search` imports some 40 dataclasses (the model, the cache's
types, the query), the interface hundreds (Textual's among them): tens of milliseconds of a
command meant to answer in a few.

`install()` gives the `dataclasses` module its own `exec` that looks the source text up in a
table of code objects, compiled the way `exec` compiles a string, and saves the table at exit
when it grew. The key is the text itself, so a changed class is compiled anew and the classes
are exactly those plain `exec` makes. Each command has its own table (loading one costs about
8 microseconds an entry: `search` should not read the interface's thousand), beside the
package's bytecode (`tui_mail/__pycache__/`, per Python version, as trusted as the `.pyc`
files there); where that cannot be written, classes are compiled as usual.

`dataclasses` imports `inspect` (with `ast`, `dis`, `tokenize`: about 13 ms, most of
`import dataclasses`) for one call, `inspect.signature(cls)`, made only for a class without a
docstring. When `install()` is the first to import `dataclasses`, it hands it a stand-in that
imports the real `inspect` at that first call; every other importer gets the real module.
"""

from __future__ import annotations

import builtins
import contextlib
import marshal
import os
import sys
from collections.abc import Mapping
from types import CodeType, ModuleType

_FOLDER = os.path.join(os.path.dirname(__file__), "__pycache__")
_FORMAT = 2  # part of the table's file name: tables of an older format are never read
_MOST = 20_000  # entries kept; past this the table starts again from this run's classes


class CachedExec:
    """`exec` for dataclasses: the same result, the compiled source looked up first."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.codes = _load(path)
        self.added = 0

    def __call__(self, source: str | CodeType, globals: dict[str, object] | None = None,
                 locals: Mapping[str, object] | None = None, /) -> None:
        if globals is None:  # what exec does when given no namespace: the caller's
            frame = sys._getframe(1)
            globals, locals = frame.f_globals, frame.f_locals if locals is None else locals
        if isinstance(source, str):
            code = self.codes.get(source)
            if code is None:
                # dont_inherit: this module's `from __future__ import annotations` must not
                # turn the generated __init__'s annotations into strings
                code = self.codes[source] = compile(source, "<string>", "exec",
                                                    dont_inherit=True)
                self.added += 1
            source = code
        builtins.exec(source, globals, locals)

    def save(self) -> None:
        """Write the table if this run compiled something new (merged with what another
        process saved meanwhile); any failure leaves the next run to compile again."""
        if not self.added or sys.dont_write_bytecode:
            return
        codes = _load(self.path)
        codes = {**codes, **self.codes} if len(codes) + self.added <= _MOST else self.codes
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            with open(temporary, "wb") as out:
                marshal.dump(codes, out)
            os.replace(temporary, self.path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        self.added = 0


def _load(path: str) -> dict[str, CodeType]:
    try:
        with open(path, "rb") as table:
            codes = marshal.load(table)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(codes, dict):
        return {}
    return {k: v for k, v in codes.items() if isinstance(k, str) and isinstance(v, CodeType)}


class _LaterInspect(ModuleType):
    """What `dataclasses` sees as `inspect` until it first uses it: then the real module."""

    def __getattr__(self, name: str) -> object:
        import importlib

        real = importlib.import_module("inspect")
        dataclasses = sys.modules.get("dataclasses")
        if dataclasses is not None and getattr(dataclasses, "inspect", None) is self:
            dataclasses.inspect = real  # type: ignore[attr-defined]
        return getattr(real, name)


def _import_dataclasses() -> ModuleType:
    """`dataclasses`, imported without importing `inspect` (see the module docstring) when
    neither is imported yet."""
    if "dataclasses" not in sys.modules and "inspect" not in sys.modules:
        stand_in = _LaterInspect("inspect")
        sys.modules["inspect"] = stand_in
        try:
            import dataclasses  # noqa: F401 - imported for sys.modules
        finally:
            if sys.modules.get("inspect") is stand_in:
                del sys.modules["inspect"]
    import dataclasses

    return dataclasses


def _bytecode_magic() -> str:
    """The bytecode version, as .pyc files record it: a patch release of Python may change
    it under the same cache_tag, and a code object of another version must not be loaded.
    Read from the import system's own module, loaded at start (importlib.util costs more)."""
    external = sys.modules.get("_frozen_importlib_external")
    magic: object = getattr(external, "MAGIC_NUMBER", None)
    if not isinstance(magic, bytes):
        from importlib.util import MAGIC_NUMBER

        magic = MAGIC_NUMBER
    assert isinstance(magic, bytes)
    return magic[:2].hex()


def install(table: str) -> None:
    """Use the table named `table` (a command's name) for every dataclass created from now on
    in this process; a second call changes nothing."""
    dataclasses = _import_dataclasses()
    if isinstance(getattr(dataclasses, "exec", None), CachedExec):
        return
    name = (f"dataclass-code-{_FORMAT}.{table}.{sys.implementation.cache_tag}"
            f"-{_bytecode_magic()}.marshal")
    cached = CachedExec(os.path.join(_FOLDER, name))
    setattr(dataclasses, "exec", cached)  # noqa: B010 - a module global that shadows the builtin
    import atexit

    atexit.register(cached.save)
