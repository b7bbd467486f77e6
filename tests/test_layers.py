"""The layer rules of DESIGN.md, checked rather than only written down (as Harlequin does)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tui_mail"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(under: str = "") -> list[Path]:
    root = PACKAGE / under if under else PACKAGE
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def first_party_layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "tui_mail" and len(parts) > 1 else None


HEADLESS = [
    p for p in modules()
    if p.relative_to(PACKAGE).parts[0] != "ui" and p.name != "__main__.py"
]


@pytest.mark.parametrize("path", HEADLESS, ids=module_name)
def test_headless_module_loads_neither_textual_nor_rich(path: Path) -> None:
    name = module_name(path)
    code = (
        f"import sys, importlib; importlib.import_module({name!r}); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"{name} loads {done.stdout.strip()}"


@pytest.mark.parametrize("path", modules("ui"), ids=module_name)
def test_ui_imports_no_protocol_library_and_no_sqlite(path: Path) -> None:
    forbidden = {"imapclient", "poplib", "aiosmtplib", "sqlite3", "smtplib", "imaplib", "socket"}
    used = {n.split(".")[0] for n in imported_names(path)}
    assert not used & forbidden


@pytest.mark.parametrize("path", modules("remote"), ids=module_name)
def test_remote_knows_neither_textual_nor_sqlite_nor_the_cache(path: Path) -> None:
    names = imported_names(path)
    assert not {n.split(".")[0] for n in names} & {"textual", "rich", "sqlite3"}
    assert not {first_party_layer(n) for n in names} & {"store", "sync", "ui", "cli"}


@pytest.mark.parametrize("path", modules("mail"), ids=module_name)
def test_mail_is_pure_and_imports_only_types_of_ours(path: Path) -> None:
    names = imported_names(path)
    layers = {first_party_layer(n) for n in names} - {None}
    assert layers <= {"model", "errors", "mail"}
    io_modules = {"socket", "sqlite3", "subprocess", "imapclient", "poplib", "aiosmtplib", "requests"}
    assert not {n.split(".")[0] for n in names} & io_modules


@pytest.mark.parametrize("path", modules("store"), ids=module_name)
def test_store_does_not_reach_up_into_sync_ui_or_network(path: Path) -> None:
    names = imported_names(path)
    assert not {first_party_layer(n) for n in names} & {"sync", "ui", "cli", "remote"}
    assert not {n.split(".")[0] for n in names} & {"imapclient", "poplib", "aiosmtplib"}


@pytest.mark.parametrize("path", modules("sync"), ids=module_name)
def test_sync_never_draws_and_speaks_protocols_only_through_remote(path: Path) -> None:
    names = imported_names(path)
    assert not {first_party_layer(n) for n in names} & {"ui", "cli"}
    protocol_libraries = {"imapclient", "poplib", "aiosmtplib", "imaplib", "smtplib"}
    assert not {n.split(".")[0] for n in names} & ({"textual", "rich"} | protocol_libraries)
